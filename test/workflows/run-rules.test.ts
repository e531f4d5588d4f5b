import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunRules, type RunRulesOptions } from '../../src/workflows/run-rules';
import type { PageOutcome, RunCarry } from '../../src/workflows/types';

/* The run's rules without a server: RunRules is plain, deterministic code over the RunCarry. */

const carry = (over: Partial<RunCarry> = {}): RunCarry => ({
  runId: 'sync-acme-1',
  mode: 'full',
  asOf: { entryMoment: '2026-11-29T00:00:00.000Z', effectiveDate: '2026-11-28' },
  startedAt: '2026-11-29T00:00:00.000Z',
  totalResults: 0,
  totalPages: 0,
  nextPage: 1,
  pagesDone: 0,
  failedPages: [],
  workersFetched: 0,
  deadLettered: 0,
  perSink: {},
  sinkFailures: {},
  totalsMismatch: [],
  paused: false,
  concurrency: 4,
  executions: 1,
  ...over,
});

const rules = (over: Partial<RunRulesOptions> = {}, c: Partial<RunCarry> = {}) =>
  new RunRules(carry(c), { pageSize: 100, wholeTenant: true, ...over });

const outcome = (page: number, over: Partial<PageOutcome['fetch']> = {}, sinkErrors = {}): PageOutcome => ({
  page,
  fetch: {
    page,
    totalResults: 250,
    totalPages: 3,
    rows: page === 3 ? 50 : 100,
    valid: page === 3 ? 50 : 100,
    deadLettered: 0,
    bytes: 1,
    checksum: 'x',
    ...over,
  },
  delivered: {
    postgres: { inserted: page === 3 ? 50 : 100, updated: 0, unchanged: 0, alreadyDelivered: false },
  },
  sinkErrors,
});

test('pages add up: counts, per-sink totals, a reconciled COMPLETED summary', () => {
  const r = rules();
  r.plan(250);
  assert.equal(r.s.totalPages, 3);
  for (const p of [1, 2, 3]) {
    r.s.nextPage = p + 1;
    assert.equal(r.pageSucceeded(outcome(p)), undefined);
  }
  assert.equal(r.pagesLeft, false);
  const s = r.summary(Date.parse('2026-11-29T00:00:10.000Z'));
  assert.equal(s.status, 'COMPLETED');
  assert.equal(s.workersFetched, 250);
  assert.deepEqual(s.perSink.postgres, { inserted: 250, updated: 0, unchanged: 0 });
  assert.deepEqual(s.reconciliation, { expected: 250, accounted: 250, ok: true });
  assert.equal(s.durationMs, 10_000);
  assert.equal(r.completeOn('postgres', s), true);
  assert.equal(r.finalizeMode, 'full');
});

test('a page disagreeing on Total_Results, and an empty page before the last, fail reconciliation', () => {
  const r = rules();
  r.plan(250);
  r.s.nextPage = 3;
  r.pageSucceeded(outcome(1, { totalResults: 260 }));
  r.pageSucceeded(outcome(2, { rows: 0, valid: 0 }));
  assert.equal(r.s.emptyPage, 2);
  assert.equal(r.pagesLeft, false, 'no page is planned after an empty one');
  assert.equal(r.s.totalsMismatch.length, 2);
  assert.match(r.s.totalsMismatch[0]!, /page 1 reported Total_Results 260, page 1 reported 250/);
  assert.match(r.s.totalsMismatch[1]!, /page 2 of 3 returned no workers.*no page after 2 was started/);
  const s = r.summary();
  assert.equal(s.status, 'COMPLETED_WITH_FAILURES');
  assert.equal(s.reconciliation.ok, false);
  assert.equal(r.completeOn('postgres', s), false);
});

test('the empty-page rule stays off where the workflow says so (histories from before it)', () => {
  const r = rules({ emptyPageStopsPlan: () => false });
  r.plan(250);
  r.pageSucceeded(outcome(2, { rows: 0, valid: 0 }));
  assert.equal(r.s.emptyPage, undefined);
  assert.equal(r.pagesLeft, true);
});

