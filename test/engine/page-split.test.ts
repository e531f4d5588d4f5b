/**
 * Adaptive page split (issue 17, item 4), end to end: real Temporal dev server, the simulator with
 * a response-size limit, real PostgreSQL and JSONL sinks. 2,950 workers at Count 999 are pages of
 * about 15.7 MB (the last, 952 workers, about 15 MB); the tenant refuses every one of them, and
 * the run still ends exact with no manual step, every page kept its number, and the audit says
 * how each was split.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Deps } from '../../src/deps';
import { rowsOf } from '../../src/domain/page-split';
import type { RequestLogEntry } from '../../src/simulator/stats';
import type { ReplaySummary } from '../../src/workflows/replay-types';
import { createHarness, type Harness } from '../helpers/harness';
import { assertSinksHoldSnapshot, runPinned } from '../helpers/snapshot';

const WORKERS = 2950;
const PAGE = 999;

/** The simulator's answered requests for pages (the one-row count request left out). */
const pageRequests = (h: Harness): RequestLogEntry[] =>
  h.sim.admin.requestLog().filter((r) => r.count !== undefined && r.count > 1);

/** Rows each successful request covered, checked to tile the snapshot once, in order. */
function assertRowsCoveredOnce(ok: RequestLogEntry[]) {
  const ranges = ok
    .map((r) => rowsOf({ page: r.page!, count: r.count! }))
    .map((x) => ({ first: x.first, end: Math.min(x.end, WORKERS) }))
    .sort((a, b) => a.first - b.first);
  let at = 0;
  for (const r of ranges) {
    assert.equal(r.first, at, `rows from ${at} asked for exactly once`);
    at = r.end;
  }
  assert.equal(at, WORKERS, 'every row of the snapshot was asked for');
}

