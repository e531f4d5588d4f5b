import type { NormalizedWorker } from '../domain/worker-record';
import { matchKeyOf, ownedByAnother, type Mapping } from '../mapping/mapping-file';
import { type Held, leaverKey, type PlannedWrite } from './mapped-plan';
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
  /**
   * Under a person key: the records whose owner field holds these WIDs, keyed by WID (a target
   * that can query its owner field). Without it the person's record is looked up by its key and
   * left alone when another WID owns it.
   */
  lookupOwned?: (wids: string[]) => Promise<Map<string, H & { key: string }>>;
  /** Writes deactivations and deletions: the WIDs done (or found gone) and the ones refused. */
  write: (
    writes: PlannedWrite<H>[],
    ctx: { asOfEntry: string; heartbeat?: () => void },
  ) => Promise<{ done: string[]; failures: RecordFailure[] }>;
  count: () => Promise<number>;
}): SinkLifecycle {
  const file = o.mapping.file;
  const owned = file.matchKey.from === 'personId' ? o.lookupOwned : undefined;

  /** What the target holds for these items: by owner field, or by key (and a leaver's own WID). */
  async function holding(keyed: { i: LifecycleItem; key: string }[]): Promise<Map<string, H>> {
    if (!keyed.length) return new Map();
    if (owned) return owned(keyed.map((k) => k.i.wid));
    const keys = new Set(keyed.map((k) => k.key));
    if (file.matchKey.from === 'personId') for (const k of keyed) keys.add(k.i.wid);
    return o.lookup([...keys]);
  }

  return {
    async removals(absent) {
      const action = file.actions.onRemoval;
      if (action === 'nothing') return [];
      // Under a person key a removed WID answers only for the record it owns.
      const keyed = absent
        .map((a) => ({ ...a, key: owned ? a.wid : matchKeyOf(file, a) }))
        .filter((a): a is typeof a & { key: string } => Boolean(a.key));
      const keys = keyed.map((a) => a.key);
      const found: Map<string, H> = !keys.length
        ? new Map()
        : owned
          ? await owned(keys)
          : await o.lookup(keys);
      return keyed
        .filter((a) => found.has(a.key) && !ownedByAnother(found.get(a.key), a.wid))
        .map((a) => ({ wid: a.wid, workerId: a.workerId, event: 'removal' as const, action }));
    },

    async apply(ctx, items: LifecycleItem[]) {
      const out = { done: [] as string[], failures: [] as RecordFailure[] };
      const keyed: { i: LifecycleItem; key: string; record: NormalizedWorker }[] = [];
      for (const i of items) {
        // A removed worker has no record any more: the deactivate fields see its ids only.
        const record = i.record ?? ({ wid: i.wid, workerId: i.workerId } as NormalizedWorker);
        const key = matchKeyOf(file, record);
        if (key) keyed.push({ i, key, record });
        else
          out.failures.push({
            wid: i.wid,
            code: 'NO_MATCH_KEY',
            message: `no ${file.matchKey.from} to match on`,
          });
      }
      const found = await holding(keyed);
      const writes: PlannedWrite<H>[] = [];
      for (const { i, key, record } of keyed) {
        const m = await o.mapping.map(record);
        // Under a person key: the record this WID owns (by its owner field, or the person's while
        // this WID owns it, else one still keyed on this WID), never one another WID now owns.
        const at = owned
          ? i.wid
          : file.matchKey.from === 'personId'
            ? leaverKey(file, { ...m, key }, found)
            : key;
        const h = found.get(at);
        // Gone already, another WID's, or written since by a newer snapshot: nothing left to do.
        if (!h || ownedByAnother(h, i.wid) || (h.asOf && Date.parse(h.asOf) > Date.parse(ctx.asOfEntry)))
          out.done.push(i.wid);
        else
          writes.push({
            wid: i.wid,
            workerId: i.workerId,
            hash: i.hash ?? '',
            kind: i.action,
            m: { ...m, key: 'key' in h && typeof h.key === 'string' ? h.key : at },
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
