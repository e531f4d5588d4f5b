import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { startSync } from '../../src/runs/start';
import { workflowBundle } from '../../src/worker';
import {
  cancelSignal,
  pauseSignal,
  progressQuery,
  resumeSignal,
  setConcurrencyUpdate,
} from '../../src/workflows/messages';
import type { RunSummary } from '../../src/workflows/types';
import { createHarness, type Harness, sinkRows } from '../helpers/harness';
import { historyText } from '../helpers/history';

const WORKERS = 5000;
const WORKDAY_PASSWORD = `pw-${randomBytes(8).toString('hex')}`;

async function until(fn: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('full sync on a real Temporal dev server, PostgreSQL and the simulator', {
  timeout: 600_000,
}, () => {
  let h: Harness;
  const runs: string[] = [];
  let firstEntryMoment = '';
  before(async () => {
    // A distinctive password, so the history check below can look for it.
    h = await createHarness({ workers: WORKERS, simulator: { password: WORKDAY_PASSWORD } });
    await h.startInProcessWorkers();
  });
  after(async () => {
    await h?.close();
  });

  async function assertExactSnapshot(summary: RunSummary) {
    const expected = h.sim.admin.workersAsOf(summary.asOf);
    assert.equal(expected.length, summary.totalResults, 'the simulator snapshot holds every worker');
    const rows = await sinkRows(h.schema);
    assert.equal(rows.size, expected.length, 'PostgreSQL holds every worker exactly once');
    for (const w of expected) {
      const row = rows.get(w.wid);
      assert.ok(row, `worker ${w.wid} missing from PostgreSQL`);
      assert.deepEqual(
        row.record,
        JSON.parse(JSON.stringify(w)),
        `worker ${w.wid} differs from the simulator`,
      );
    }
    const lines = readFileSync(path.join(h.dir, 'jsonl', 'workers.jsonl'), 'utf8')
      .trim()
      .split('\n');
    assert.equal(lines.length, expected.length, 'workers.jsonl has one line per worker');
    const byWid = new Map(lines.map((l) => JSON.parse(l)).map((r: { wid: string }) => [r.wid, r]));
    assert.equal(byWid.size, expected.length, 'no duplicate worker in workers.jsonl');
    for (const w of expected) assert.deepEqual(byWid.get(w.wid), JSON.parse(JSON.stringify(w)));
  }

  test('lands exactly the pinned snapshot in PostgreSQL and JSONL while Workday churns', async () => {
    h.sim.admin.setChurnRate(200);
    const { runId, handle } = await startSync(h.client, h.cfg, { pageSize: 250, concurrency: 4 });
    runs.push(runId);
    const summary = await handle.result();
    h.sim.admin.setChurnRate(0);
    firstEntryMoment = summary.asOf.entryMoment;
    assert.equal(summary.status, 'COMPLETED');
    assert.equal(summary.pagesTotal, Math.ceil(summary.totalResults / 250));
    assert.equal(summary.workersFetched, summary.totalResults);
    assert.ok(summary.totalResults >= WORKERS);
    assert.equal(summary.reconciliation.ok, true);
    assert.equal(summary.perSink.postgres?.inserted, summary.totalResults);
    assert.ok(h.sim.admin.stats().requests >= 21, 'every page was fetched from the simulator');
    await assertExactSnapshot(summary);
  });

  test('a second run skips unchanged records and writes only what changed since the first', async () => {
    const after = Date.parse(firstEntryMoment);
    const changedSinceFirst = new Set(
      h.sim.admin
        .changeLog()
        .filter((c) => Date.parse(c.entryMoment) > after)
        .map((c) => c.wid),
    ).size;
    assert.ok(changedSinceFirst > 0, 'the simulator churned during the first run');
    const { runId, handle } = await startSync(h.client, h.cfg, { pageSize: 500, concurrency: 4 });
    runs.push(runId);
    const summary = await handle.result();
    assert.equal(summary.status, 'COMPLETED');
    const pg = summary.perSink.postgres!;
    assert.equal(pg.inserted + pg.updated + pg.unchanged, summary.totalResults);
    assert.ok(
      pg.inserted + pg.updated <= changedSinceFirst,
      `${pg.inserted + pg.updated} written, ${changedSinceFirst} changed`,
    );
    assert.ok(pg.unchanged >= summary.totalResults - changedSinceFirst, 'unchanged records are skipped');
    await assertExactSnapshot(summary);
  });

  test('continue-as-new with a small K still lands the exact snapshot', async () => {
    const { runId, handle } = await startSync(h.client, h.cfg, {
      pageSize: 400,
      concurrency: 3,
      pagesPerExecution: 4,
    });
    runs.push(runId);
    const summary = await handle.result();
    assert.equal(summary.status, 'COMPLETED');
    assert.equal(summary.pagesTotal, Math.ceil(summary.totalResults / 400));
    assert.ok(summary.pagesTotal >= 13);
    assert.ok(summary.executions >= 4, `expected at least 4 executions, got ${summary.executions}`);
    assert.equal(summary.workersFetched, summary.totalResults);
    await assertExactSnapshot(summary);
  });

  test('pause stops new page starts, resume finishes, setConcurrency bounds in-flight requests', async () => {
    h.sim.admin.setFaults({ latency: { baseMs: 400, perWorkerMs: 0, jitterMs: 0 } });
    try {
      const { runId, handle } = await startSync(h.client, h.cfg, { pageSize: 100, concurrency: 2 });
      runs.push(runId);
      await until(async () => (await handle.query(progressQuery)).pagesDone >= 2, 'two pages done');
      await handle.signal(pauseSignal);
      await until(
        async () => (await handle.query(progressQuery)).pagesInFlight === 0,
        'in-flight pages to drain',
      );
      const before = h.sim.admin.stats().requests;
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal(h.sim.admin.stats().requests, before, 'no Workday request while paused');
      assert.equal((await handle.query(progressQuery)).state, 'Paused');

      await assert.rejects(handle.executeUpdate(setConcurrencyUpdate, { args: [0] }), (err: Error) => {
        assert.match(
          String((err.cause as Error | undefined)?.message),
          /concurrency must be a whole number from 1 to 64/,
        );
        return true;
      });
      h.sim.admin.resetStats();
      assert.equal(await handle.executeUpdate(setConcurrencyUpdate, { args: [6] }), 2);
      await handle.signal(resumeSignal);
      await until(() => h.sim.admin.stats().requests >= 12, 'twelve requests after resume');
      const max = h.sim.admin.stats().maxInFlight;
      assert.ok(max <= 6 && max >= 4, `maxInFlight ${max} follows the new concurrency of 6`);
      await handle.executeUpdate(setConcurrencyUpdate, { args: [1] });
      // C bounds fetches; pages already staged may still be delivering beside them.
      await until(async () => (await handle.query(progressQuery)).pagesFetching! <= 1, 'fetches down to 1');
      h.sim.admin.resetStats();
      await until(() => h.sim.admin.stats().requests >= 3, 'three requests at concurrency 1');
      assert.equal(h.sim.admin.stats().maxInFlight, 1);
      await handle.executeUpdate(setConcurrencyUpdate, { args: [8] });
      const summary = await handle.result();
      assert.equal(summary.status, 'COMPLETED');
      assert.equal(summary.workersFetched, summary.totalResults);
    } finally {
      h.sim.admin.setFaults({ latency: { baseMs: 0, perWorkerMs: 0, jitterMs: 0 } });
    }
  });

  test('cancel ends the run CANCELLED with its counts after in-flight pages finish', async () => {
    h.sim.admin.setFaults({ latency: { baseMs: 300, perWorkerMs: 0, jitterMs: 0 } });
    try {
      h.sim.admin.resetStats();
      const { runId, handle } = await startSync(h.client, h.cfg, { pageSize: 100, concurrency: 2 });
      runs.push(runId);
      await until(async () => (await handle.query(progressQuery)).pagesDone >= 1, 'a page done');
      await handle.signal(cancelSignal);
      const summary = await handle.result();
      assert.equal(summary.status, 'CANCELLED');
      assert.ok(summary.pagesDone >= 1 && summary.pagesDone < summary.pagesTotal);
      assert.equal(summary.workersFetched, summary.pagesDone * 100);
      assert.equal(summary.pagesInFlight, 0);
      // Graceful: every page Workday was asked for (the in-flight ones at cancel included) was
      // finished and counted, and no page started after the cancel.
      const pagesAsked = h.sim.admin.requestLog().filter((r) => r.count === 100).length;
      assert.equal(pagesAsked, summary.pagesDone, 'pages asked of Workday = pages done');
      const delivered = summary.perSink.postgres;
      assert.equal(
        (delivered?.inserted ?? 0) + (delivered?.updated ?? 0) + (delivered?.unchanged ?? 0),
        summary.workersFetched,
        'every fetched worker reached PostgreSQL',
      );
    } finally {
      h.sim.admin.setFaults({ latency: { baseMs: 0, perWorkerMs: 0, jitterMs: 0 } });
    }
  });

  test('no worker data in any workflow history, and recorded histories replay cleanly', async () => {
    const expected = h.sim.admin.workersAsOf({
      entryMoment: new Date().toISOString(),
      effectiveDate: new Date().toISOString().slice(0, 10),
    });
    const needles = expected
      .slice(0, 400)
      .flatMap((w) => [w.personal?.legalName.formatted, w.personal?.workEmail, w.personal?.homeEmail])
      .filter((s): s is string => Boolean(s) && s!.length > 6);
    assert.ok(needles.length > 500);
    assert.equal(h.cfg.workday.password?.reveal(), WORKDAY_PASSWORD);
    needles.push(WORKDAY_PASSWORD);
    const histories = [];
    const runIdsSeen = new Set<string>();
    let pageSizesSeen = 0;
    for await (const wf of h.client.workflow.list({
      query: `WorkflowType = 'syncRun' OR WorkflowType = 'syncPage'`,
    })) {
      const history = await h.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      // Payload bytes decoded: JSON.stringify(history) would only show them base64-encoded.
      const text = historyText(history);
      for (const n of needles)
        assert.ok(!text.includes(n), `history of ${wf.workflowId} contains worker data or the password`);
      if (wf.type === 'syncRun') {
        for (const id of runs) if (text.includes(`"runId":"${id}"`)) runIdsSeen.add(id);
        if (text.includes('"pageSize"')) pageSizesSeen += 1;
      }
      histories.push({ workflowId: wf.workflowId, history });
    }
    assert.ok(histories.length > 40, `expected the runs' histories, got ${histories.length}`);
    // Control: the search sees payload contents, so the needles above could have been found.
    assert.deepEqual([...runIdsSeen].sort(), [...runs].sort(), 'every run id is found in a decoded payload');
    assert.ok(pageSizesSeen >= runs.length, 'payloads decoded: "pageSize" found in the run inputs');
    const bundle = await workflowBundle();
    let replayed = 0;
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
      assert.equal(r.error, undefined, `replay of ${r.workflowId} failed: ${r.error}`);
      replayed += 1;
    }
    assert.equal(replayed, histories.length);
  });
});
