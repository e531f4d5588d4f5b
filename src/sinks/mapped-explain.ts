import type { NormalizedWorker } from '../domain/worker-record';
import { lifecycleAction, type MappedRecord, type Mapping, type MappingFile } from '../mapping/mapping-file';
import { type Held, type PlannedWrite, planMappedWrites } from './mapped-plan';
import type { ExplainContext, SinkExplanation } from './types';

/**
 * `wdsync explain` for the mapped business targets (Zendesk, Dataverse): planMappedWrites decides,
 * exactly as for a page delivery, so explain and a delivery cannot disagree; the reason is told
 * from the mapping and the record the target holds for the key. Sinks supply only how to read
 * that record and how a planned write's body looks.
 */
export async function explainMapped<H extends Held>(o: {
  mapping: Mapping;
  digest: string;
  record: NormalizedWorker;
  ectx: ExplainContext;
  lookup: (keys: string[]) => Promise<Map<string, H>>;
  /** The target's current record for the key, null when it holds none. */
  current: (key: string) => Promise<Record<string, unknown> | null>;
  /** What the planned write sends, with no side effect (no organization upserted). */
  body: (w: PlannedWrite<H>) => Record<string, unknown>;
  /** The target's word for the record, e.g. "Zendesk user", "contacts row". */
  noun: string;
}): Promise<SinkExplanation> {
  const { mapping, record, ectx } = o;
  const file = mapping.file;
  const deliveredHashes = new Map(ectx.deliveredHash ? [[record.wid, ectx.deliveredHash]] : []);
  const { writes, skipped, held } = await planMappedWrites({
    mapping,
    digest: o.digest,
    ctx: { key: { runId: 'explain', page: 0 }, asOfEntry: ectx.asOfEntry, deliveredHashes },
    records: [record],
    lookup: o.lookup,
  });
  const m = await mapping.map(record);
  const current = await o.current(m.key);
  const mapped = m.inScope ? { ...m.values, ...(current ? {} : m.createOnly) } : undefined;
  const base = { inScope: m.inScope, key: m.key, current, ...(mapped ? { target: mapped } : {}) };
  // A leaver the target holds: the delivery core deactivates or deletes it, behind the breaker.
  const t = held[0];
  if (t)
    return {
      ...base,
      action: t.kind as 'deactivate' | 'delete',
      target: o.body(t),
      reason: `terminated, and actions.onTermination is "${t.kind}"${t.kind === 'deactivate' ? ': writes the deactivate fields' : ''} (held for the run's circuit breaker)`,
    };
  const w = writes[0];
  if (w) {
    const target = o.body(w);
    if (current && holds(current, target, file.asOfField))
      return { ...base, action: 'unchanged', target, reason: `the ${o.noun} already holds these values` };
    return {
      ...base,
      action: w.kind === 'create' ? 'insert' : 'update',
      target,
      reason:
        w.kind === 'create'
          ? `in scope; no ${o.noun} holds ${file.matchKey.field} ${m.key}`
          : `in scope; the ${o.noun} ${w.held?.id ?? ''} holds ${file.matchKey.field} ${m.key}`,
    };
  }
  return { ...base, ...whyNoWrite({ file, m, ectx, skippedHash: skipped[0]?.hash, current, noun: o.noun }) };
}

/**
 * Why a record the plan writes nothing for is left alone, for every mapped business target: the
 * termination rule, the scope, the audit trail, the action switches or a newer snapshot.
 */
export function whyNoWrite(o: {
  file: MappingFile;
  m: MappedRecord;
  ectx: ExplainContext;
  /** The hash the plan gave the record. */
  skippedHash?: string;
  current: Record<string, unknown> | null;
  noun: string;
}): Pick<SinkExplanation, 'action' | 'reason'> {
  const { file, m, ectx, current, noun } = o;
  const lifecycle = lifecycleAction(file, m);
  if (lifecycle === 'nothing')
    return { action: 'nothing', reason: 'terminated, and actions.onTermination is "nothing"' };
  if (!lifecycle && !m.inScope)
    return { action: 'out of scope', reason: `the scope expression is false: ${file.scope}` };
  if (ectx.deliveredHash && o.skippedHash === ectx.deliveredHash)
    return { action: 'unchanged', reason: 'the same content reached this sink last time (audit trail)' };
  if (lifecycle && !current)
    return {
      action: 'nothing',
      reason: `terminated, and the target holds no record for it (no ${noun}): a leaver gets no new record`,
    };
  const owner = file.matchKey.ownerField && current ? ownerOf(current, file.matchKey.ownerField) : undefined;
  if (lifecycle && owner && owner !== m.wid)
    return {
      action: 'nothing',
      reason: `terminated, but the ${noun} belongs to ${owner}, another WID of the same person (${file.matchKey.ownerField}): a WID's termination acts only on the record it owns`,
    };
  if (!current && !file.actions.create)
    return { action: 'nothing', reason: `no ${noun} holds it, and actions.create is false` };
  if (current && !file.actions.update)
    return { action: 'nothing', reason: `a ${noun} holds it, and actions.update is false` };
  return {
    action: 'nothing',
    reason: `the ${noun} holds this worker from a newer snapshot (${file.asOfField})`,
  };
}

/** The WID in the owner field of a record (Zendesk's user_fields.* nested). */
function ownerOf(current: Record<string, unknown>, field: string): string | undefined {
  const dot = field.indexOf('.');
  const v =
    dot > 0 && !(field in current)
      ? (current[field.slice(0, dot)] as Record<string, unknown> | undefined)?.[field.slice(dot + 1)]
      : current[field];
  return typeof v === 'string' && v ? v : undefined;
}

/**
 * Whether the current record already has every value the write sends: nested objects (Zendesk's
 * user_fields) compared by member, the snapshot stamp and references the target resolves itself
 * (organization, @odata.bind) left out.
 */
function holds(
  current: Record<string, unknown>,
  target: Record<string, unknown>,
  asOfField?: string,
): boolean {
  return Object.entries(target).every(([k, v]) => {
    if (k === asOfField || k.includes('@') || k === 'organization') return true;
    if (v && typeof v === 'object') {
      const nested = current[k];
      if (!nested || typeof nested !== 'object') return false;
      const stamp = asOfField?.startsWith(`${k}.`) ? asOfField.slice(k.length + 1) : undefined;
      return holds(nested as Record<string, unknown>, v as Record<string, unknown>, stamp);
    }
    return (current[k] ?? null) === v;
  });
}
