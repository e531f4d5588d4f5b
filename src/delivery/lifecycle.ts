import type { AuditPort, HeldActionsPort, RecordEvent, StoredHeldAction } from '../activities/ports';
import type { NormalizedWorker } from '../domain/worker-record';
import { ErrorType, TypedError } from '../errors/types';
import { type HeldReview, limitsFor, review, type SafetyPolicy } from '../safety/breaker';
import type { HeldAction, LifecycleItem, RecordFailure, Sink } from '../sinks/types';
import type { StagingStore } from '../staging/types';
import { StagingMissingError } from '../staging/types';

/**
 * Terminations and removals in business-system sinks, behind the circuit breaker. A sync run's
 * destructive actions are held per sink (held_actions) as its pages are delivered and its end
 * finds removals; at the end they are counted against the sink's limits and applied, or kept
 * until an operator approves or rejects them. Replays, releases and `explain --apply` apply
 * them at once. One path for every sink that has lifecycle hooks.
 */

export type LifecyclePorts = {
  sinks: ReadonlyMap<string, Sink>;
  audit: Pick<AuditPort, 'recordEvents' | 'addSinkDeadLetters' | 'absentFromRun'>;
  held?: HeldActionsPort;
  staging?: Pick<StagingStore, 'getRecords'>;
  safety?: SafetyPolicy;
};

/** Hold (a sync run: the breaker decides at its end) or apply at once (everything else). */
export type DestructiveMode = 'hold' | 'apply';

const APPLY_BATCH = 500;

function heldStore(ports: LifecyclePorts): HeldActionsPort {
  if (!ports.held)
    throw new TypedError(
      ErrorType.Config,
      'a sink with terminations or removals needs the held-actions store; build the worker with buildDeps',
    );
  return ports.held;
}

function lifecycleOf(sink: Sink) {
  if (!sink.lifecycle)
    throw new TypedError(ErrorType.Config, `sink ${sink.name} has no terminations or removals to apply`);
  return sink.lifecycle;
}

interface Applied {
  done: (LifecycleItem & { page: number })[];
  failures: RecordFailure[];
}

/**
 * Applies actions through the sink's hooks and audits each: an applied termination is the
 * record delivered (its hash, so the next run skips it), an applied removal a 'removed' event.
 * A termination the target refuses is a dead letter of the sink; its record is staged.
 */
async function applyItems(
  ports: LifecyclePorts,
  sink: Sink,
  o: { auditRunId: string; stagingRunId: string; asOfEntry: string; heartbeat?: () => void },
  items: (LifecycleItem & { page: number })[],
): Promise<Applied> {
  if (items.length === 0) return { done: [], failures: [] };
  const r = await lifecycleOf(sink).apply({ asOfEntry: o.asOfEntry, heartbeat: o.heartbeat }, items);
  const done = new Set(r.done);
  const applied = items.filter((i) => done.has(i.wid));
  const events: RecordEvent[] = applied.map((i) =>
    i.event === 'termination'
      ? {
          runId: o.auditRunId,
          page: i.page,
          wid: i.wid,
          workerId: i.workerId,
          sink: sink.name,
          action: 'updated',
          hash: i.hash,
        }
      : {
          runId: o.auditRunId,
          page: 0,
          wid: i.wid,
          workerId: i.workerId,
          sink: sink.name,
          action: 'removed',
        },
  );
  if (events.length) await ports.audit.recordEvents(events);
  const byWid = new Map(items.map((i) => [i.wid, i]));
  const refusedTerminations = new Map<number, (RecordFailure & { workerId?: string })[]>();
  for (const f of r.failures) {
    const i = byWid.get(f.wid);
    if (i?.event !== 'termination' || !i.record) continue;
    const list = refusedTerminations.get(i.page) ?? [];
    list.push({ ...f, workerId: i.workerId });
    refusedTerminations.set(i.page, list);
  }
  for (const [page, list] of refusedTerminations)
    await ports.audit.addSinkDeadLetters?.(sink.name, { runId: o.stagingRunId, page }, o.auditRunId, list);
  return { done: applied, failures: r.failures };
}

/**
 * A delivered page's destructive actions: held under the run (mode 'hold'), or applied now with
 * the page's records. Returns the WIDs applied now.
 */
