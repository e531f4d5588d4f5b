import { createHash } from 'node:crypto';
import type { NormalizedWorker } from '../domain/worker-record';
import { lifecycleAction, type MappedRecord, type Mapping, ownedByAnother } from '../mapping/mapping-file';
import { contentHash } from './hash';
import type { DeliveryContext, DeliveryResult, HeldAction, RecordFailure, RecordOutcome } from './types';

/**
 * What a mapped business target (Zendesk, Dataverse) must write for one page: the records whose
 * hash (over the record and the mapping, so a changed mapping rewrites every record once) differs
 * from what last reached the sink, with the mapping's scope, action switches and termination
 * rule applied against what the target already holds. Sinks differ only in how they look records
 * up and write them.
 */

export type WriteKind = 'create' | 'update' | 'deactivate' | 'delete';

/**
 * What the target holds for a match key: its own id, the snapshot stamp when the mapping has one,
 * and under a person key the WID that owns the record (matchKey.ownerField).
 */
export interface Held {
  id: string;
  asOf?: string;
  owner?: string;
}

export interface PlannedWrite<H extends Held> {
  wid: string;
  workerId?: string;
  hash: string;
  kind: WriteKind;
  m: MappedRecord;
  held?: H;
  /** A removal (the worker is gone from Workday): the mapped record has its ids only. */
  removal?: boolean;
}

export interface WritePlan<H extends Held> {
  /** Creates and updates, written with the page. */
  writes: PlannedWrite<H>[];
  /**
   * Deactivations and deletions of records the target holds (terminations): never written with
   * the page, but handed to the delivery core, which holds them for the run's circuit breaker.
   */
  held: PlannedWrite<H>[];
  /** Records that need no write: recorded as seen, so only a change to the record brings them back. */
  skipped: RecordOutcome[];
}

export function mappingDigest(mapping: Mapping): string {
  return createHash('sha256').update(JSON.stringify(mapping.file)).digest('hex').slice(0, 16);
}

export async function planMappedWrites<H extends Held>(o: {
  mapping: Mapping;
  digest: string;
  ctx: DeliveryContext;
  records: NormalizedWorker[];
  /** The records the target holds for these match keys. */
  lookup: (keys: string[]) => Promise<Map<string, H>>;
}): Promise<WritePlan<H>> {
  const file = o.mapping.file;
  const skipped: RecordOutcome[] = [];
  const changed: { wid: string; workerId: string; m: MappedRecord; hash: string }[] = [];
  for (const r of o.records) {
    const hash = createHash('sha256')
      .update(`${contentHash(r)}:${o.digest}`)
      .digest('hex');
    if (o.ctx.deliveredHashes?.get(r.wid) === hash) {
      skipped.push({ wid: r.wid, hash, action: 'unchanged' });
      continue;
    }
    const m = await o.mapping.map(r);
    const lifecycle = lifecycleAction(file, m);
    if (lifecycle === 'nothing' || (!lifecycle && !m.inScope))
      skipped.push({ wid: r.wid, hash, action: 'unchanged' });
    else changed.push({ wid: r.wid, workerId: r.workerId, m, hash });
  }
  const held = changed.length ? await o.lookup(lookupKeys(file, changed)) : new Map<string, H>();
  const writes: PlannedWrite<H>[] = [];
  const terminations: PlannedWrite<H>[] = [];
  const resolved = changed.map((c) => ({ ...c, m: { ...c.m, key: leaverKey(file, c.m, held) } }));
  const writers = onePerKey(resolved);
  for (const c of resolved) {
    const { wid, workerId, m, hash } = c;
    const h = held.get(m.key);
    const skip = () => skipped.push({ wid, hash, action: 'unchanged' });
    if (!writers.has(c)) {
      skip();
      continue;
    }
    // Runs may overlap: a page from an older snapshot than the one the target holds writes nothing.
    if (h?.asOf && Date.parse(h.asOf) > Date.parse(o.ctx.asOfEntry)) {
      skip();
      continue;
    }
    const lifecycle = lifecycleAction(file, m);
    // A worker who leaves before ever reaching the target gets no record there, and a WID that
    // left (a contingent worker converted) leaves alone the person's record another WID now owns.
    if (lifecycle === 'delete' || lifecycle === 'deactivate') {
      if (h && !ownedByAnother(h, wid))
        terminations.push({ wid, workerId, hash, kind: lifecycle, m, held: h });
      else skip();
    } else if (h ? file.actions.update : file.actions.create)
      writes.push({ wid, workerId, hash, kind: h ? 'update' : 'create', m, held: h });
    else skip();
  }
  return { writes, skipped, held: terminations };
}

