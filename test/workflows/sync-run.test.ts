import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { pauseSignal, progressQuery, resumeSignal, setConcurrencyUpdate } from '../../src/workflows/messages';
import type { SyncRunInput } from '../../src/workflows/types';
import { type FakePorts, fakePorts, workdayFault } from '../helpers/fake-ports';
import { until } from '../helpers/snapshot';
import {
  createWorkflowEnv,
  newRunId,
  runInput,
  startSyncRun,
  type WorkflowEnv,
} from '../helpers/workflow-env';

/*
 * syncRun's control flow in seconds: the real workflows and activities on a local Temporal
 * server over in-memory ports. The end-to-end tests (test/engine) cover the same run against the
 * simulator, PostgreSQL and JSONL; these cover the rules that need a live workflow.
 */

let w: WorkflowEnv;
before(async () => {
  w = await createWorkflowEnv();
});
after(async () => {
  await w?.close();
});

const newId = newRunId;
const start = (input: SyncRunInput) => startSyncRun(w, input);
const progress = (h: WorkflowHandle) => h.query(progressQuery);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const once = (p: FakePorts) => {
  const pages = p.workday.pagesFetched();
  return new Set(pages).size === pages.length;
};

describe('syncRun over in-memory ports', { timeout: 120_000 }, () => {
  test('pause holds new pages while the one in flight finishes; resume completes the run', async () => {
    const p = fakePorts(50);
    p.workday.hold(2);
    await w.withWorkers(p, async () => {
      const h = await start(runInput(newId('pause')));
      await until(() => p.workday.pagesFetched().includes(2), 'page 2 in flight');
      await h.signal(pauseSignal);
      p.workday.release(2);
      await until(async () => (await progress(h)).pagesDone === 2, 'page 2 done');
      const paused = await progress(h);
      assert.equal(paused.state, 'Paused');
      assert.equal(paused.pagesInFlight, 0);
      await sleep(500);
      assert.deepEqual(p.workday.pagesFetched(), [1, 2], 'no page starts while paused');

      await h.signal(resumeSignal);
      const summary = await h.result();
      assert.equal(summary.status, 'COMPLETED');
      assert.equal(summary.pagesDone, 5);
      assert.deepEqual(p.workday.pagesFetched(), [1, 2, 3, 4, 5]);
      assert.equal(p.sink.rows.size, 50);
      assert.equal(p.audit.runs.get(summary.runId)?.status, 'COMPLETED');
    });
  });

  test('consecutive page failures auto-pause the run as Degraded; resume clears it and recovery completes it', async () => {
    let broken = true;
    const p = fakePorts(60, (page) =>
      broken && page <= 3 ? workdayFault('validation', `page ${page} refused`) : undefined,
    );
    await w.withWorkers(p, async () => {
      const runId = newId('degraded');
      const h = await start(runInput(runId, { maxConsecutiveFailures: 2 }));
      await until(async () => (await progress(h)).state === 'Degraded', 'the run to degrade');
      await until(() => p.notifier.ofType('run.degraded').length > 0, 'the run.degraded event');
      const q = await progress(h);
      assert.deepEqual(q.failedPages, [1, 2, 3]);
      assert.equal(q.paused, true);
      const degraded = p.notifier.ofType('run.degraded');
      assert.equal(degraded.length, 1, 'one run.degraded event');
      assert.equal(degraded[0]!.command, `wdsync resume ${runId}`);
      assert.match(degraded[0]!.error ?? '', /3 consecutive pages failed; last: .*page 3 refused/);
      await sleep(500);
      assert.deepEqual(p.workday.pagesFetched(), [1, 2, 3], 'nothing new starts while Degraded');

      broken = false;
      await h.signal(resumeSignal);
      const summary = await h.result();
      assert.equal(summary.status, 'COMPLETED');
      assert.deepEqual(summary.failedPages, []);
      assert.equal(p.sink.rows.size, 60);
      assert.equal(p.notifier.ofType('page.failed').length, 3);
    });
  });

  test('a failed page runs again after the recovery cool-down, once every other page is done', async () => {
    const p = fakePorts(50, (page, attempt) =>
      page === 2 && attempt === 1 ? workdayFault('transient', 'Workday hiccup') : undefined,
    );
    await w.withWorkers(p, async () => {
      const h = await start(runInput(newId('cooldown'), { recovery: { passes: 1, cooldownSeconds: 2 } }));
      const summary = await h.result();
      assert.equal(summary.status, 'COMPLETED');
      assert.deepEqual(summary.failedPages, []);
      assert.deepEqual(p.workday.pagesFetched(), [1, 2, 3, 4, 5, 2]);
      const fetches = p.workday.calls.filter((c) => c.count > 1);
      const lastFirstPass = fetches[4]!.at;
      const retry = fetches[5]!.at;
      assert.ok(retry - lastFirstPass >= 1900, `cool-down of 2 s kept (${retry - lastFirstPass} ms)`);
      assert.equal(p.sink.rows.size, 50);
    });
  });

  test('a sink that hangs frees Workday slots until the backlog is full, then fetches wait; fetches never exceed C', async () => {
    const p = fakePorts(100);
    p.workday.fetchDelayMs = 150;
    p.sink.holdDeliveries();
    await w.withWorkers(p, async () => {
      // C = 2 fetches, up to 3 more pages staged awaiting delivery: 5 pages in flight at most.
      const h = await start(runInput(newId('backlog'), { concurrency: 2, backlog: 3 }));
      await until(() => p.sink.waiting === 5, 'five pages fetched and waiting on the sink');
      await sleep(1000);
      assert.deepEqual(
        p.workday.pagesFetched().sort((a, b) => a - b),
        [1, 2, 3, 4, 5],
        'fetching waits once the backlog is full',
      );
      const q = await progress(h);
      assert.equal(q.pagesInFlight, 5);
      assert.equal(q.pagesFetching, 0);
      assert.equal(q.pagesDelivering, 5);
      assert.equal(q.backlog, 3);
      assert.equal(q.pagesDone, 0);

      p.sink.releaseDeliveries();
      const summary = await h.result();
      assert.equal(summary.status, 'COMPLETED');
      assert.equal(summary.pagesDone, 10);
      assert.ok(once(p), `each page fetched once: ${p.workday.pagesFetched()}`);
      assert.equal(p.sink.rows.size, 100);
      assert.equal(p.workday.maxInFlight, 2, 'Workday had C fetches in flight, never more');
    });
  });

  test('while pages are delivered, Workday keeps C fetches in flight, and a resize changes C at once', async () => {
    const p = fakePorts(120);
    p.workday.fetchDelayMs = 200;
    p.sink.holdDeliveries();
    await w.withWorkers(p, async () => {
      const h = await start(runInput(newId('resize'), { concurrency: 2, backlog: 10 }));
      await until(() => p.sink.waiting >= 4, 'pages waiting on the sink');
      const q = await progress(h);
      assert.equal(q.pagesFetching, 2, `fetches go on beside the deliveries: ${JSON.stringify(q)}`);
      assert.equal(p.workday.maxInFlight, 2);
      await h.executeUpdate(setConcurrencyUpdate, { args: [1] });
      // The fetch that was in flight beside the other ends (by the run's count: a page started
      // before the resize may not have reached Workday yet); from then on, one at a time.
      await until(
        async () => ((await progress(h)).pagesFetching ?? 0) <= 1 && p.workday.inFlight <= 1,
        'fetches down to 1',
      );
      p.workday.maxInFlight = p.workday.inFlight;
      await until(() => p.sink.waiting >= 8, 'more pages staged');
      assert.equal(p.workday.maxInFlight, 1, 'after the resize, one fetch at a time');
      p.sink.releaseDeliveries();
      const summary = await h.result();
      assert.equal(summary.status, 'COMPLETED');
      assert.equal(p.sink.rows.size, 120);
    });
  });

  test('continue-as-new waits for the pages in flight, and every page is fetched and delivered once', async () => {
    const p = fakePorts(60);
    p.workday.hold(2);
    await w.withWorkers(p, async () => {
      const h = await start(runInput(newId('can'), { concurrency: 2, pagesPerExecution: 2 }));
      await until(async () => (await progress(h)).pagesDone === 1, 'page 1 done');
      await sleep(500);
      const draining = await progress(h);
      assert.equal(draining.executions, 1, 'no continue-as-new while page 2 is in flight');
      assert.equal(draining.pagesInFlight, 1);
      assert.deepEqual(
        p.workday.pagesFetched().sort(),
        [1, 2],
        'the execution starts no page past its share',
      );

      p.workday.release(2);
      const summary = await h.result();
      assert.equal(summary.status, 'COMPLETED');
      assert.equal(summary.executions, 3);
      assert.equal(summary.pagesDone, 6);
      assert.equal(summary.workersFetched, 60);
      assert.ok(once(p), `each page fetched once: ${p.workday.pagesFetched()}`);
      assert.equal(p.sink.ledger.size, 6);
      assert.equal(p.sink.rows.size, 60);
      assert.equal(summary.perSink.memory?.inserted, 60);
    });
  });
});
