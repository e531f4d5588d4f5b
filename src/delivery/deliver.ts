import type { AuditPort } from '../activities/ports';
import type { PageKey } from '../domain/page';
import type { DeliveryResult, FinalizeContext, RecordOutcome, Sink } from '../sinks/types';
import { selectSinks } from '../sinks/names';
import type { NormalizedWorker } from '../domain/worker-record';
import { type DestructiveMode, holdOrApply, holdRemovals, type LifecyclePorts } from './lifecycle';

export type DeliveryPorts = LifecyclePorts & {
  audit: Pick<
    AuditPort,
    | 'lastDeliveredHashes'
    | 'newestSnapshots'
    | 'runResponseGroups'
    | 'recordEvents'
    | 'runEffectiveDate'
    | 'addSinkDeadLetters'
    | 'absentFromRun'
    | 'closeSinkDeadLetters'
  >;
};

/** One batch of records to one sink: a staged page, part of one, or a released dead letter. */
export interface Delivery {
  sink: string;
  records: NormalizedWorker[];
  /** The key the sink's ledger records this delivery under; a second delivery of it is a no-op. */
  ledger: PageKey;
  /** The run that fetched the records: its response groups say which sections they carry. */
  sourceRunId: string;
  /** The run id the audit events go under (the run itself, a replay, a release). */
  auditRunId: string;
  /** The run's pinned entry moment; a sink never lets an older snapshot replace a newer one. */
  asOfEntry: string;
  /**
   * What to audit when the ledger already holds the key: what the first delivery did (a retry
   * after a crash between the sink's commit and the audit write), or nothing (the key belongs to
   * an earlier delivery that audited itself).
   */
  whenAlreadyDelivered: 'record-previous' | 'record-nothing';
  /**
   * Deactivations and deletions the sink asks for: held for the run's circuit breaker (sync runs),
   * or applied now (default: replays, releases, explain --apply).
   */
  destructive?: DestructiveMode;
  /** Where the records are staged (a refused one's dead letter points there); default (sourceRunId, page). */
  staged?: PageKey;
  heartbeat?: () => void;
}

/** The sink named, or a SinkNotConfigured error that says how to fix it. */
export function sinkNamed(sinks: ReadonlyMap<string, Sink>, name: string): Sink {
  selectSinks(sinks.keys(), [name], 'worker');
  return sinks.get(name)!;
}

/**
 * The delivery core: every path that writes records to a sink (sync, replay, dead-letter release)
 * goes through here, so each gets the run's response groups, the sink's delivered hashes when it
 * needs them, and one audit event per record.
 */
export async function deliver(ports: DeliveryPorts, d: Delivery): Promise<DeliveryResult> {
  const sink = sinkNamed(ports.sinks, d.sink);
  const { current, stale } = await newerSnapshotsAside(ports, sink, d);
  const deliveredHashes = sink.capabilities.comparesHashes
    ? undefined
    : await ports.audit.lastDeliveredHashes(
        d.sink,
        current.map((r) => r.wid),
      );
  const responseGroups = await ports.audit.runResponseGroups?.(d.sourceRunId);
  const asOfEffective = await ports.audit.runEffectiveDate?.(d.sourceRunId);
  const res = await sink.deliverPage(
    {
      key: d.ledger,
      sourceRunId: d.sourceRunId,
      asOfEntry: d.asOfEntry,
      asOfEffective,
      heartbeat: d.heartbeat,
      deliveredHashes,
      responseGroups,
    },
    current,
  );
  // Held back: the target keeps what the newer snapshot gave it, and the audit says so.
  if (stale.length && !res.alreadyDelivered) {
    res.unchanged += stale.length;
    res.outcomes = [...res.outcomes, ...stale];
  }
  const staged = d.staged ?? { runId: d.sourceRunId, page: d.ledger.page };
  const ids = new Map(d.records.map((r) => [r.wid, r.workerId]));
  const failures = [...(res.failures ?? [])];
  const outcomes: RecordOutcome[] = res.alreadyDelivered
    ? d.whenAlreadyDelivered === 'record-previous'
      ? (res.previousOutcomes ?? [])
      : []
    : res.outcomes;
  if (res.held?.length) {
    const applied = await holdOrApply(ports, {
      sink,
      mode: d.destructive ?? 'apply',
      auditRunId: d.auditRunId,
      stagingRunId: staged.runId,
      page: d.ledger.page,
      asOfEntry: d.asOfEntry,
      held: res.held,
      records: d.records,
      heartbeat: d.heartbeat,
    });
    // Applied now: audited by the lifecycle core; counted here as the updates they are.
    res.updated += applied.done.length;
    failures.push(...applied.failures.filter((f) => !failures.some((x) => x.wid === f.wid)));
  }
  if (res.failures?.length) {
    await ports.audit.addSinkDeadLetters?.(
      d.sink,
      staged,
      d.auditRunId,
      res.failures.map((f) => ({ ...f, workerId: ids.get(f.wid) })),
    );
  }
  if (outcomes.length && !res.alreadyDelivered) {
    // A record that reaches the sink closes the letters of its earlier refusals there: releasing
    // one later would write an older version over it.
    await ports.audit.closeSinkDeadLetters?.(
      d.sink,
      res.outcomes.map((o) => o.wid),
    );
  }
  if (outcomes.length) {
    await ports.audit.recordEvents(
      outcomes.map((o) => ({
        runId: d.auditRunId,
        page: d.ledger.page,
        wid: o.wid,
        workerId: ids.get(o.wid),
        sink: d.sink,
        action: o.action,
        hash: o.hash,
        asOfEntry: d.asOfEntry,
      })),
    );
  }
  // A retry that found its page delivered under this run reports what that delivery did.
  const counts = res.alreadyDelivered && outcomes.length ? countOutcomes(outcomes) : {};
  return { ...res, ...counts, outcomes, ...(failures.length ? { failures } : {}) };
}

