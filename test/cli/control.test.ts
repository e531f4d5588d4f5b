import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHarness, type Harness } from '../helpers/harness';
import { until } from '../helpers/snapshot';

const WORKERS = 2000;
const PAGE_SIZE = 100;

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!);

/**
 * The operator's controls as a user types them: `wdsync start`, `status --json`, `pause`,
 * `concurrency`, `resume`, `cancel` and `runs`, each a real process against a real dev server.
 */
describe('CLI run controls against a running sync', { timeout: 300_000 }, () => {
  let h: Harness;
  let deps: Awaited<ReturnType<Harness['startInProcessWorkers']>>['deps'];
  before(async () => {
    h = await createHarness({ workers: WORKERS });
    // Slow pages, so the run is still going while the commands act on it (each a process that
    // takes seconds on a loaded machine; pages no longer wait for their deliveries to free a slot).
    h.sim.admin.setFaults({ latency: { baseMs: 1000, perWorkerMs: 0, jitterMs: 0 } });
    ({ deps } = await h.startInProcessWorkers());
  });
  after(async () => {
    await h?.close();
  });

  test('pause, concurrency, resume, cancel and runs act on the run and report it', async () => {
    const started = await h.cli(['start', '--page-size', String(PAGE_SIZE), '--concurrency', '2', '--json']);
    assert.equal(started.code, 0, started.stderr);
    const runId: string = lastJson(started.stdout).runId;
    assert.match(runId, /^sync-acme-/);

    const status = async () => {
      const r = await h.cli(['status', runId, '--json']);
      assert.equal(r.code, 0, r.stderr);
      return lastJson(r.stdout);
    };
    await until(async () => (await status()).pagesDone >= 1, 'a page done');

    const paused = await h.cli(['pause', runId]);
    assert.equal(paused.code, 0, paused.stderr);
    await until(async () => {
      const s = await status();
      return s.paused === true && s.pagesInFlight === 0;
    }, 'the paused run to drain');
    const requestsWhilePaused = h.sim.admin.stats().requests;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(h.sim.admin.stats().requests, requestsWhilePaused, 'no page starts while paused');

    const bad = await h.cli(['concurrency', runId, '0']);
    assert.notEqual(bad.code, 0, 'concurrency 0 is refused');
    assert.equal(bad.stderr.trim().split('\n').length, 1, `one line: ${bad.stderr}`);
    const resized = await h.cli(['concurrency', runId, '3']);
    assert.equal(resized.code, 0, resized.stderr);
    assert.match(resized.stdout, /2 -> 3/);
    assert.equal((await status()).concurrency, 3);

    h.sim.admin.resetStats();
    const resumed = await h.cli(['resume', runId]);
    assert.equal(resumed.code, 0, resumed.stderr);
    await until(async () => h.sim.admin.stats().requests >= 2, 'pages to start again');
    const cancelled = await h.cli(['cancel', runId]);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    await until(async () => (await status()).status === 'CANCELLED', 'the run to end cancelled');

    const final = await status();
    for (const k of [
      'runId',
      'status',
      'pagesTotal',
      'pagesFailed',
      'workersFetched',
      'delivered',
      'skippedUnchanged',
    ]) {
      assert.ok(k in final, `status --json carries ${k}`);
    }
    assert.equal(final.pagesTotal, WORKERS / PAGE_SIZE);
    assert.ok(final.workersFetched < WORKERS, 'the cancel stopped the run before its end');
    assert.equal(final.workersFetched % PAGE_SIZE, 0, 'only whole pages: in-flight pages finished');
    assert.ok(h.sim.admin.stats().maxInFlight <= 3, 'never more than the new concurrency in flight');

    const runs = await h.cli(['runs', '--json']);
    assert.equal(runs.code, 0, runs.stderr);
    const listed = lastJson(runs.stdout) as { runId?: string; workflowId?: string }[];
    assert.ok(
      JSON.stringify(listed).includes(runId),
      `wdsync runs lists ${runId}: ${runs.stdout.slice(0, 300)}`,
    );
  });

  test('status of a terminated run says TERMINATED and closes its RUNNING row in wdsync.runs', async () => {
    const started = await h.cli(['start', '--page-size', String(PAGE_SIZE), '--concurrency', '1', '--json']);
    assert.equal(started.code, 0, started.stderr);
    const runId: string = lastJson(started.stdout).runId;
    await until(async () => (await deps.audit.getRun(runId))?.status === 'RUNNING', 'the run recorded');
    // Terminated, the workflow cannot record its own end; only Temporal knows.
    await h.client.workflow.getHandle(runId).terminate('operator pulled the plug');
    const r = await h.cli(['status', runId, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lastJson(r.stdout).status, 'TERMINATED');
    const row = await deps.audit.getRun(runId);
    assert.equal(row?.status, 'TERMINATED', 'the run record follows Temporal');
    assert.ok(row?.endedAt, 'with its end time');
  });
});