for (const scenario of [
  {
    name: 'a size fault: each 999-worker page comes as three Count 333 pages',
    limit: { maxBytes: 8_000_000, mode: 'fault' as const },
  },
  {
    name: 'a connection cut mid-body, three times: pages split, and split again',
    limit: { maxBytes: 3_000_000, mode: 'reset' as const },
  },
]) {
  describe(scenario.name, { timeout: 600_000 }, () => {
    let h: Harness;
    let deps: Deps;
    before(async () => {
      h = await createHarness({
        workers: WORKERS,
        simulator: { clockFrozen: true, faults: { responseLimit: scenario.limit } },
      });
      ({ deps } = await h.startInProcessWorkers());
    });
    after(async () => {
      await h?.close();
    });

    test('the run completes exact; the audit shows each page and how it was split', async () => {
      const concurrency = 2;
      const summary = await runPinned(h, {
        pageSize: PAGE,
        concurrency,
        recovery: { passes: 0, cooldownSeconds: 1 },
        tuning: { workdayInitialIntervalMs: 100, workdayMaximumAttempts: 3 },
      });
      assert.equal(summary.status, 'COMPLETED', JSON.stringify(summary.sinkFailures));
      assert.deepEqual(summary.failedPages, []);
      assert.equal(summary.pagesTotal, 3, 'the run planned its own three pages');
      assert.equal(summary.workersFetched, WORKERS);
      assert.deepEqual(summary.totalsMismatch, []);
      assert.ok(summary.reconciliation.ok, JSON.stringify(summary.reconciliation));
      await assertSinksHoldSnapshot(h, summary);

      const log = pageRequests(h);
      const ok = log.filter((r) => r.outcome === 'ok');
      const refused = log.filter((r) => r.outcome === 'too_large');
      assert.ok(
        refused.some((r) => r.count === PAGE),
        'the tenant refused the 999-worker pages',
      );
      assert.ok(
        ok.every((r) => r.count! < PAGE),
        'no page came whole',
      );
      assertRowsCoveredOnce(ok);
      // One Workday request per page at a time: the split never widens the run's concurrency.
      assert.ok(
        h.sim.admin.stats().maxInFlight <= concurrency,
        `maxInFlight ${h.sim.admin.stats().maxInFlight}`,
      );

      const pages = await deps.audit.runPages(summary.runId);
      assert.deepEqual(
        pages.map((p) => [p.page, p.status, p.rows]),
        [
          [1, 'fetched', 999],
          [2, 'fetched', 999],
          [3, 'fetched', 952],
        ],
        'the pages keep their numbers and their rows',
      );
      for (const p of pages) {
        assert.ok(p.split, `page ${p.page} records its split`);
        assert.match(p.split.reason, scenario.limit.mode === 'fault' ? /too large/ : /cut off mid-body/);
        assert.equal(
          p.split.parts.reduce((n, x) => n + x.rows, 0),
          p.rows,
          `the parts of page ${p.page} add up to it`,
        );
        const first = rowsOf({ page: p.page, count: PAGE }).first;
        assert.equal(rowsOf(p.split.parts[0]!).first, first, `page ${p.page}'s parts start on its first row`);
      }
      if (scenario.limit.mode === 'fault') {
        assert.deepEqual(
          pages[2]!.split!.parts.map((x) => [x.page, x.count, x.rows]),
          [
            [7, 333, 333],
            [8, 333, 333],
            [9, 333, 286],
          ],
          'the last page: Count 333 pages 7..9, the last one short',
        );
        for (const p of pages) assert.deepEqual(p.split!.resplit, []);
        assert.equal(refused.length, 3, 'each 999-worker page refused once, not retried');
      } else {
        // 333 workers are about 5.2 MB, still over 3 MB: split again, into Count 111.
        for (const p of pages) {
          assert.ok(p.split!.resplit.length > 0, `page ${p.page} was split twice`);
          assert.ok(p.split!.parts.every((x) => x.count === 111));
        }
        assert.deepEqual(
          pages[2]!.split!.parts.slice(-3).map((x) => [x.page, x.rows]),
          [
            [25, 111],
            [26, 111],
            [27, 64],
          ],
          'the last page ends mid-request',
        );
        // A cut counts as a size refusal on the third attempt, not the first.
        assert.equal(refused.filter((r) => r.count === PAGE && r.page === 1).length, 3);
      }
      // The smaller requests' staging went with the join; only the run's own pages are staged.
      const staged = await deps.activities.staging.listRuns();
      assert.deepEqual(
        staged.filter((r) => r.runId.startsWith(summary.runId)).map((r) => r.runId),
        [summary.runId],
      );

      const cli = await h.cli(['audit', 'run', summary.runId]);
      assert.equal(cli.code, 0, cli.stderr);
      assert.match(
        cli.stdout,
        scenario.limit.mode === 'fault'
          ? /page 3 split into 3 × Count 333 \(pages 7–9\)/
          : /page 3 split into 9 × Count 111 \(pages 19–27\); split again: 3/,
      );
      if (scenario.limit.mode === 'fault') {
        // `wdsync replay --refetch` of the last page splits it the same way, with no manual step.
        h.sim.admin.resetStats();
        const replay = await h.cli([
          'replay',
          summary.runId,
          '--pages',
          '3',
          '--refetch',
          '--wait',
          '--json',
        ]);
        assert.equal(replay.code, 0, replay.stderr);
        const rs = JSON.parse(replay.stdout.trim().split('\n').pop()!) as ReplaySummary;
        assert.equal(rs.status, 'COMPLETED', JSON.stringify(rs.stillFailing));
        assert.deepEqual(rs.pagesRefetched, [3]);
        assert.deepEqual(
          pageRequests(h).map((r) => [r.page, r.count, r.outcome]),
          [
            [3, 999, 'too_large'],
            [7, 333, 'ok'],
            [8, 333, 'ok'],
            [9, 333, 'ok'],
          ],
        );
        await assertSinksHoldSnapshot(h, summary);
      }
    });
  });
}