/**
 * The match keys a page looks up: each record's, and under a person key a leaver's own WID too,
 * for the record it may still hold under its WID (written before Workday gave it a Universal_ID).
 */
export function lookupKeys(file: Mapping['file'], changed: { m: MappedRecord }[]): string[] {
  const keys = new Set(changed.map((c) => c.m.key));
  if (file.matchKey.from === 'personId')
    for (const { m } of changed) if (lifecycleAction(file, m)) keys.add(m.wid);
  return [...keys];
}

/**
 * The key of the record a leaver's termination acts on. Under a person key: the person's record
 * while this WID owns it, else the record still keyed on this WID (a tenant whose Universal_ID
 * appeared only at the conversion: the old record is deactivated, as under a WID key), else the
 * person's key, where another WID's ownership stops the action.
 */
export function leaverKey(
  file: Mapping['file'],
  m: MappedRecord,
  held: Map<string, { owner?: string }>,
): string {
  if (file.matchKey.from !== 'personId' || !lifecycleAction(file, m)) return m.key;
  const h = held.get(m.key);
  if (h && !ownedByAnother(h, m.wid)) return m.key;
  return held.has(m.wid) ? m.wid : m.key;
}

/**
 * One write per match key: under a person key a page can hold two WIDs of one person (the
 * contingent worker that ended and the employee it became). The one still employed writes; the
 * others are recorded as seen, so the target gets one record for the person and one write to it.
 */
export function onePerKey<T extends { m: MappedRecord }>(changed: T[]): Set<T> {
  const left = (m: MappedRecord) => m.terminated || m.rescinded;
  const byKey = new Map<string, T>();
  for (const c of changed) {
    const was = byKey.get(c.m.key);
    if (!was || (left(was.m) && !left(c.m))) byKey.set(c.m.key, c);
  }
  return new Set(byKey.values());
}

/** The held actions a page hands the delivery core, from the plan's terminations. */
export function heldActions(terminations: PlannedWrite<Held>[]): HeldAction[] {
  return terminations.map((w) => ({
    wid: w.wid,
    workerId: w.workerId,
    event: 'termination',
    action: w.kind as HeldAction['action'],
    hash: w.hash,
  }));
}

/**
 * The values one planned write sends, before the sink's own shaping (stamp and key added). A
 * deactivation sends the mapped values too (with update on) when the source still has the
 * worker; a removed worker's record is gone, so only its deactivate fields are written.
 */
export function writeValues(
  w: PlannedWrite<Held>,
  update: boolean,
): Record<string, string | number | boolean | null> {
  if (w.kind === 'deactivate') return { ...(update && !w.removal ? w.m.values : {}), ...w.m.deactivate };
  return w.kind === 'create' ? { ...w.m.values, ...w.m.createOnly } : { ...w.m.values };
}

/** A delivery result from the page's outcomes, refusals and held terminations. */
export function mappedResult(
  outcomes: RecordOutcome[],
  failures: RecordFailure[],
  held: PlannedWrite<Held>[] = [],
): DeliveryResult {
  const counts = { inserted: 0, updated: 0, unchanged: 0 };
  for (const x of outcomes) counts[x.action]++;
  return {
    alreadyDelivered: false,
    ...counts,
    outcomes,
    ...(failures.length ? { failures } : {}),
    ...(held.length ? { held: heldActions(held) } : {}),
  };
}

/**
 * One page to a mapped target: planned, its creates and updates written by the sink, its
 * terminations handed back to the delivery core (which applies them behind the circuit breaker).
 */
export async function deliverMapped<H extends Held>(o: {
  mapping: Mapping;
  digest: string;
  ctx: DeliveryContext;
  records: NormalizedWorker[];
  lookup: (keys: string[]) => Promise<Map<string, H>>;
  /** Writes creates and updates: per write landed (created or not), or refused. */
  write: (
    writes: PlannedWrite<H>[],
  ) => Promise<{ written: { w: PlannedWrite<H>; created: boolean }[]; failures: RecordFailure[] }>;
}): Promise<DeliveryResult> {
  const { writes, skipped, held } = await planMappedWrites(o);
  const { written, failures } = await o.write(writes);
  const outcomes: RecordOutcome[] = [
    ...skipped,
    ...written.map(({ w, created }) => ({
      wid: w.wid,
      hash: w.hash,
      action: created ? ('inserted' as const) : ('updated' as const),
    })),
  ];
  return mappedResult(outcomes, failures, held);
}
