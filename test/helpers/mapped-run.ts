import type { NormalizedWorker } from '../../src/domain/worker-record';
import type { MappedRecord, Mapping } from '../../src/mapping/mapping-file';
import { type StartOptions, startSync } from '../../src/runs/start';
import { type Harness, sinkRows } from './harness';
import { pinSimNow } from './snapshot';

/**
 * A run of the business-target tests, started: the frozen Workday clock moves a minute on and the
 * run is pinned to that moment.
 */
export async function startPinned(h: Harness, opts: Omit<StartOptions, 'asOf'> = {}) {
  h.sim.admin.clock.advance(60_000);
  const { handle } = await startSync(h.client, h.cfg, {
    pageSize: 100,
    concurrency: 3,
    asOf: pinSimNow(h),
    ...opts,
  });
  return handle;
}

/** A pinned run of the business-target tests, to its summary. */
export async function runPinned(h: Harness, opts: Omit<StartOptions, 'asOf'> = {}) {
  return (await startPinned(h, opts)).result();
}

/** The ground truth: every worker the PostgreSQL sink holds, with what the mapping makes of it. */
export async function mappedWorkers(
  h: Harness,
  mapping: Mapping,
): Promise<Map<string, { record: NormalizedWorker; m: MappedRecord }>> {
  const out = new Map<string, { record: NormalizedWorker; m: MappedRecord }>();
  for (const [wid, row] of await sinkRows(h.schema)) {
    const record = row.record as unknown as NormalizedWorker;
    out.set(wid, { record, m: await mapping.map(record) });
  }
  return out;
}

type Truth = Map<string, { record: NormalizedWorker; m: MappedRecord }>;

/**
 * The workers a delta must write to a mapped target: those whose record changed between the two
 * truths and that are in scope, or terminated while the target holds them. Each must be among
 * `churned` (the simulator's churn), or the engine saw a change that never happened.
 */
export function mustWrite(
  before: Truth,
  after: Truth,
  held: { has(wid: string): boolean },
  churned: Set<string>,
): Set<string> {
  const out = new Set<string>();
  for (const [wid, w] of after) {
    if (JSON.stringify(before.get(wid)?.record) === JSON.stringify(w.record)) continue;
    if (w.m.terminated ? held.has(wid) : w.m.inScope) out.add(wid);
  }
  if (out.size === 0) throw new Error('the churn changed no in-scope worker; churn more');
  for (const wid of out) if (!churned.has(wid)) throw new Error(`${wid} changed without churn`);
  return out;
}
