import type { NormalizedWorker } from '../domain/worker-record';
import type { Mapping } from '../mapping/mapping-file';
import type { Held, PlannedWrite } from './mapped-plan';
import type { LifecycleItem, RecordFailure, SinkLifecycle } from './types';

/**
 * The lifecycle hooks of a mapped business target (Zendesk, Dataverse): terminations and removals
 * the delivery core decided to apply, behind the run's circuit breaker. What a removal is, which
 * records are still there to act on and what a newer snapshot already wrote is the same for every
 * target; each sink supplies only how it looks records up, writes the actions and counts.
 */
export function mappedLifecycle<H extends Held>(o: {
  mapping: Mapping;
  /** The records the target holds for these match keys. */
  lookup: (keys: string[]) => Promise<Map<string, H>>;
  /** Writes deactivations and deletions: the WIDs done (or found gone) and the ones refused. */
  write: (
    writes: PlannedWrite<H>[],
    ctx: { asOfEntry: string; heartbeat?: () => void },
  ) => Promise<{ done: string[]; failures: RecordFailure[] }>;
  count: () => Promise<number>;
}): SinkLifecycle {
  const file = o.mapping.file;
  const keyOf = (a: { wid: string; workerId?: string }) =>
    file.matchKey.from === 'wid' ? a.wid : a.workerId;

  return {
    async removals(absent) {
      const action = file.actions.onRemoval;
      if (action === 'nothing') return [];
      const keyed = absent
        .map((a) => ({ ...a, key: keyOf(a) }))
        .filter((a): a is typeof a & { key: string } => Boolean(a.key));
      const found = keyed.length ? await o.lookup(keyed.map((a) => a.key)) : new Map<string, H>();
      return keyed
        .filter((a) => found.has(a.key))
        .map((a) => ({ wid: a.wid, workerId: a.workerId, event: 'removal' as const, action }));
    },

    async apply(ctx, items: LifecycleItem[]) {
      const out = { done: [] as string[], failures: [] as RecordFailure[] };
      const keyed: { i: LifecycleItem; key: string; record: NormalizedWorker }[] = [];
      for (const i of items) {
        // A removed worker has no record any more: the deactivate fields see its ids only.
        const record = i.record ?? ({ wid: i.wid, workerId: i.workerId } as NormalizedWorker);
        const key = keyOf(record);
        if (key) keyed.push({ i, key, record });
        else
          out.failures.push({
            wid: i.wid,
            code: 'NO_MATCH_KEY',
            message: `no ${file.matchKey.from} to match on`,
          });
      }
      const found = keyed.length ? await o.lookup(keyed.map((k) => k.key)) : new Map<string, H>();
      const writes: PlannedWrite<H>[] = [];
      for (const { i, key, record } of keyed) {
        const h = found.get(key);
        // Gone already, or written since by a newer snapshot: nothing left for this run to do.
        if (!h || (h.asOf && Date.parse(h.asOf) > Date.parse(ctx.asOfEntry))) out.done.push(i.wid);
        else
          writes.push({
            wid: i.wid,
            workerId: i.workerId,
            hash: i.hash ?? '',
            kind: i.action,
            m: { ...(await o.mapping.map(record)), key },
            held: h,
            removal: !i.record,
          });
      }
      if (writes.length) {
        const r = await o.write(writes, ctx);
        out.done.push(...r.done);
        out.failures.push(...r.failures);
      }
      return out;
    },

    count: o.count,
  };
}
