import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSummary, summaryJson } from '../../src/cli/progress';
import { reconcileDrift } from '../../src/workflows/run-rules';
import { buildSummary } from '../../src/workflows/sync-run';
import type { RunCarry } from '../../src/workflows/types';

const carry = (over: Partial<RunCarry> = {}): RunCarry => ({
  runId: 'sync-acme-1',
  mode: 'full',
  asOf: { entryMoment: '2026-11-29T00:00:00.000Z', effectiveDate: '2026-11-28' },
  startedAt: '2026-11-29T00:00:00.000Z',
  totalResults: 250,
  totalPages: 3,
  nextPage: 4,
  pagesDone: 3,
  failedPages: [],
  workersFetched: 250,
  deadLettered: 0,
  perSink: { postgres: { inserted: 250, updated: 0, unchanged: 0 } },
  sinkFailures: {},
  totalsMismatch: [],
  paused: false,
  concurrency: 4,
  executions: 1,
  ...over,
});

test('a run whose pages add up to the snapshot completes', () => {
  const s = buildSummary({ pageSize: 100 }, carry(), false);
  assert.equal(s.status, 'COMPLETED');
  assert.deepEqual(s.reconciliation, { expected: 250, accounted: 250, ok: true });
});

test('a short load (rows missing with no failed page) is never COMPLETED', () => {
  const s = buildSummary({ pageSize: 100 }, carry({ workersFetched: 240 }), false);
  assert.equal(s.status, 'COMPLETED_WITH_FAILURES');
  assert.deepEqual(s.reconciliation, { expected: 250, accounted: 240, ok: false });
});

test('pages disagreeing on Total_Results fail the run', () => {
  const s = buildSummary(
    { pageSize: 100 },
    carry({ totalsMismatch: ['page 2 reported Total_Results 251, page 1 reported 250'] }),
    false,
  );
  assert.equal(s.status, 'COMPLETED_WITH_FAILURES');
  assert.equal(s.reconciliation.ok, false);
});

test('failed pages count at their size, capped by the total, and fail the run', () => {
  // Page 3 of 250 rows at 100 a page holds 50.
  const s = buildSummary(
    { pageSize: 100 },
    carry({ failedPages: [3], workersFetched: 200, pagesDone: 2 }),
    false,
  );
  assert.equal(s.status, 'COMPLETED_WITH_FAILURES');
  assert.deepEqual(s.reconciliation, { expected: 250, accounted: 250, ok: true });
});

test('a cancelled run is CANCELLED, not a reconciliation failure', () => {
  const s = buildSummary({ pageSize: 100 }, carry({ workersFetched: 100, pagesDone: 1 }), true);
  assert.equal(s.status, 'CANCELLED');
  assert.equal(s.reconciliation.ok, true);
});

test("a reconcile's drift: its inserts, updates and removals per sink; status prints them", () => {
  const perSink = {
    postgres: { inserted: 2, updated: 3, unchanged: 245 },
    files: { inserted: 0, updated: 0, unchanged: 250 },
  };
  const drift = reconcileDrift(perSink, { postgres: 1, files: 0 });
  assert.deepEqual(drift, {
    perSink: { postgres: { added: 2, changed: 3, removed: 1 }, files: { added: 0, changed: 0, removed: 0 } },
    total: 6,
  });
  const s = { ...buildSummary({ pageSize: 100 }, carry({ perSink }), false), drift };
  const text = formatSummary(s);
  assert.match(text, /reconcile\s+6 changes the deltas had missed/);
  assert.match(text, /drift postgres 2 added, 3 changed, 1 removed/);
  assert.deepEqual(summaryJson(s).drift, drift);
  assert.equal('drift' in summaryJson(buildSummary({ pageSize: 100 }, carry(), false)), false);
});
