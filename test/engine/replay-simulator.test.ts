/**
 * Issue 4, fault test 5 end to end, against the Workday simulator and through the real CLI
 * (`node bin/wdsync.cjs`): a page that always fails ends the run COMPLETED_WITH_FAILURES naming it;
 * after the fault is cleared, `wdsync replay <runId> --failed` makes both sinks exactly the
 * simulator's snapshot at the run's pinned as-of; replaying again changes nothing; `wdsync audit
 * worker` shows the worker's runs, pages, sinks, actions and hashes; argument errors are one line.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSync } from '../../src/runs/start';
import type { ReplaySummary } from '../../src/workflows/replay-types';
import type { RunSummary } from '../../src/workflows/types';
import { openDb } from '../../src/db/open';
import { createHarness, type Harness, PG_URL, sinkRows } from '../helpers/harness';
import { assertSinksHoldSnapshot } from '../helpers/snapshot';

const WORKERS = 1200;
const PAGE_SIZE = 100;
const FAILING_PAGE = 7;
const NO_FAULTS = { rules: [], latency: { baseMs: 0, perWorkerMs: 0, jitterMs: 0, slowTailRate: 0 } };

describe('replay --failed against the simulator, through the CLI', { timeout: 300_000 }, () => {
  let h: Harness;
  let runId: string;
  let summary: RunSummary;

  before(async () => {
    h = await createHarness({ workers: WORKERS });
    await h.startInProcessWorkers();
  });
  after(async () => {
    await h?.close();
  });

  test('a page that always fails ends the run COMPLETED_WITH_FAILURES naming it', async () => {
    h.sim.admin.setFaults({ ...NO_FAULTS, rules: [{ type: 'processing', pages: [FAILING_PAGE] }] });
    const started = await startSync(h.client, h.cfg, {
      pageSize: PAGE_SIZE,
      concurrency: 4,
      recovery: { passes: 0, cooldownSeconds: 1 },
      tuning: { workdayInitialIntervalMs: 100, workdayMaximumAttempts: 2 },
    });
    runId = started.runId;
    summary = await started.handle.result();
    assert.equal(summary.status, 'COMPLETED_WITH_FAILURES');
    assert.deepEqual(summary.failedPages, [FAILING_PAGE]);
    const rows = await sinkRows(h.schema);
    assert.equal(rows.size, WORKERS - PAGE_SIZE, 'everything but the failing page was delivered');
    assert.ok(
      [...rows.values()].every((r) => !r.removed),
      'a run with a failed page proves nothing absent: no worker is marked removed',
    );
    const db = await openDb(PG_URL);
    try {
      const wm = await db.query(`SELECT run_id FROM "${h.schema}".watermarks`);
      assert.equal(wm.rows.length, 0, 'a run with a failed page does not set the delta watermark');
    } finally {
      await db.close();
    }
    const r = await h.cli(['audit', 'run', runId, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const page = JSON.parse(r.stdout).pages.find((p: { page: number }) => p.page === FAILING_PAGE);
    assert.equal(page.status, 'failed');
    assert.ok(page.error, 'the page row carries the error');
    const fetched = JSON.parse(r.stdout).pages.find((p: { page: number }) => p.page === 1);
    assert.equal(fetched.rows, PAGE_SIZE);
    assert.ok(fetched.totalPages > 1, 'the page row carries Total_Pages');
    assert.ok(fetched.endedAt, 'a fetched page has an end time, so `audit run` shows its duration');
    assert.ok(Date.parse(fetched.endedAt) >= Date.parse(fetched.startedAt));
  });

  test('after the fault is cleared, `wdsync replay --failed` makes the sinks exact', async () => {
    h.sim.admin.setFaults(NO_FAULTS);
    h.sim.admin.resetStats();
    const r = await h.cli(['replay', runId, '--failed', '--wait', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout.trim().split('\n').pop()!) as ReplaySummary;
    assert.equal(s.status, 'COMPLETED');
    assert.deepEqual(s.pagesReplayed, [FAILING_PAGE]);
    assert.deepEqual(s.pagesRefetched, [FAILING_PAGE]);
    assert.equal(s.perSink.postgres?.inserted, PAGE_SIZE);
    assert.equal(h.sim.admin.stats().requests, 1, 'one Workday request: the failed page, nothing else');
    await assertSinksHoldSnapshot(h, summary);
  });

  test('replaying again changes nothing', async () => {
    const before = await sinkRows(h.schema);
    const file = readFileSync(path.join(h.dir, 'jsonl', 'workers.jsonl'));
    h.sim.admin.resetStats();
    const r = await h.cli(['replay', runId, '--failed', '--wait', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout.trim().split('\n').pop()!) as ReplaySummary;
    assert.equal(s.status, 'COMPLETED');
    assert.equal(s.perSink.postgres?.inserted, 0);
    assert.equal(s.perSink.postgres?.updated, 0);
    assert.equal(s.perSink.postgres?.alreadyDelivered, 1);
    assert.equal(h.sim.admin.stats().requests, 0, 'served from staging');
    assert.deepEqual(await sinkRows(h.schema), before);
    assert.deepEqual(readFileSync(path.join(h.dir, 'jsonl', 'workers.jsonl')), file);
    await assertSinksHoldSnapshot(h, summary);
  });

  test('`wdsync audit worker` shows the runs, pages and sinks that touched a worker', async () => {
    const w = h.sim.admin.workersAsOf(summary.asOf)[(FAILING_PAGE - 1) * PAGE_SIZE + 3]!;
    const r = await h.cli(['audit', 'worker', w.workerId]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Worker ${w.wid} \\(${w.workerId}\\)`));
    assert.match(
      r.stdout,
      new RegExp(`${runId}/replay-\\S+\\s+replay\\s+${FAILING_PAGE}\\s+postgres\\s+inserted\\s+[0-9a-f]{12}`),
    );
    assert.match(
      r.stdout,
      new RegExp(`${runId}/replay-\\S+\\s+replay\\s+${FAILING_PAGE}\\s+files\\s+inserted`),
    );
    const j = JSON.parse((await h.cli(['audit', 'worker', w.wid, '--json'])).stdout);
    assert.deepEqual([...new Set(j.events.map((e: { sink: string }) => e.sink))].sort(), [
      'files',
      'postgres',
    ]);
  });

  test('argument errors are one line with a non-zero exit', async () => {
    for (const args of [
      ['replay', runId],
      ['replay', runId, '--failed', '--worker', 'x'],
      ['replay', runId, '--pages', '0'],
      ['dead-letters', 'release'],
    ]) {
      const r = await h.cli(args);
      assert.equal(r.code, 1, `${args.join(' ')} exits 1`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${args.join(' ')}: one line, got:\n${r.stderr}`);
      assert.match(r.stderr, /^wdsync: error: /);
    }
  });
});
