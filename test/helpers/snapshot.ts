import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AsOf } from '../../src/domain/as-of';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import { type StartOptions, startSync } from '../../src/runs/start';
import type { RunSummary } from '../../src/workflows/types';
import { type Harness, sinkRows } from './harness';

/**
 * Invariant 3: the sinks hold exactly the run's pinned snapshot — every worker once, field values
 * equal to the simulator's truth, no stale version, nothing extra.
 */
export async function assertSinksHoldSnapshot(
  h: Harness,
  summary: RunSummary,
  opts: { jsonl?: boolean } = {},
) {
  const expected = h.sim.admin.workersAsOf(summary.asOf);
  const rows = await sinkRows(h.schema);
  const live = [...rows.entries()].filter(([, r]) => !r.removed);
  assert.equal(
    live.length,
    expected.length,
    `PostgreSQL holds ${live.length} workers, the snapshot ${expected.length}`,
  );
  for (const w of expected) {
    const row = rows.get(w.wid);
    assert.ok(row && !row.removed, `worker ${w.wid} missing from PostgreSQL`);
    assert.deepEqual(row.record, JSON.parse(JSON.stringify(w)), `worker ${w.wid} differs from the simulator`);
  }
  if (opts.jsonl === false) return;
  const lines = readFileSync(path.join(h.dir, 'jsonl', 'workers.jsonl'), 'utf8')
    .trim()
    .split('\n');
  const byWid = new Map(lines.map((l) => JSON.parse(l) as { wid: string }).map((r) => [r.wid, r]));
  assert.equal(lines.length, byWid.size, 'no duplicate line in workers.jsonl');
  assert.equal(byWid.size, expected.length, 'workers.jsonl has one line per worker');
  for (const w of expected) assert.deepEqual(byWid.get(w.wid), JSON.parse(JSON.stringify(w)));
}

export async function until(fn: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The simulator's now, pinned the way a run pins it (its tenant is at -08:00 unless told). */
export function pinSimNow(h: Harness, tzOffsetMs = -8 * 3_600_000): AsOf {
  const entryMoment = h.sim.admin.clock.now();
  return {
    entryMoment,
    effectiveDate: new Date(Date.parse(entryMoment) + tzOffsetMs).toISOString().slice(0, 10),
  };
}

/** A run pinned a minute after the simulator's now (its clock frozen), to its summary. */
export async function runPinned(h: Harness, opts: Omit<StartOptions, 'asOf'>): Promise<RunSummary> {
  h.sim.admin.clock.advance(60_000);
  const { handle } = await startSync(h.client, h.cfg, {
    pageSize: 100,
    concurrency: 3,
    asOf: pinSimNow(h),
    ...opts,
  });
  return handle.result();
}

/**
 * Terminates the first of the workers (as of the simulator's now) that `pick` accepts and the
 * simulator lets go (an org head is never terminated); returns its WID.
 */
export function terminateOne(
  h: Harness,
  pick: (w: NormalizedWorker) => boolean | undefined,
  effectiveDate?: string,
): string {
  const wid = h.sim.admin
    .workersAsOf(pinSimNow(h))
    .filter(pick)
    .map((w) => w.wid)
    .find((wid) => {
      try {
        h.sim.admin.hrCase({ case: 'terminate', wid, ...(effectiveDate ? { effectiveDate } : {}) });
        return true;
      } catch {
        return false; // an org head
      }
    });
  if (!wid) throw new Error('no worker to terminate');
  return wid;
}