export async function holdOrApply(
  ports: LifecyclePorts,
  d: {
    sink: Sink;
    mode: DestructiveMode;
    auditRunId: string;
    stagingRunId: string;
    page: number;
    asOfEntry: string;
    held: HeldAction[];
    records: NormalizedWorker[];
    heartbeat?: () => void;
  },
): Promise<Applied> {
  if (d.mode === 'hold') {
    await heldStore(ports).hold(d.sink.name, d.auditRunId, d.page, d.held);
    return { done: [], failures: [] };
  }
  const records = new Map(d.records.map((r) => [r.wid, r]));
  return applyItems(
    ports,
    d.sink,
    d,
    d.held.map((h) => ({ ...h, page: d.page, record: records.get(h.wid) })),
  );
}

/**
 * A complete full run's removals on a sink that keeps no ledger (its audit trail says what it
 * holds): the workers the run did not see, as the mapping's onRemoval asks, for those the target
 * still holds. Held for the breaker like terminations. Returns how many.
 */
export async function holdRemovals(ports: LifecyclePorts, f: { sink: Sink; runId: string }): Promise<number> {
  const lifecycle = f.sink.lifecycle;
  if (!lifecycle || !ports.audit.absentFromRun) return 0;
  const absent = await ports.audit.absentFromRun(f.sink.name, f.runId);
  if (absent.length === 0) return 0;
  const actions = await lifecycle.removals(absent);
  await heldStore(ports).hold(f.sink.name, f.runId, 0, actions);
  return actions.length;
}

/** The breaker on what a run holds for a sink; undefined when it holds nothing. */
export async function reviewHeld(
  ports: LifecyclePorts,
  r: { sink: Sink; runId: string },
): Promise<HeldReview | undefined> {
  if (!r.sink.lifecycle || !ports.held) return undefined;
  const counts = await ports.held.counts(r.sink.name, r.runId);
  if (counts.deactivate + counts.delete === 0) return undefined;
  const holds = await r.sink.lifecycle.count();
  return review(counts, holds, limitsFor(ports.safety, r.sink.name));
}

/**
 * Applies what a run holds for a sink, in batches: terminations with their staged records,
 * removals by key. Each batch is marked as it lands, so a retried activity goes on where the
 * last one stopped. Actions the target refuses are marked failed with its code.
 */
export async function applyHeld(
  ports: LifecyclePorts,
  a: { sink: Sink; runId: string; asOfEntry: string; by?: string; heartbeat?: () => void },
): Promise<{ applied: number; failed: number }> {
  const store = heldStore(ports);
  let applied = 0;
  let failed = 0;
  let after = 0;
  for (;;) {
    const batch = await store.list(a.sink.name, a.runId, after, APPLY_BATCH);
    if (batch.length === 0) break;
    after = batch[batch.length - 1]!.id;
    const items = await withRecords(ports, a.runId, batch);
    const r = await applyItems(ports, a.sink, { ...a, auditRunId: a.runId, stagingRunId: a.runId }, items);
    a.heartbeat?.();
    const ids = new Map(batch.map((b) => [b.wid, b.id]));
    applied += await store.decide(
      r.done.map((d) => ids.get(d.wid)!),
      'applied',
      { by: a.by },
    );
    for (const f of r.failures) {
      const id = ids.get(f.wid);
      if (id !== undefined)
        failed += await store.decide([id], 'failed', { by: a.by, error: `${f.code}: ${f.message}` });
    }
  }
  return { applied, failed };
}

/** Skips what a run holds for a sink; the rows keep who rejected it and when. */
export async function rejectHeld(
  ports: LifecyclePorts,
  r: { sink: Sink; runId: string; by: string },
): Promise<{ rejected: number }> {
  return { rejected: await heldStore(ports).decideAll(r.sink.name, r.runId, 'rejected', r.by) };
}

/** Terminations get their records back from staging (a page cleaned up since: without one). */
async function withRecords(
  ports: LifecyclePorts,
  runId: string,
  batch: StoredHeldAction[],
): Promise<(LifecycleItem & { page: number })[]> {
  const pages = new Map<number, Map<string, NormalizedWorker>>();
  for (const b of batch) {
    if (b.event !== 'termination' || pages.has(b.page) || !ports.staging) continue;
    try {
      const records = await ports.staging.getRecords({ runId, page: b.page });
      pages.set(b.page, new Map(records.map((r) => [r.wid, r])));
    } catch (err) {
      if (!(err instanceof StagingMissingError)) throw err;
      pages.set(b.page, new Map());
    }
  }
  return batch.map(({ id: _id, ...b }) => ({ ...b, record: pages.get(b.page)?.get(b.wid) }));
}
