import { whyNoWrite } from './mapped-explain';
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { Connection } from 'jsforce';
import type { NormalizedWorker } from '../domain/worker-record';
import { ErrorType, TypedError } from '../errors/types';
import { lifecycleAction, type MappedRecord, type Mapping, ownedByAnother } from '../mapping/mapping-file';
import { mappedLifecycle } from './mapped-lifecycle';
import { contentHash } from './hash';
import { createSalesforceSession, type SalesforceCredentials } from './salesforce-auth';
import { leaverKey, lookupKeys, onePerKey } from './mapped-plan';
import { BULK_UNPROCESSED, bulkUpsert, type WriteResult } from './salesforce-bulk';
import { createReferenceLinker, referenceIdField } from './salesforce-references';
import type {
  DeliveryContext,
  DeliveryResult,
  ExplainContext,
  HeldAction,
  RecordFailure,
  RecordOutcome,
  Sink,
  SinkExplanation,
  SinkLifecycle,
} from './types';

export { SalesforceCredentials, salesforceCredentials } from './salesforce-auth';

/**
 * Salesforce sink: each page's changed records, mapped by the sink's mapping file, upserted by
 * external id with jsforce: through sObject Collections in requests of 200 for a few records, and
 * as one Bulk API 2.0 ingest job from `bulkThreshold` records on (README "Bulk or Collections").
 * Terminated and removed workers are deactivated or deleted as the mapping says, and only when
 * Salesforce already holds them: the page hands those to the delivery core (`held`), which applies
 * them through `lifecycle` once the run's circuit breaker lets it.
 * Salesforce keeps no ledger of ours: upserts by external id are idempotent, and unchanged
 * records are told apart by the hashes the audit trail passes (over the record and the mapping,
 * so a changed mapping rewrites every record once).
 */

export const SALESFORCE_BATCH = 200;
/** Records from which a page's upserts go as one Bulk API 2.0 job (measured: README). */
export const DEFAULT_BULK_THRESHOLD = 1000;
/** The share of the org's daily API allowance the sink may use before it waits. */
export const DEFAULT_API_BUDGET_PERCENT = 90;
/** Rounds of resending the records a row lock (or a job that stopped early) left unwritten. */
const RETRY_ROUNDS = 3;
const LOCK_BACKOFF_MS = 200;
const LIMIT_BACKOFF_MS = 60_000;
/** The daily allowance is a rolling 24 hours: calls made a day ago free up slowly. */
const BUDGET_BACKOFF_MS = 15 * 60_000;

export interface SalesforceTransport {
  bulkThreshold: number;
  apiBudgetPercent: number;
  bulkPollIntervalMs: number;
  bulkPollTimeoutMs: number;
}

/** The transport settings from the sink's config entry, else from SALESFORCE_* variables. */
export function salesforceTransport(
  s: { bulkThreshold?: number; apiBudgetPercent?: number },
  env: NodeJS.ProcessEnv = process.env,
): Partial<SalesforceTransport> {
  const number = (v: number | string | undefined, name: string, min: number, max: number) => {
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new TypedError(ErrorType.Config, `${name} must be a number from ${min} to ${max}, not ${v}`);
    return n;
  };
  const bulkThreshold = number(
    s.bulkThreshold ?? env.SALESFORCE_BULK_THRESHOLD,
    'SALESFORCE_BULK_THRESHOLD',
    1,
    1e9,
  );
  const apiBudgetPercent = number(
    s.apiBudgetPercent ?? env.SALESFORCE_API_BUDGET_PERCENT,
    'SALESFORCE_API_BUDGET_PERCENT',
    1,
    100,
  );
  return {
    ...(bulkThreshold ? { bulkThreshold: Math.floor(bulkThreshold) } : {}),
    ...(apiBudgetPercent ? { apiBudgetPercent } : {}),
  };
}

export interface SalesforceSinkOptions {
  name: string;
  mapping: Mapping;
  credentials: SalesforceCredentials;
  transport?: Partial<SalesforceTransport>;
  /** Waits between lock retries; injected so tests need not sleep. */
  sleep?: (ms: number) => Promise<void>;
  /** Where the sink says it backs off (one line each); stderr by default. */
  log?: (line: string) => void;
}

interface SfError {
  errorCode?: string;
  name?: string;
  message: string;
}

type CollectionResult = WriteResult & { id?: string };

interface SfHeld {
  id: string;
  /** Its external id (the match key). */
  key: string;
  asOf?: string;
  owner?: string;
}