function countOutcomes(
  outcomes: RecordOutcome[],
): Pick<DeliveryResult, 'inserted' | 'updated' | 'unchanged'> {
  const c = { inserted: 0, updated: 0, unchanged: 0 };
  for (const o of outcomes) if (o.action in c) c[o.action as keyof typeof c]++;
  return c;
}

/**
 * The newest-snapshot rule for targets without a marker of ours on each record: a record whose
 * WID reached this sink from a newer snapshot (delivered, or confirmed unchanged and so never
 * written) is not sent, whatever its hash says; it is audited unchanged with the hash the target
 * holds. Runs of one tenant may overlap, and their pages arrive in any order.
 */
async function newerSnapshotsAside(
  ports: DeliveryPorts,
  sink: Sink,
  d: Delivery,
): Promise<{ current: NormalizedWorker[]; stale: RecordOutcome[] }> {
  if (!sink.capabilities.snapshotsFromAudit || !ports.audit.newestSnapshots)
    return { current: d.records, stale: [] };
  const newest = await ports.audit.newestSnapshots(
    d.sink,
    d.records.map((r) => r.wid),
  );
  const at = Date.parse(d.asOfEntry);
  const current: NormalizedWorker[] = [];
  const stale: RecordOutcome[] = [];
  for (const r of d.records) {
    const n = newest.get(r.wid);
    if (n && Date.parse(n.asOfEntry) > at) stale.push({ wid: r.wid, action: 'unchanged', hash: n.hash });
    else current.push(r);
  }
  return { current, stale };
}

/**
 * The end of a run (or replay, or release) on one sink: the sink publishes or merges what it
 * received and, for a complete full run, marks absent workers removed. The removals are audited
 * here, one event each, and only their count goes back to the workflow.
 */
export async function finalizeDelivery(
  ports: DeliveryPorts,
  f: { sink: string; ctx: FinalizeContext; auditRunId: string; destructive?: DestructiveMode },
): Promise<{ removed: number }> {
  const sink = sinkNamed(ports.sinks, f.sink);
  // A sink with lifecycle hooks keeps no removal marks of its own: a complete full sync run finds
  // them in its audit trail and holds them for the breaker. (Replays and releases deliver under
  // other run ids, so the trail cannot tell their absentees; they leave removals to the next run.)
  const removals =
    f.destructive === 'hold' && f.ctx.complete && f.ctx.mode === 'full'
      ? await holdRemovals(ports, { sink, runId: f.ctx.runId })
      : 0;
  if (!sink.finalizeRun) return { removed: removals };
  const r = await sink.finalizeRun(f.ctx);
  if (r.removedWids?.length) {
    await ports.audit.recordEvents(
      r.removedWids.map((wid) => ({
        runId: f.auditRunId,
        page: 0,
        wid,
        sink: f.sink,
        action: 'removed' as const,
      })),
    );
  }
  return { removed: r.removed + removals };
}

/** What a workflow learns of a delivery: counts only. */
export const deliveryTotals = (r: DeliveryResult) => ({
  inserted: r.inserted,
  updated: r.updated,
  unchanged: r.unchanged,
  alreadyDelivered: r.alreadyDelivered,
  // Records the target refused one by one; their codes and messages stay in the DeliveryResult.
  ...(r.failures?.length ? { failed: r.failures.length } : {}),
});
