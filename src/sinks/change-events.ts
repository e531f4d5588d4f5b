import { createHash } from 'node:crypto';
import diff from 'microdiff';
import type { NormalizedWorker } from '../domain/worker-record';

/** The event types, one per thing that can happen to a worker in a sink. */
export const CHANGE_TYPES = {
  created: 'com.wdsync.worker.created',
  updated: 'com.wdsync.worker.updated',
  terminated: 'com.wdsync.worker.terminated',
  rehired: 'com.wdsync.worker.rehired',
  removed: 'com.wdsync.worker.removed',
  /**
   * First delivery of an employee hired as a contingent worker's conversion: a new WID for a
   * person the sink may hold under the old one (same record.personId).
   */
  converted: 'com.wdsync.worker.converted',
  /** The hire was rescinded (employment.hireRescinded turned true): the worker never started. */
  rescinded: 'com.wdsync.worker.rescinded',
  /** A leave of absence began (employment.onLeave turned true). */
  onLeave: 'com.wdsync.worker.on_leave',
  /** Back from a leave of absence (employment.onLeave turned false). */
  returned: 'com.wdsync.worker.returned_from_leave',
} as const;
export type ChangeKind = keyof typeof CHANGE_TYPES;

export type Payload = 'diff' | 'full' | 'both';

export interface FieldChange {
  /** Dotted path into the record; array elements by index (personal.address.lines.0). */
  path: string;
  from: unknown;
  to: unknown;
}

/** What the sink last delivered for a worker (its own state, not the postgres table). */
export interface DeliveredState {
  hash: string;
  record: NormalizedWorker;
  removed: boolean;
}

/** A CloudEvents 1.0 event in structured JSON mode. */
export interface WorkerChangeEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: (typeof CHANGE_TYPES)[ChangeKind];
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: {
    wid: string;
    workerId: string;
    runId: string;
    page: number;
    asOf: string;
    effectiveDate: string | null;
    contentHash: string | null;
    previousHash: string | null;
    changes?: FieldChange[];
    record?: NormalizedWorker | null;
  };
}

/** Field-level diff from the delivered record to the new one (undefined members are absent, not null). */
export function fieldChanges(
  from: NormalizedWorker | undefined,
  to: NormalizedWorker | undefined,
): FieldChange[] {
  // Records come from JSON (staging, the sink's state), so no member is undefined; one that
  // were would read as absent, as it does once serialized.
  const out: FieldChange[] = [];
  for (const d of diff(from ?? {}, to ?? {})) {
    const was = d.type === 'CREATE' ? undefined : d.oldValue;
    const is = d.type === 'REMOVE' ? undefined : d.value;
    if (was === undefined && is === undefined) continue;
    out.push({ path: d.path.join('.'), from: was ?? null, to: is ?? null });
  }
  return out;
}

/** What happened to a worker between what was delivered and the new record. */
export function changeKind(prev: DeliveredState | undefined, next: NormalizedWorker): ChangeKind {
  if (!prev || prev.removed) return next.employment?.converted ? 'converted' : 'created';
  if (next.employment?.hireRescinded && !prev.record.employment?.hireRescinded) return 'rescinded';
  const was = prev.record.employment?.terminated;
  const is = next.employment?.terminated;
  if (is && !was) return 'terminated';
  if (was && is === false) return 'rehired';
  const away = prev.record.employment?.onLeave ?? false;
  const onLeave = next.employment?.onLeave ?? false;
  if (onLeave && !away) return 'onLeave';
  if (away && !onLeave) return 'returned';
  return 'updated';
}

/**
 * Deterministic event id: the same change (tenant, WID, from which version to which) always gets
 * the same id, so a replay re-sends ids a deduplicating consumer has seen. The previous hash is in
 * it too: a worker that changes A → B → A gets a new id for the second A.
 */
export function eventId(
  tenant: string,
  wid: string,
  previousHash: string | null,
  hash: string | null,
): string {
  const h = createHash('sha256')
    .update(`${tenant}\n${wid}\n${previousHash ?? ''}\n${hash ?? 'removed'}`)
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export interface EventContext {
  tenant: string;
  runId: string;
  page: number;
  asOfEntry: string;
  effectiveDate?: string;
  payload: Payload;
}

/** The event for one worker, or its removal when `next` is undefined. */
export function changeEvent(
  ctx: EventContext,
  wid: string,
  workerId: string,
  prev: DeliveredState | undefined,
  next: { record: NormalizedWorker; hash: string } | undefined,
): WorkerChangeEvent {
  const kind: ChangeKind = next ? changeKind(prev, next.record) : 'removed';
  const previousHash = prev && !prev.removed ? prev.hash : null;
  const hash = next?.hash ?? null;
  const base = prev && !prev.removed ? prev.record : undefined;
  return {
    specversion: '1.0',
    id: eventId(ctx.tenant, wid, previousHash, hash),
    source: `wdsync/${ctx.tenant}`,
    type: CHANGE_TYPES[kind],
    subject: wid,
    time: ctx.asOfEntry,
    datacontenttype: 'application/json',
    data: {
      wid,
      workerId,
      runId: ctx.runId,
      page: ctx.page,
      asOf: ctx.asOfEntry,
      effectiveDate: ctx.effectiveDate ?? null,
      contentHash: hash,
      previousHash,
      ...(ctx.payload !== 'full' ? { changes: fieldChanges(base, next?.record) } : {}),
      ...(ctx.payload !== 'diff' ? { record: next?.record ?? null } : {}),
    },
  };
}

/** CloudEvents Kafka protocol binding, structured mode: the attributes also as ce_* headers. */
export function ceHeaders(e: WorkerChangeEvent | { [k: string]: unknown }): Map<string, string> {
  const h = new Map<string, string>([['content-type', 'application/cloudevents+json; charset=UTF-8']]);
  for (const [k, v] of Object.entries(e)) {
    if (k === 'data' || v === undefined || v === null || typeof v === 'object') continue;
    h.set(`ce_${k}`, String(v));
  }
  return h;
}
