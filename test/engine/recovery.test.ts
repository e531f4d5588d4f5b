/**
 * Recovery on a real Temporal dev server, PostgreSQL and the simulator, with in-process workers.
 * What it proves:
 * - more than maxConsecutiveFailures consecutive page failures auto-pause the run (state Degraded)
 *   and send `run.degraded` carrying the exact `wdsync resume <runId>` command; once the cause is
 *   fixed, `wdsync resume` finishes the run COMPLETED with the sinks holding exactly the snapshot;
 * - a page that fails for good during the main pass is retried by the recovery pass after the
 *   cool-down: fixed meanwhile, the run ends COMPLETED and exact;
 * - every webhook event carries runId, errorType and command (and the page where there is one).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildRunInput, type StartOptions, startSync } from '../../src/runs/start';
import { TASK_QUEUES } from '../../src/workflows/activity-options';
import { progressQuery } from '../../src/workflows/messages';
import { RUN_ID, STATE } from '../../src/workflows/search-attributes';
import { createHarness, type Harness } from '../helpers/harness';
import { assertSinksHoldSnapshot, until } from '../helpers/snapshot';
import { startWebhookReceiver } from '../helpers/webhook-receiver';

const WORKERS = 600;
const FAST: StartOptions = {
  pageSize: 50,
  concurrency: 1,
  tuning: {
    workdayInitialIntervalMs: 100,
    workdayMaximumAttempts: 2,
    sinkInitialIntervalMs: 100,
    heartbeatTimeoutMs: 5000,
  },
};
const NO_FAULTS = { rules: [], latency: { baseMs: 0, perWorkerMs: 0, jitterMs: 0, slowTailRate: 0 } };

describe('recovery: auto-pause and resume, recovery passes', { timeout: 300_000 }, () => {
  let h: Harness;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let events: Record<string, unknown>[] = [];

  before(async () => {
    receiver = await startWebhookReceiver();
    events = receiver.events;
    const hookUrl = receiver.url;
    h = await createHarness({ workers: WORKERS, config: { notify: { webhookUrl: hookUrl } } });
    h.sim.admin.setFaults(NO_FAULTS);
    await h.startInProcessWorkers();
  });
  after(async () => {
    await h?.close();
    receiver?.close();
  });

  const assertEventShape = (e: Record<string, unknown>) => {
    assert.equal(typeof e.runId, 'string', `${e.type} carries runId`);
    assert.equal(typeof e.errorType, 'string', `${e.type} carries errorType`);
    assert.match(String(e.command), /^wdsync /, `${e.type} carries a wdsync command`);
  };

  test('consecutive page failures auto-pause the run (Degraded); `wdsync resume` finishes it exact', async () => {
    events.length = 0;
    h.sim.admin.setFaults({ ...NO_FAULTS, rules: [{ type: 'processing', pages: [3, 4, 5] }] });
    const { handle, runId } = await startSync(h.client, h.cfg, {
      ...FAST,
      maxConsecutiveFailures: 2,
      recovery: { passes: 1, cooldownSeconds: 1 },
    });
    await until(
      async () => (await handle.query(progressQuery)).state === 'Degraded',
      'the run to auto-pause as Degraded',
      120_000,
    );
    const p = await handle.query(progressQuery);
    assert.deepEqual(
      [...p.failedPages].sort((a, b) => a - b),
      [3, 4, 5],
    );
    await until(() => events.some((e) => e.type === 'run.degraded'), 'the run.degraded webhook');
    const degraded = events.find((e) => e.type === 'run.degraded')!;
    assert.equal(degraded.runId, runId);
    assert.equal(degraded.command, `wdsync resume ${runId}`);
    assert.equal(degraded.page, 5);
    assertEventShape(degraded);
    // Still paused: no page past the failing ones was started.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await handle.query(progressQuery)).state, 'Degraded');

    h.sim.admin.setFaults(NO_FAULTS);
    const resumed = await h.cli(['resume', runId]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const summary = await handle.result();
    assert.equal(summary.status, 'COMPLETED');
    assert.deepEqual(summary.failedPages, []);
    assert.equal(summary.reconciliation.ok, true);
    await assertSinksHoldSnapshot(h, summary);
    for (const e of events.filter((e) => e.runId === runId)) assertEventShape(e);
  });

  test('a page failing for good in the main pass is recovered after the cool-down: COMPLETED, exact', async () => {
    events.length = 0;
    h.sim.admin.setFaults({ ...NO_FAULTS, rules: [{ type: 'processing', pages: [7] }] });
    const { handle, runId } = await startSync(h.client, h.cfg, {
      ...FAST,
      concurrency: 4,
      recovery: { passes: 1, cooldownSeconds: 4 },
    });
    await until(
      () => events.some((e) => e.type === 'page.failed' && e.page === 7),
      'page 7 to fail for good',
      120_000,
    );
    // The cause is fixed during the main pass or the cool-down, before the recovery pass.
    h.sim.admin.setFaults(NO_FAULTS);
    const failed = events.find((e) => e.type === 'page.failed')!;
    assert.equal(failed.runId, runId);
    assert.equal(failed.command, `wdsync replay ${runId} --pages 7`);
    assertEventShape(failed);
    const summary = await handle.result();
    assert.equal(summary.status, 'COMPLETED');
    assert.deepEqual(summary.failedPages, []);
    assert.equal(summary.reconciliation.ok, true);
    await assertSinksHoldSnapshot(h, summary);
    assert.ok(!events.some((e) => e.type === 'run.completed_with_failures' && e.runId === runId));
  });

  test('a run started without WdsyncRunId (as a schedule starts it) adds it on its first execution', async () => {
    const { runId: _fixed, ...input } = buildRunInput(h.cfg, { ...FAST, concurrency: 4 });
    const workflowId = `wdsync-sched-test-${Date.now()}`;
    const handle = await h.client.workflow.start('syncRun', {
      taskQueue: TASK_QUEUES.workflows,
      workflowId,
      args: [input],
      typedSearchAttributes: [{ key: STATE, value: 'Running' }],
    });
    await handle.result();
    const d = await handle.describe();
    assert.equal(d.typedSearchAttributes.get(RUN_ID), workflowId);
  });
});
