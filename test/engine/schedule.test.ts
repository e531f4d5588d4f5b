import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RequestLogEntry } from '../../src/simulator';
import { progressQuery } from '../../src/workflows/messages';
import { MODE, TENANT } from '../../src/workflows/search-attributes';
import type { RunSummary } from '../../src/workflows/types';
import { createHarness, type Harness } from '../helpers/harness';
import { assertSinksHoldSnapshot, until } from '../helpers/snapshot';

/**
 * Issue 5 acceptance for schedules, on a real Temporal dev server: `wdsync schedule ...` through
 * the real CLI, runs started by Temporal Schedules, the delta watermark carried from run to run,
 * overlap SKIP, and scheduled runs as findable as CLI-started ones. Scheduled runs pin the
 * workflow's own clock, so the simulator's clock ticks with real time here.
 */

const WORKERS = 1000;
const sameMoment = (a: string | undefined, b: string) => a !== undefined && Date.parse(a) === Date.parse(b);

describe('scheduled syncs (issue 5)', { timeout: 600_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({
      workers: WORKERS,
      simulator: { faults: { latency: { baseMs: 5, perWorkerMs: 0, jitterMs: 5 } } },
    });
    await h.startInProcessWorkers();
  });
  after(async () => {
    await h?.close();
  });

  async function cli(...args: string[]) {
    const r = await h.cli(args);
    assert.equal(r.code, 0, `wdsync ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  const describeSchedule = async (name: string) =>
    JSON.parse(await cli('schedule', 'describe', name, '--json')) as {
      paused: boolean;
      overlap: string;
      actions: number;
      skippedForOverlap: number;
      running: string[];
      recent: { runId: string; at: string }[];
    };

  /** Triggers the schedule and returns the id of the run it started. */
  async function triggerAndWaitForStart(name: string): Promise<string> {
    const seen = new Set(
      (await h.client.schedule.getHandle(name).describe()).info.recentActions.map(
        (a) => a.action.workflow.workflowId,
      ),
    );
    await cli('schedule', 'trigger', name);
    let id = '';
    await until(async () => {
      const d = await h.client.schedule.getHandle(name).describe();
      id = d.info.recentActions.map((a) => a.action.workflow.workflowId).find((w) => !seen.has(w)) ?? '';
      return id !== '';
    }, `a run started by ${name}`);
    return id;
  }

  const result = (workflowId: string) =>
    h.client.workflow.getHandle(workflowId).result() as Promise<RunSummary>;
  const requestsOf = (s: RunSummary): RequestLogEntry[] =>
    h.sim.admin.requestLog().filter((r) => sameMoment(r.asOfEntryRequested, s.asOf.entryMoment));

  test('scheduled runs carry the watermark forward: full first, then deltas from the last entry moment', async () => {
    await cli(
      'schedule',
      'create',
      'sync',
      '--every',
      '1h',
      '--page-size',
      '250',
      '--concurrency',
      '2',
      '--backlog',
      '3',
    );
    // Paused, so only triggers start runs while the test counts them.
    await cli('schedule', 'pause', 'sync');
    const d0 = await describeSchedule('sync');
    assert.equal(d0.overlap, 'SKIP', 'overlap SKIP is the default');
    assert.equal(d0.paused, true);

    // No watermark yet: the first scheduled delta runs full (--full-if-no-watermark is the
    // schedule default) and says so in its search attributes.
    const firstId = await triggerAndWaitForStart('sync');
    const first = await result(firstId);
    assert.equal(first.status, 'COMPLETED');
    assert.equal(first.mode, 'full');
    const shape = await h.client.workflow.getHandle(firstId).query(progressQuery);
    assert.deepEqual(
      [shape.concurrency, shape.backlog],
      [2, 3],
      'the schedule starts runs with its --concurrency and --backlog',
    );
    const firstSa = (await h.client.workflow.getHandle(firstId).describe()).typedSearchAttributes;
    assert.equal(firstSa.get(MODE), 'full', 'WdsyncMode tells the fallback to full');
    assert.equal(firstSa.get(TENANT), 'acme');
    await assertSinksHoldSnapshot(h, first);

    const changed = h.sim.admin.churn(25);
    const secondId = await triggerAndWaitForStart('sync');
    const second = await result(secondId);
    assert.equal(second.status, 'COMPLETED');
    assert.equal(second.mode, 'delta');
    const reqs = requestsOf(second);
    assert.ok(reqs.length >= 1, 'the second run asked Workday');
    for (const r of reqs) {
      assert.ok(
        (r.transactionLog ?? []).some(
          (w) =>
            sameMoment(w.updatedFrom, first.asOf.entryMoment) &&
            sameMoment(w.updatedThrough, second.asOf.entryMoment),
        ),
        `Updated_From is the first run's entry moment: ${JSON.stringify(r.transactionLog)}`,
      );
    }
    assert.ok(second.totalResults >= changed.length, 'the churned workers were fetched');
    assert.ok(second.totalResults < WORKERS / 2, 'a delta, not everyone');
    await assertSinksHoldSnapshot(h, second);

    // Findable like CLI-started runs: by the wdsync search attributes.
    await until(async () => {
      const ids: string[] = [];
      for await (const wf of h.client.workflow.list({
        query: `WdsyncTenant = 'acme' AND WdsyncMode = 'delta' AND TemporalScheduledById = 'sync'`,
      }))
        ids.push(wf.workflowId);
      return ids.includes(secondId);
    }, 'the scheduled delta run in visibility by WdsyncMode/WdsyncTenant');
    const runs = JSON.parse(await cli('runs', '--json')) as { runId: string; mode: string }[];
    assert.equal(
      runs.find((r) => r.runId === secondId)?.mode,
      'delta',
      'wdsync runs lists the scheduled run',
    );
  });

  test('an overlapping trigger is skipped while a slow scheduled run is in flight', async () => {
    const info = async () => (await h.client.schedule.getHandle('sync').describe()).info;
    // Every Workday answer now takes 30 s, so the run is still going when the second trigger lands and
    // the schedule is described, however slow the CLI is on a loaded machine.
    h.sim.admin.setFaults({ latency: { baseMs: 30_000, perWorkerMs: 0, jitterMs: 0 } });
    try {
      const slowId = await triggerAndWaitForStart('sync');
      await until(
        async () => (await info()).runningActions.some((a) => a.workflow.workflowId === slowId),
        'the schedule to list the slow run as running',
      );
      const before = await info();
      await cli('schedule', 'trigger', 'sync');
      await until(
        async () => (await info()).numActionsSkippedOverlap > before.numActionsSkippedOverlap,
        'the overlapping trigger to be skipped',
      );
      const during = await describeSchedule('sync');
      assert.ok(during.skippedForOverlap >= 1, '`schedule describe` reports the skipped run');
      assert.deepEqual(during.running, [slowId], 'only the slow run is running');
      assert.equal(during.actions, before.numActionsTaken, 'no second run was started');
      h.sim.admin.setFaults({ latency: { baseMs: 5, perWorkerMs: 0, jitterMs: 5 } });
      const slow = await result(slowId);
      assert.equal(slow.status, 'COMPLETED');
      assert.equal(slow.mode, 'delta');
    } finally {
      h.sim.admin.setFaults({ latency: { baseMs: 5, perWorkerMs: 0, jitterMs: 5 } });
    }
    await cli('schedule', 'delete', 'sync');
  });

  test('a short --every schedule fires on its own', async () => {
    await cli('schedule', 'create', 'ticker', '--every', '5s', '--mode', 'full', '--page-size', '500');
    let first = '';
    await until(
      async () => {
        const d = await h.client.schedule.getHandle('ticker').describe();
        first = d.info.recentActions[0]?.action.workflow.workflowId ?? '';
        return first !== '';
      },
      'the ticker schedule to fire',
      60_000,
    );
    await cli('schedule', 'delete', 'ticker');
    assert.match(first, /^wdsync-ticker-/);
    const summary = await result(first);
    assert.equal(summary.status, 'COMPLETED');
    assert.equal(summary.runId, first, 'a scheduled run uses its workflow id as run id');
    assert.equal(summary.mode, 'full');
    assert.equal(summary.workersFetched, summary.totalResults);
    await assertSinksHoldSnapshot(h, summary);
  });
  test('schedule options: --cron, buffer-one, catch-up window, no pause on failure; list, pause, unpause, backfill', async () => {
    await cli(
      'schedule',
      'create',
      'nightly',
      '--cron',
      '0 3 * * *',
      '--mode',
      'full',
      '--overlap',
      'buffer-one',
      '--catchup-window',
      '30m',
      '--no-pause-on-failure',
      '--no-full-if-no-watermark',
      '--page-size',
      '500',
    );
    const d = await h.client.schedule.getHandle('nightly').describe();
    assert.equal(d.policies.overlap, 'BUFFER_ONE');
    assert.equal(d.policies.catchupWindow, 30 * 60_000);
    assert.equal(d.policies.pauseOnFailure, false);
    const next = d.info.nextActionTimes[0]!;
    assert.equal(`${next.getUTCHours()}:${next.getUTCMinutes()}`, '3:0', 'the cron spec sets the time');
    const args =
      d.action.type === 'startWorkflow' ? (d.action.args?.[0] as { fullIfNoWatermark?: boolean }) : {};
    assert.equal(args.fullIfNoWatermark, false, '--no-full-if-no-watermark reaches the run input');

    const listed = async () =>
      (JSON.parse(await cli('schedule', 'list', '--json')) as { name: string; paused: boolean }[]).find(
        (s) => s.name === 'nightly',
      );
    assert.equal((await listed())?.paused, false);
    await cli('schedule', 'pause', 'nightly');
    assert.equal((await listed())?.paused, true);
    await cli('schedule', 'unpause', 'nightly');
    assert.equal((await listed())?.paused, false);

    // Yesterday's 03:00 was missed (the schedule did not exist): a backfill takes exactly that one.
    const threeAm = new Date();
    threeAm.setUTCHours(3, 0, 0, 0);
    if (threeAm.getTime() > Date.now()) threeAm.setUTCDate(threeAm.getUTCDate() - 1);
    const from = new Date(threeAm.getTime() - 3600_000).toISOString();
    const to = new Date(threeAm.getTime() + 3600_000).toISOString();
    await cli('schedule', 'backfill', 'nightly', '--start', from, '--end', to);
    let id = '';
    await until(async () => {
      const info = (await h.client.schedule.getHandle('nightly').describe()).info;
      id = info.recentActions[0]?.action.workflow.workflowId ?? '';
      return id !== '';
    }, 'the backfilled run to start');
    const summary = await result(id);
    assert.equal(summary.status, 'COMPLETED');
    assert.equal(summary.mode, 'full');
    assert.equal((await h.client.schedule.getHandle('nightly').describe()).info.numActionsTaken, 1);
    await cli('schedule', 'delete', 'nightly');
    assert.equal(await listed(), undefined, 'deleted');
  });
});