/** One write the page needs: an upsert (create or update) or a delete of an existing record. */
interface Planned {
  wid: string;
  hash: string;
  kind: 'upsert' | 'delete';
  body?: Record<string, unknown>;
  id?: string;
  exists: boolean;
}

const codeOf = (e: unknown) => (e as SfError).errorCode ?? (e as SfError).name;

function soqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function createSalesforceSink(o: SalesforceSinkOptions): Sink {
  const { mapping, credentials } = o;
  const file = mapping.file;
  const ext = file.matchKey.field;
  /** Under a person key, the field naming the WID that owns the record. */
  const owner = file.matchKey.ownerField;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const log = o.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const transport: SalesforceTransport = {
    bulkThreshold: DEFAULT_BULK_THRESHOLD,
    apiBudgetPercent: DEFAULT_API_BUDGET_PERCENT,
    bulkPollIntervalMs: 2000,
    // Well inside the delivery activity's 10-minute start-to-close timeout.
    bulkPollTimeoutMs: 5 * 60_000,
    ...o.transport,
  };
  const mappingDigest = createHash('sha256').update(JSON.stringify(file)).digest('hex').slice(0, 16);
  const session = createSalesforceSession(credentials);

  /** Waits instead of spending the API allowance other integrations of the org need too. */
  function checkBudget(c: Connection, what: string): void {
    const usage = c.limitInfo?.apiUsage;
    if (!usage || usage.limit <= 0 || usage.used * 100 < usage.limit * transport.apiBudgetPercent) return;
    const message = `Salesforce daily API budget reached before ${what}: api-usage ${usage.used}/${usage.limit} is at or over the sink's ${transport.apiBudgetPercent}% (apiBudgetPercent); backing off ${BUDGET_BACKOFF_MS / 60_000} min before the page is retried`;
    log(`salesforce sink ${o.name}: ${message}`);
    // The retry after the delay makes one call to learn the usage afresh, and stops again if it is still high.
    c.limitInfo = {};
    throw ApplicationFailure.create({
      type: ErrorType.SalesforceRequestLimit,
      message,
      nextRetryDelay: BUDGET_BACKOFF_MS,
    });
  }

  /**
   * One API call: an expired session is refreshed once and the call repeated; the request limit
   * and the daily budget become a throttle failure Temporal retries after a delay, never at once.
   */
  async function call<T>(what: string, fn: (c: Connection) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const c = await session.connection();
      checkBudget(c, what);
      try {
        return await fn(c);
      } catch (e) {
        if (e instanceof TypedError || e instanceof ApplicationFailure) throw e;
        const code = codeOf(e);
        if (code === 'INVALID_SESSION_ID' && attempt === 0) {
          session.invalidate();
          continue;
        }
        if (code === 'INVALID_SESSION_ID')
          throw new TypedError(
            ErrorType.SalesforceAuth,
            `Salesforce rejected a fresh session for ${what} (INVALID_SESSION_ID); check the connected app's session policies and the run-as user's API access`,
          );
        if (code === 'REQUEST_LIMIT_EXCEEDED') {
          const usage = c.limitInfo?.apiUsage;
          const message = `Salesforce API request limit reached during ${what} (REQUEST_LIMIT_EXCEEDED${usage ? `, api-usage ${usage.used}/${usage.limit}` : ''}); backing off ${LIMIT_BACKOFF_MS / 1000}s before the page is retried`;
          log(`salesforce sink ${o.name}: ${message}`);
          throw ApplicationFailure.create({
            type: ErrorType.SalesforceRequestLimit,
            message,
            nextRetryDelay: LIMIT_BACKOFF_MS,
          });
        }
        throw new TypedError(
          ErrorType.SalesforceRequest,
          `Salesforce refused ${what}: ${code ?? 'error'}: ${(e as Error).message}`,
          !code || /^(UNKNOWN_EXCEPTION|SERVER_UNAVAILABLE|ERROR_HTTP_5\d\d)$/.test(code),
        );
      }
    }
  }

  /** Every row of a query (a few thousand at most: the records of one sink). */
  async function queryAll(soql: string): Promise<Record<string, unknown>[]> {
    const res = await call('a query', async (c) => {
      const q = await c.query<Record<string, unknown>>(soql).run({ autoFetch: true, maxFetch: 10_000_000 });
      return q;
    });
    return res.records;
  }

  /** Which of these values some record of `object` holds in `field`. */
  async function holding(object: string, field: string, values: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < values.length; i += SALESFORCE_BATCH) {
      const chunk = values.slice(i, i + SALESFORCE_BATCH);
      const rows = await queryAll(
        `SELECT ${field} FROM ${object} WHERE ${field} IN (${chunk.map(soqlString).join(', ')})`,
      );
      for (const r of rows) found.add(String(r[field]));
    }
    return found;
  }

  /**
   * The records already holding these values in `by` (the external id, or under a person key the
   * owner field): their Id, snapshot stamp, owning WID and external id.
   */
  async function existing(keys: string[], by = ext): Promise<Map<string, SfHeld>> {
    const found = new Map<string, SfHeld>();
    const extra = [file.asOfField, owner].filter((f) => f && f !== ext).map((f) => `, ${f}`);
    for (let i = 0; i < keys.length; i += SALESFORCE_BATCH) {
      const chunk = keys.slice(i, i + SALESFORCE_BATCH);
      const soql = `SELECT Id, ${ext}${extra.join('')} FROM ${file.object} WHERE ${by} IN (${chunk.map(soqlString).join(', ')})`;
      const res = await call('a lookup by external id', async (c) => {
        const q = await c
          .query<Record<string, string>>(soql)
          .run({ autoFetch: true, maxFetch: SALESFORCE_BATCH });
        return q;
      });
      for (const r of res.records)
        found.set(r[by]!, {
          id: r.Id!,
          key: r[ext]!,
          asOf: file.asOfField ? (r[file.asOfField] ?? undefined) : undefined,
          owner: owner ? (r[owner] ?? undefined) : undefined,
        });
    }
    return found;
  }

  /**
   * One round of writes: a Bulk API job from bulkThreshold records on, else Collections of 200. A
   * session that expires while a job runs makes call() send the rows again as a new job: upserts
   * by external id, so the first job's writes, if it still runs, land on the same records.
   */
  async function send(bodies: Record<string, unknown>[], heartbeat?: () => void): Promise<WriteResult[]> {
    if (bodies.length >= transport.bulkThreshold)
      return call(`a Bulk API upsert of ${bodies.length} ${file.object} records`, (c) =>
        bulkUpsert(c, bodies, {
          object: file.object,
          externalIdField: ext,
          pollIntervalMs: transport.bulkPollIntervalMs,
          pollTimeoutMs: transport.bulkPollTimeoutMs,
          heartbeat,
        }),
      );
    const out: WriteResult[] = [];
    for (let i = 0; i < bodies.length; i += SALESFORCE_BATCH) {
      const chunk = bodies.slice(i, i + SALESFORCE_BATCH);
      const res = (await call(`an upsert of ${chunk.length} ${file.object} records`, (c) =>
        c.sobject(file.object).upsert(chunk as never[], ext, { allOrNone: false }),
      )) as unknown as WriteResult[];
      heartbeat?.();
      out.push(...res);
    }
    return out;
  }

  /**
   * Upserts, sending again (a few times, backing off) just the records a row lock refused or a
   * Bulk job left unprocessed; one result per body, in order.
   */
  async function upsertBodies(
    bodies: Record<string, unknown>[],
    heartbeat?: () => void,
  ): Promise<WriteResult[]> {
    const results: WriteResult[] = new Array(bodies.length);
    let pending = bodies.map((_, i) => i);
    for (let round = 0; pending.length > 0; round++) {
      const res = await send(
        pending.map((i) => bodies[i]!),
        heartbeat,
      );
      const again: number[] = [];
      res.forEach((r, k) => {
        const code = r.success ? undefined : r.errors?.[0]?.statusCode;
        if ((code === 'UNABLE_TO_LOCK_ROW' || code === BULK_UNPROCESSED) && round < RETRY_ROUNDS)
          again.push(pending[k]!);
        else results[pending[k]!] = r;
      });
      pending = again;
      if (pending.length) await sleep(LOCK_BACKOFF_MS * 2 ** round);
    }
    return results;
  }

  const links = createReferenceLinker(file, {
    existing: holding,
    queryAll,
    upsert: (bodies) => upsertBodies(bodies),
  });

  async function plan(
    ctx: DeliveryContext,
    records: NormalizedWorker[],
  ): Promise<{ writes: Planned[]; skipped: RecordOutcome[]; held: HeldAction[] }> {
    const skipped: RecordOutcome[] = [];
    const held: HeldAction[] = [];
    const changed: { r: NormalizedWorker; m: MappedRecord; hash: string }[] = [];
    for (const r of records) {
      const hash = createHash('sha256')
        .update(`${contentHash(r)}:${mappingDigest}`)
        .digest('hex');
      const before = ctx.deliveredHashes?.get(r.wid);
      if (before === hash) {
        skipped.push({ wid: r.wid, hash, action: 'unchanged' });
        continue;
      }
      const m = await mapping.map(r);
      const lifecycle = lifecycleAction(file, m);
      if (lifecycle === 'nothing' || (!lifecycle && !m.inScope)) {
        // Nothing to write: remembered as seen, so only a change to the record brings it back.
        skipped.push({ wid: r.wid, hash, action: 'unchanged' });
        continue;
      }
      changed.push({ r, m, hash });
    }
    const found = changed.length ? await existing(lookupKeys(file, changed)) : new Map<string, SfHeld>();
    const stamp = file.asOfField ? { [file.asOfField]: ctx.asOfEntry } : {};
    const writes: Planned[] = [];
    const resolved = changed.map((c) => ({ ...c, m: { ...c.m, key: leaverKey(file, c.m, found) } }));
    const writers = onePerKey(resolved);
    for (const c of resolved) {
      const { r, m, hash } = c;
      if (!writers.has(c)) {
        // Another WID of the same person writes the record in this page.
        skipped.push({ wid: r.wid, hash, action: 'unchanged' });
        continue;
      }
      const h = found.get(m.key);
      const id = h?.id;
      const exists = id !== undefined;
      // Runs may overlap: a page from an older snapshot than the one Salesforce holds writes nothing.
      if (h?.asOf && Date.parse(h.asOf) > Date.parse(ctx.asOfEntry)) {
        skipped.push({ wid: r.wid, hash, action: 'unchanged' });
        continue;
      }
      const lifecycle = lifecycleAction(file, m);
      const skip = () => skipped.push({ wid: r.wid, hash, action: 'unchanged' });
      const attributes = { type: file.object };
      if (lifecycle === 'delete' || lifecycle === 'deactivate') {
        // A worker who leaves before ever reaching Salesforce gets no record there; one who is
        // there is the delivery core's to deactivate or delete, behind the circuit breaker. A WID
        // that left (a contingent worker converted) leaves alone the record its person's new WID owns.
        if (exists && !ownedByAnother(h, r.wid))
          held.push({ wid: r.wid, workerId: r.workerId, event: 'termination', action: lifecycle, hash });
        else skip();
      } else if (exists ? file.actions.update : file.actions.create) {
        const body = { attributes, ...m.values, ...(exists ? {} : m.createOnly), ...stamp, [ext]: m.key };
        writes.push({ wid: r.wid, hash, kind: 'upsert', exists, body });
      } else skip();
    }
    return { writes, skipped, held };
  }

  /**
   * The body that deactivates a record: its deactivate fields (and, with update on, its values,
   * unless the worker was removed: its record is gone, so its values would all be empty).
   */
  function deactivation(
    m: MappedRecord,
    key: string,
    asOfEntry: string,
    removal = false,
  ): Record<string, unknown> {
    return {
      attributes: { type: file.object },
      ...(file.actions.update && !removal ? m.values : {}),
      ...m.deactivate,
      ...(file.asOfField ? { [file.asOfField]: asOfEntry } : {}),
      [ext]: key,
    };
  }

  /** Write results of one batch, per record: done, or refused with Salesforce's code. */
  function collect(
    batch: Planned[],
    result: (p: Planned, k: number) => WriteResult | CollectionResult | undefined,
    out: { done: string[]; failures: RecordFailure[] },
  ): void {
    batch.forEach((p, k) => {
      const r = result(p, k);
      const e = r?.errors?.[0];
      if (r?.success || e?.statusCode === 'ENTITY_IS_DELETED') out.done.push(p.wid);
      else
        out.failures.push({
          wid: p.wid,
          code: e?.statusCode ?? 'UNKNOWN',
          message: e?.message ?? 'no message',
        });
    });
  }

  /** Terminations and removals the delivery core decided on: shared with the other mapped targets. */
  const lifecycle: SinkLifecycle = mappedLifecycle({
    mapping,
    lookup: existing,
    // Under a person key a WID acts only on the record it owns, found by the owner field: the
    // person's record is left alone once another of its WIDs (the converted employee) wrote it.
    ...(owner ? { lookupOwned: (wids: string[]) => existing(wids, owner) } : {}),
    async write(writes, ctx) {
      const out = { done: [] as string[], failures: [] as RecordFailure[] };
      const upserts: Planned[] = writes
        .filter((w) => w.kind === 'deactivate')
        .map((w) => ({
          wid: w.wid,
          hash: w.hash,
          kind: 'upsert',
          exists: true,
          body: deactivation(w.m, w.m.key, ctx.asOfEntry, w.removal),
        }));
      const deletes: Planned[] = writes
        .filter((w) => w.kind === 'delete')
        .map((w) => ({ wid: w.wid, hash: w.hash, kind: 'delete', id: w.held!.id, exists: true }));
      if (upserts.length) {
        const res = await upsertBodies(
          upserts.map((u) => u.body!),
          ctx.heartbeat,
        );
        collect(upserts, (_p, k) => res[k], out);
      }
      for (let i = 0; i < deletes.length; i += SALESFORCE_BATCH) {
        const batch = deletes.slice(i, i + SALESFORCE_BATCH);
        const res = (await call(`a delete of ${batch.length} ${file.object} records`, (c) =>
          c.sobject(file.object).destroy(
            batch.map((b) => b.id!),
            { allOrNone: false },
          ),
        )) as unknown as CollectionResult[];
        ctx.heartbeat?.();
        collect(batch, (_p, k) => res[k], out);
      }
      return out;
    },
    async count() {
      const res = await call(`a count of ${file.object} records`, async (c) => {
        const q = await c.query(`SELECT COUNT() FROM ${file.object} WHERE ${ext} != null`);
        return q;
      });
      return res.totalSize;
    },
  });

  /**
   * What a delivery of this one record would do: plan() decides, exactly as for a page; the
   * reason is told from the mapping and what Salesforce holds.
   */
  async function explain(record: NormalizedWorker, ectx: ExplainContext): Promise<SinkExplanation> {
    const deliveredHashes = new Map(ectx.deliveredHash ? [[record.wid, ectx.deliveredHash]] : []);
    const { writes, skipped, held } = await plan(
      { key: { runId: 'explain', page: 0 }, asOfEntry: ectx.asOfEntry, deliveredHashes },
      [record],
    );
    const m = await mapping.map(record);
    const fields = [
      ...new Set([
        'Id',
        ...Object.keys(file.fields),
        ...Object.keys(file.onCreate),
        ...Object.keys(file.deactivate),
        ...(file.asOfField ? [file.asOfField] : []),
        ...(owner ? [owner] : []),
      ]),
    ].filter((f) => f !== ext);
    const rows = await queryAll(
      `SELECT ${[ext, ...fields].join(', ')} FROM ${file.object} WHERE ${ext} = ${soqlString(m.key)}`,
    );
    const current = rows[0]
      ? Object.fromEntries(Object.entries(rows[0]).filter(([k]) => k !== 'attributes'))
      : null;
    const w = writes[0];
    // The record as the mapping makes it, also when nothing would be written.
    const mapped = m.inScope ? { ...m.values, ...(current ? {} : m.createOnly), [ext]: m.key } : undefined;
    const base = { inScope: m.inScope, key: m.key, current, ...(mapped ? { target: mapped } : {}) };
    const lifecycle = lifecycleAction(file, m);
    // A leaver Salesforce holds: the delivery core deactivates or deletes it, behind the breaker.
    if (held[0])
      return {
        ...base,
        action: held[0].action,
        target: held[0].action === 'deactivate' ? deactivation(m, m.key, ectx.asOfEntry) : { [ext]: m.key },
        reason: `terminated, and actions.onTermination is "${held[0].action}"${held[0].action === 'deactivate' ? ': writes the deactivate fields' : ''} (held for the run's circuit breaker)`,
      };
    if (w) {
      const { attributes: _a, ...target } = w.body ?? { Id: w.id };
      if (w.kind === 'delete')
        return {
          ...base,
          action: 'delete',
          target,
          reason: 'terminated, and actions.onTermination is "delete"',
        };
      if (lifecycle === 'deactivate')
        return {
          ...base,
          action: 'deactivate',
          target,
          reason: 'terminated, and actions.onTermination is "deactivate": writes the deactivate fields',
        };
      const same =
        current &&
        Object.entries(target).every(
          ([k, v]) => k === file.asOfField || current[k] === v || typeof v === 'object',
        );
      if (same)
        return { ...base, action: 'unchanged', target, reason: `${file.object} already holds these values` };
      return {
        ...base,
        action: w.exists ? 'update' : 'insert',
        target,
        reason: w.exists
          ? `in scope; ${file.object} ${current?.Id ?? ''} holds ${ext} ${m.key}`
          : `in scope; no ${file.object} holds ${ext} ${m.key}`,
      };
    }
    return {
      ...base,
      ...whyNoWrite({ file, m, ectx, skippedHash: skipped[0]?.hash, current, noun: `${file.object} record` }),
    };
  }

  async function deliverPage(ctx: DeliveryContext, records: NormalizedWorker[]): Promise<DeliveryResult> {
    const { writes, skipped, held } = await plan(ctx, records);
    const outcomes: RecordOutcome[] = [...skipped];
    const failures: RecordFailure[] = [];
    const upserts = writes.filter((w) => w.kind === 'upsert');
    const deferred = links.active ? await links.attach(upserts.map((w) => w.body!)) : [];
    const res = await upsertBodies(
      upserts.map((w) => w.body!),
      ctx.heartbeat,
    );
    for (const [k, p] of upserts.entries()) {
      const r = res[k]!;
      if (r.success) outcomes.push({ wid: p.wid, hash: p.hash, action: r.created ? 'inserted' : 'updated' });
      else {
        const e = r.errors?.[0];
        failures.push({
          wid: p.wid,
          code: e?.statusCode ?? 'UNKNOWN',
          message: e?.message ?? 'no message',
        });
      }
    }
    if (deferred.length) await links.linkDeferred(deferred);
    const counts = { inserted: 0, updated: 0, unchanged: 0 };
    for (const x of outcomes) counts[x.action]++;
    return {
      alreadyDelivered: false,
      ...counts,
      outcomes,
      ...(failures.length ? { failures } : {}),
      ...(held.length ? { held } : {}),
    };
  }

  return {
    name: o.name,
    type: 'salesforce',
    capabilities: {
      comparesHashes: false,
      snapshotsFromAudit: true,
      keepsUnfetchedSections: false,
      marksRemovals: false,
      // No ledger in Salesforce: a re-delivery is the same idempotent upsert, or unchanged.
      ledgerOutlivesRun: true,
      transactional: false,
      batchSize: SALESFORCE_BATCH,
    },
    async init() {
      const d = await call(`describe ${file.object}`, (c) => c.sobject(file.object).describe());
      const fields = new Map(d.fields.map((f) => [f.name, f]));
      const key = fields.get(ext);
      if (!key?.externalId)
        throw new TypedError(
          ErrorType.Config,
          `${file.object}.${ext} ${key ? 'is not an External ID field' : 'does not exist'} in Salesforce; create it (Text, External ID, Unique) or change matchKey.field in the mapping`,
        );
      const missing = [
        ...Object.keys(file.fields),
        ...Object.keys(file.onCreate),
        ...Object.keys(file.deactivate),
        ...(file.asOfField ? [file.asOfField] : []),
        ...(owner ? [owner] : []),
      ].filter((f) => !fields.has(f));
      for (const [rel, ref] of Object.entries(file.references)) {
        const f = fields.get(referenceIdField(rel));
        if (f?.type !== 'reference' || f.relationshipName !== rel || !f.referenceTo?.includes(ref.object))
          throw new TypedError(
            ErrorType.Config,
            `references.${rel}: ${file.object} has no relationship ${rel} to ${ref.object} in Salesforce (a lookup field ${referenceIdField(rel)}); create it or fix the mapping`,
          );
      }
      if (missing.length)
        throw new TypedError(
          ErrorType.Config,
          `the mapping writes ${[...new Set(missing)].join(', ')}, which ${file.object} does not have in Salesforce; create the fields or remove them from the mapping`,
        );
    },
    deliverPage,
    lifecycle,
    explain,
    // A manager written on a later page than its reports is linked here, from what Salesforce holds.
    ...(links.active
      ? {
          async finalizeRun() {
            const { linked, unresolved } = await links.reconcile();
            if (linked || unresolved)
              log(
                `salesforce sink ${o.name}: linked ${linked} ${file.object} relationships at run end${unresolved ? `; ${unresolved} name a record Salesforce does not hold (out of scope?)` : ''}`,
              );
            return { removed: 0 };
          },
        }
      : {}),
    async close() {
      session.invalidate();
    },
  };
}
