import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSync } from '../../src/runs/start';
import { connectionOf } from '../../src/config/config';
import { connectionQueues } from '../../src/workflows/connection';
import { pageWorkflowId } from '../../src/workflows/ids';
import { createHarness, type Harness } from '../helpers/harness';

const RPS = 2;
const PER_WORKER = 2;
const PAGE_SIZE = 50;
const WORKERS = 1000; // 20 pages

/**
 * Invariant 4, as configured by an operator: the cluster-wide Workday rate limit
 * (maxTaskQueueActivitiesPerSecond) and the per-worker Workday concurrency hold even when the run
 * asks for more pages in flight, and Workday calls and sink writes go to their own task queues.
 */
describe('Workday protection: rate limit, per-worker concurrency, task queues', { timeout: 300_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({
      workers: WORKERS,
      config: {
        limits: {
          workdayRequestsPerSecond: RPS,
          workdayConcurrencyPerWorker: PER_WORKER,
          sinkConcurrencyPerWorker: 16,
        },
      },
    });
    await h.startInProcessWorkers();
  });
  after(async () => {
    await h?.close();
  });

  test('a run asking for 6 pages in flight stays within 2 requests/s and 2 in flight', async () => {
    const { handle, runId } = await startSync(h.client, h.cfg, { pageSize: PAGE_SIZE, concurrency: 6 });
    const summary = await handle.result();
    assert.equal(summary.status, 'COMPLETED');
    assert.equal(summary.workersFetched, WORKERS);

    const stats = h.sim.admin.stats();
    assert.ok(
      stats.maxInFlight <= PER_WORKER,
      `maxInFlight ${stats.maxInFlight} exceeded the per-worker cap ${PER_WORKER}`,
    );
    const times = h.sim.admin
      .requestLog()
      .map((r) => Date.parse(r.receivedAt))
      .sort((a, b) => a - b);
    assert.equal(times.length, WORKERS / PAGE_SIZE + 1, 'one request per page plus the count');
    // Temporal's limiter lets a burst through (it refills per task-queue partition), so the rate is
    // checked over the whole run; unlimited, all 21 requests land within about one second.
    const spanS = (times.at(-1)! - times[0]!) / 1000;
    const burst = 2 * RPS;
    assert.ok(
      spanS >= (times.length - 1 - burst) / RPS,
      `${times.length} requests in ${spanS.toFixed(1)} s is faster than ${RPS}/s`,
    );
    let worstSecond = 0;
    for (const t0 of times)
      worstSecond = Math.max(worstSecond, times.filter((t) => t >= t0 && t < t0 + 1000).length);
    console.log(
      `# ${times.length} Workday requests in ${spanS.toFixed(1)} s (limit ${RPS}/s), worst second ${worstSecond}, maxInFlight ${stats.maxInFlight}`,
    );

    const history = await h.client.workflow.getHandle(pageWorkflowId(runId, 3)).fetchHistory();
    const queues = new Map<string, string>();
    for (const e of history.events ?? []) {
      const a = e.activityTaskScheduledEventAttributes;
      if (a?.activityType?.name && a.taskQueue?.name) queues.set(a.activityType.name, a.taskQueue.name);
    }
    const own = connectionQueues(connectionOf(h.cfg));
    assert.equal(queues.get('fetchPage'), own.workday, "fetchPage runs on the connection's Workday queue");
    assert.equal(queues.get('deliverPage'), own.sinks, "deliverPage runs on the connection's sink queue");
    assert.notEqual(own.workday, own.sinks);
  });
  test('a termination look-ahead asks Workday twice per page, and both requests keep to the limits', async () => {
    h.sim.admin.resetStats();
    const { handle, runId } = await startSync(h.client, h.cfg, {
      pageSize: PAGE_SIZE * 2,
      concurrency: 6,
      terminationLookaheadMs: 24 * 3_600_000,
    });
    const summary = await handle.result();
    assert.equal(summary.status, 'COMPLETED');
    assert.equal(summary.workersFetched, WORKERS);
    const pages = WORKERS / (PAGE_SIZE * 2);
    const times = h.sim.admin
      .requestLog()
      .map((r) => Date.parse(r.receivedAt))
      .sort((a, b) => a - b);
    assert.equal(times.length, 1 + 2 * pages, 'the count, and each page with its look-ahead');
    assert.ok(h.sim.admin.stats().maxInFlight <= PER_WORKER, 'the per-worker cap holds for both');
    const spanS = (times.at(-1)! - times[0]!) / 1000;
    assert.ok(
      spanS >= (times.length - 1 - 2 * RPS) / RPS,
      `${times.length} requests in ${spanS.toFixed(1)} s is faster than ${RPS}/s`,
    );
    // Each request is an activity of its own on the Workday queue: what the limiter counts.
    const history = await h.client.workflow.getHandle(pageWorkflowId(runId, 2)).fetchHistory();
    const scheduled = (history.events ?? []).flatMap((e) => {
      const a = e.activityTaskScheduledEventAttributes;
      return a ? [`${a.activityType?.name}@${a.taskQueue?.name}`] : [];
    });
    const own = connectionQueues(connectionOf(h.cfg));
    assert.deepEqual(scheduled.slice(0, 2), [
      `fetchPage@${own.workday}`,
      `fetchDueTerminations@${own.workday}`,
    ]);
  });
  test('starting the same run id again attaches to the running run instead of starting a second', async () => {
    const runId = `attach-${Date.now()}`;
    h.sim.admin.resetStats();
    const first = await startSync(h.client, h.cfg, { runId, pageSize: PAGE_SIZE, concurrency: 6 });
    const second = await startSync(h.client, h.cfg, { runId, pageSize: PAGE_SIZE, concurrency: 6 });
    assert.equal(first.attached, false);
    assert.equal(second.attached, true, 'the second start attached');
    const [a, b] = await Promise.all([first.handle.result(), second.handle.result()]);
    assert.deepEqual(a, b, 'both handles see the one run');
    const executions = [];
    for await (const e of h.client.workflow.list({ query: `WorkflowId = '${runId}'` })) executions.push(e);
    assert.equal(executions.length, 1, 'one execution under that id');
    assert.equal(
      h.sim.admin.stats().requests,
      WORKERS / PAGE_SIZE + 1,
      'Workday was asked for each page once',
    );
    await assert.rejects(
      startSync(h.client, h.cfg, { runId }),
      /already finished/,
      'a finished run id is not reused',
    );
  });
  test('a Workday answer slower than the heartbeat timeout succeeds on its first attempt', async () => {
    h.sim.admin.setFaults({ latency: { baseMs: 7000, jitterMs: 0 } });
    h.sim.admin.resetStats();
    try {
      const { handle } = await startSync(h.client, h.cfg, {
        pageSize: WORKERS / 2,
        concurrency: 2,
        recovery: { passes: 0, cooldownSeconds: 1 },
        // 7 s of silence from Workday against a 3 s heartbeat timeout and a single attempt: only
        // the activity's own heartbeats keep the count and the page alive.
        tuning: { heartbeatTimeoutMs: 3000, workdayMaximumAttempts: 1 },
      });
      const summary = await handle.result();
      assert.equal(summary.status, 'COMPLETED');
      assert.equal(summary.workersFetched, WORKERS);
      assert.equal(h.sim.admin.stats().requests, 3, 'the count and the two pages, each asked once');
    } finally {
      h.sim.admin.setFaults({ latency: { baseMs: 20, jitterMs: 20 } });
    }
  });
});