test('consecutive failures past the limit degrade the run once; a success or a resume resets the count', () => {
  const r = rules({ maxConsecutiveFailures: 2 });
  r.plan(1000);
  r.pageFailed(1);
  assert.equal(r.degradeIfFailing(1, 'boom'), undefined);
  r.pageSucceeded(outcome(2));
  assert.equal(r.s.consecutiveFailures, 0, 'a good page resets the run of failures');
  for (const p of [3, 4]) {
    r.pageFailed(p);
    assert.equal(r.degradeIfFailing(p, 'boom'), undefined);
  }
  r.pageFailed(5);
  const e = r.degradeIfFailing(5, 'WorkdayTransient: boom');
  assert.deepEqual(e, {
    type: 'run.degraded',
    runId: 'sync-acme-1',
    page: 5,
    errorType: 'ConsecutivePageFailures',
    command: 'wdsync resume sync-acme-1',
    error: '3 consecutive pages failed; last: WorkdayTransient: boom',
  });
  assert.equal(r.state(0), 'Degraded');
  r.pageFailed(6);
  assert.equal(r.degradeIfFailing(6, 'again'), undefined, 'a degraded (paused) run is not degraded again');
  assert.deepEqual(r.s.failedPages, [1, 3, 4, 5, 6]);
  r.resume();
  assert.equal(r.state(0), 'Running');
  assert.equal(r.s.consecutiveFailures, 0);
  assert.equal(r.s.degraded, false);
  // A failed page that later succeeds (recovery) leaves the failed list.
  r.pageSucceeded(outcome(1));
  assert.deepEqual(r.s.failedPages, [3, 4, 5, 6]);
  assert.equal(r.needsRecovery, true);
});

test('the dead-letter threshold fires on crossing, once, even across continue-as-new', () => {
  const r = rules({ deadLetterThreshold: 5 });
  r.plan(300);
  assert.equal(r.pageSucceeded(outcome(1, { deadLettered: 3 })), undefined);
  const e = r.pageSucceeded(outcome(2, { deadLettered: 3 }));
  assert.equal(e?.type, 'dead_letters.threshold');
  assert.equal(e?.command, 'wdsync dead-letters list --run sync-acme-1');
  assert.match(
    e?.error ?? '',
    /6 records of this run failed validation or mapping \(threshold 5\); latest on page 2/,
  );
  // The next execution starts from the carried counts: already past, no second event.
  const next = new RunRules(r.s, { pageSize: 100, wholeTenant: true, deadLetterThreshold: 5 });
  assert.equal(next.pageSucceeded(outcome(3, { deadLettered: 4 })), undefined);
  assert.equal(rules({ deadLetterThreshold: 0 }).pageSucceeded(outcome(1, { deadLettered: 50 })), undefined);
});

test('a sink that missed a page keeps the run from completing on that sink only', () => {
  const r = rules();
  r.plan(250);
  r.pageSucceeded(outcome(1));
  r.pageSucceeded(outcome(2, {}, { files: 'disk full' }));
  r.pageSucceeded(outcome(3));
  assert.deepEqual(r.s.sinkFailures, { files: [2] });
  assert.equal(r.needsRecovery, true);
  const s = r.summary();
  assert.equal(s.status, 'COMPLETED_WITH_FAILURES');
  assert.equal(r.completeOn('files', s), false);
  r.addDelivery('files', { inserted: 100, updated: 0, unchanged: 0 });
  r.s.sinkFailures.files = [];
  assert.equal(r.needsRecovery, false);
  const after = r.summary();
  assert.equal(after.status, 'COMPLETED');
  assert.equal(r.completeOn('files', after), true);
});

test('whole-tenant completion: a scope other than all response groups is never complete', () => {
  assert.equal(RunRules.coversWholeTenant(undefined), true);
  assert.equal(
    RunRules.coversWholeTenant({
      responseGroups: { personal: true, employment: true, compensation: true, organizations: true },
    }),
    true,
  );
  assert.equal(
    RunRules.coversWholeTenant({
      responseGroups: { personal: true, employment: false, compensation: true, organizations: true },
    }),
    false,
  );
  assert.equal(RunRules.coversWholeTenant({ activeOnly: true }), false);
  const scoped = rules({ wholeTenant: false });
  scoped.plan(100);
  scoped.pageSucceeded(outcome(1, { totalResults: 100 }));
  const s = scoped.summary();
  assert.equal(s.status, 'COMPLETED');
  assert.equal(scoped.completeOn('postgres', s), false, 'a scoped run never marks removals');
  assert.equal(scoped.finalizeMode, 'delta');
});

test('states: Running, Paused, Cancelling until the run ends; the summary says CANCELLED', () => {
  const r = rules();
  assert.equal(r.state(0), 'Running');
  r.pause();
  assert.equal(r.state(0), 'Paused');
  r.cancel();
  assert.equal(r.state(2), 'Cancelling');
  assert.equal(r.state(0), 'Cancelling', 'still running: never Cancelled before the end');
  assert.equal(r.pagesLeft, false);
  assert.equal(r.summary().status, 'CANCELLED');
  assert.equal(r.summary().reconciliation.ok, true, 'a cancelled run is not a reconciliation failure');
  const old = rules();
  old.cancel(false);
  assert.equal(old.state(0), 'Cancelled', 'runs replayed from before the rule keep their states');
  assert.equal(r.setConcurrency(9), 4);
  assert.equal(r.s.concurrency, 9);
});

test('the Web UI details: counts and state only', () => {
  const r = rules();
  r.plan(250);
  r.pageSucceeded(outcome(1));
  r.pageFailed(2);
  const text = r.details(1, Date.parse('2026-11-29T00:00:10.000Z'));
  assert.equal(
    text,
    [
      '**Running** · full sync · run `sync-acme-1`',
      'Pages 1/3 done, 1 in flight, 1 failed (2)',
      'Workers fetched 100/250, dead-lettered 0',
      'Delivered: postgres 100; unchanged skipped 0',
      'Snapshot as of 2026-11-29T00:00:00.000Z (effective 2026-11-28); concurrency 4',
    ].join('\n\n'),
  );
  const p = r.progress(1, Date.parse('2026-11-29T00:00:10.000Z'));
  assert.equal(p.workersPerSecond, 10);
  assert.equal(p.pagesInFlight, 1);
});

test('a sink over the breaker waits: AwaitingApproval, the event with the command, one decision per sink', () => {
  const r = rules();
  const limits = { maxDestructive: 2, maxDestructivePercent: 10 };
  const event = r.awaitApproval('crm', {
    deactivate: 3,
    delete: 1,
    holds: 40,
    limits,
    tripped: true,
    reason: '3 deactivations and 1 deletion (4) exceed maxDestructive 2',
  });
  assert.equal(r.state(0), 'AwaitingApproval');
  assert.equal(event.type, 'run.awaiting_approval');
  assert.equal(event.sink, 'crm');
  assert.equal(event.command, 'wdsync approve sync-acme-1 --sink crm');
  assert.match(event.error!, /wdsync reject sync-acme-1 --sink crm/);
  const p = r.progress(0);
  assert.deepEqual(
    p.awaitingApproval?.map((a) => [a.sink, a.deactivate, a.delete, a.holds]),
    [['crm', 3, 1, 40]],
  );
  assert.match(r.details(0), /\*\*Awaiting approval\*\* on sink crm: 3 deactivations and 1 deletion/);

  assert.match(
    r.approvalProblem({ sink: 'desk' })!,
    /not waiting for approval on sink desk; it waits on crm/,
  );
  assert.equal(r.approvalProblem({ sink: 'crm' }), undefined);
  r.decide({ sink: 'crm', by: 'alice' }, true);
  assert.match(r.approvalProblem({ sink: 'crm' })!, /already decided/);
  assert.deepEqual(r.decision('crm'), { sink: 'crm', by: 'alice', approve: true });
  r.settle({
    sink: 'crm',
    deactivate: 3,
    delete: 1,
    decision: 'approved',
    applied: 4,
    failed: 0,
    rejected: 0,
    by: 'alice',
  });
  assert.equal(r.state(0), 'Running', 'no sink waits any more');
  assert.equal(r.summary().destructive?.crm?.applied, 4, 'the summary says what was done');
  assert.match(r.approvalProblem({ sink: 'crm' })!, /already decided/);
});
