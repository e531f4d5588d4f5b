import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { Connection } from 'jsforce';

/** jsforce, loaded on first use: most commands never talk to Salesforce. */
const jsforce = (): typeof import('jsforce') => require('jsforce');
import { z } from 'zod';
import type { NormalizedWorker } from '../domain/worker-record';
import { ErrorType, TypedError } from '../errors/types';
import type { MappedRecord, Mapping } from '../mapping/mapping-file';
import { contentHash } from './hash';
import type {
  DeliveryContext,
  DeliveryResult,
  HeldAction,
  LifecycleItem,
  RecordFailure,
  RecordOutcome,
  Sink,
  SinkLifecycle,
} from './types';

/**
 * Salesforce sink: each page's changed records, mapped by the sink's mapping file, upserted by
 * external id through sObject Collections in requests of 200, with jsforce. Terminated and removed
 * workers are deactivated or deleted as the mapping says, and only when Salesforce already holds
 * them: the page hands those to the delivery core (`held`), which applies them through
 * `lifecycle` once the run's circuit breaker lets it.
 * Salesforce keeps no ledger of ours: upserts by external id are idempotent, and unchanged
 * records are told apart by the hashes the audit trail passes (over the record and the mapping,
 * so a changed mapping rewrites every record once).
 */

export const SALESFORCE_BATCH = 200;
const LOCK_RETRIES = 3;
const LOCK_BACKOFF_MS = 200;
const LIMIT_BACKOFF_MS = 60_000;

const required = (message: string) => z.string({ error: message }).min(1, message);

export const SalesforceCredentials = z.object({
  loginUrl: z.url('SALESFORCE_LOGIN_URL must be a URL: your My Domain, e.g. https://acme.my.salesforce.com'),
  clientId: required('SALESFORCE_CLIENT_ID is required: the connected app’s consumer key'),
  clientSecret: required('SALESFORCE_CLIENT_SECRET is required: the connected app’s consumer secret'),
  apiVersion: z
    .string()
    .regex(/^\d+\.\d$/, 'SALESFORCE_API_VERSION looks like 62.0')
    .default('62.0'),
});
export type SalesforceCredentials = z.infer<typeof SalesforceCredentials>;

/** The credentials from the sink's config entry, else from SALESFORCE_* variables. */
export function salesforceCredentials(
  fromConfig: Partial<Record<keyof SalesforceCredentials, string>>,
  env: NodeJS.ProcessEnv = process.env,
): SalesforceCredentials {
  const r = SalesforceCredentials.safeParse({
    loginUrl: fromConfig.loginUrl ?? env.SALESFORCE_LOGIN_URL,
    clientId: fromConfig.clientId ?? env.SALESFORCE_CLIENT_ID,
    clientSecret: fromConfig.clientSecret ?? env.SALESFORCE_CLIENT_SECRET,
    apiVersion: fromConfig.apiVersion ?? env.SALESFORCE_API_VERSION,
  });
  if (!r.success) throw new TypedError(ErrorType.Config, r.error.issues.map((i) => i.message).join('; '));
  return r.data;
}

export interface SalesforceSinkOptions {
  name: string;
  mapping: Mapping;
  credentials: SalesforceCredentials;
  /** Waits between lock retries; injected so tests need not sleep. */
  sleep?: (ms: number) => Promise<void>;
}

interface SfError {
  errorCode?: string;
  name?: string;
  message: string;
}

interface CollectionResult {
  id?: string;
  success: boolean;
  created?: boolean;
  errors?: { statusCode: string; message: string }[];
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
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const mappingDigest = createHash('sha256').update(JSON.stringify(file)).digest('hex').slice(0, 16);
  const oauth2 = new (jsforce().OAuth2)({
    loginUrl: credentials.loginUrl,
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
  });
  let conn: Connection | undefined;

  async function login(): Promise<Connection> {
    try {
      const t = await oauth2.requestToken({ grant_type: 'client_credentials' });
      conn = new (jsforce().Connection)({
        instanceUrl: t.instance_url,
        accessToken: t.access_token,
        version: credentials.apiVersion,
      });
      return conn;
    } catch (e) {
      throw new TypedError(
        ErrorType.SalesforceAuth,
        `Salesforce refused the client credentials login at ${credentials.loginUrl}: ${(e as Error).message}; check SALESFORCE_CLIENT_ID / SALESFORCE_CLIENT_SECRET and that the connected app allows the client credentials flow with a run-as user`,
      );
    }
  }

  /**
   * One API call: an expired session is refreshed once and the call repeated; the request limit
   * becomes a throttle failure Temporal retries after a delay, never at once.
   */
  async function call<T>(what: string, fn: (c: Connection) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const c = conn ?? (await login());
      try {
        return await fn(c);
      } catch (e) {
        const code = codeOf(e);
        if (code === 'INVALID_SESSION_ID' && attempt === 0) {
          conn = undefined;
          continue;
        }
        if (code === 'INVALID_SESSION_ID')
          throw new TypedError(
            ErrorType.SalesforceAuth,
            `Salesforce rejected a fresh session for ${what} (INVALID_SESSION_ID); check the connected app's session policies and the run-as user's API access`,
          );
        if (code === 'REQUEST_LIMIT_EXCEEDED') {
          const usage = c.limitInfo?.apiUsage;
          throw ApplicationFailure.create({
            type: ErrorType.SalesforceRequestLimit,
            message: `Salesforce API request limit reached during ${what} (REQUEST_LIMIT_EXCEEDED${usage ? `, api-usage ${usage.used}/${usage.limit}` : ''}); backing off ${LIMIT_BACKOFF_MS / 1000}s before the page is retried`,
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

  /** The records already holding these external-id values: their Id and snapshot stamp. */
  async function existing(keys: string[]): Promise<Map<string, { id: string; asOf?: string }>> {
    const found = new Map<string, { id: string; asOf?: string }>();
    const asOf = file.asOfField ? `, ${file.asOfField}` : '';
    for (let i = 0; i < keys.length; i += SALESFORCE_BATCH) {
      const chunk = keys.slice(i, i + SALESFORCE_BATCH);
      const soql = `SELECT Id, ${ext}${asOf} FROM ${file.object} WHERE ${ext} IN (${chunk.map(soqlString).join(', ')})`;
      const res = await call('a lookup by external id', async (c) => {
        const q = await c
          .query<Record<string, string>>(soql)
          .run({ autoFetch: true, maxFetch: SALESFORCE_BATCH });
        return q;
      });
      for (const r of res.records)
        found.set(r[ext]!, {
          id: r.Id!,
          asOf: file.asOfField ? (r[file.asOfField] ?? undefined) : undefined,
        });
    }
    return found;
  }

  /** Upserts, retrying the records a row lock refused; returns one result per record. */
  async function upsertAll(batch: Planned[], heartbeat?: () => void): Promise<Map<string, CollectionResult>> {
    const results = new Map<string, CollectionResult>();
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const res = (await call(`an upsert of ${pending.length} ${file.object} records`, (c) =>
        c.sobject(file.object).upsert(
          pending.map((p) => p.body!),
          ext,
          { allOrNone: false },
        ),
      )) as unknown as CollectionResult[];
      heartbeat?.();
      const locked: Planned[] = [];
      res.forEach((r, i) => {
        const p = pending[i]!;
        if (!r.success && r.errors?.[0]?.statusCode === 'UNABLE_TO_LOCK_ROW' && attempt < LOCK_RETRIES)
          locked.push(p);
        else results.set(p.wid, r);
      });
      pending = locked;
      if (pending.length) await sleep(LOCK_BACKOFF_MS * 2 ** attempt);
    }
    return results;
  }

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
      const lifecycle = m.terminated ? file.actions.onTermination : undefined;
      if (lifecycle === 'nothing' || (!lifecycle && !m.inScope)) {
        // Nothing to write: remembered as seen, so only a change to the record brings it back.
        skipped.push({ wid: r.wid, hash, action: 'unchanged' });
        continue;
      }
      changed.push({ r, m, hash });
    }
    const found = changed.length ? await existing(changed.map((c) => c.m.key)) : new Map();
    const stamp = file.asOfField ? { [file.asOfField]: ctx.asOfEntry } : {};
    const writes: Planned[] = [];
    for (const { r, m, hash } of changed) {
      const h = found.get(m.key);
      const id = h?.id;
      const exists = id !== undefined;
      // Runs may overlap: a page from an older snapshot than the one Salesforce holds writes nothing.
      if (h?.asOf && Date.parse(h.asOf) > Date.parse(ctx.asOfEntry)) {
        skipped.push({ wid: r.wid, hash, action: 'unchanged' });
        continue;
      }
      const lifecycle = m.terminated ? file.actions.onTermination : undefined;
      const skip = () => skipped.push({ wid: r.wid, hash, action: 'unchanged' });
      const attributes = { type: file.object };
      if (lifecycle === 'delete' || lifecycle === 'deactivate') {
        // A worker who leaves before ever reaching Salesforce gets no record there; one who is
        // there is the delivery core's to deactivate or delete, behind the circuit breaker.
        if (exists)
          held.push({ wid: r.wid, workerId: r.workerId, event: 'termination', action: lifecycle, hash });
        else skip();
      } else if (exists ? file.actions.update : file.actions.create) {
        const body = { attributes, ...m.values, ...(exists ? {} : m.createOnly), ...stamp, [ext]: m.key };
        writes.push({ wid: r.wid, hash, kind: 'upsert', exists, body });
      } else skip();
    }
    return { writes, skipped, held };
  }

  /** The body that deactivates a record: its deactivate fields (and, with update on, its values). */
  function deactivation(m: MappedRecord, key: string, asOfEntry: string): Record<string, unknown> {
    return {
      attributes: { type: file.object },
      ...(file.actions.update ? m.values : {}),
      ...m.deactivate,
      ...(file.asOfField ? { [file.asOfField]: asOfEntry } : {}),
      [ext]: key,
    };
  }

  /** Collections results of one batch, per record: done, or refused with Salesforce's code. */
  function collect(
    batch: Planned[],
    result: (p: Planned) => CollectionResult | undefined,
    out: { done: string[]; failures: RecordFailure[] },
  ): void {
    for (const p of batch) {
      const r = result(p);
      const e = r?.errors?.[0];
      if (r?.success || e?.statusCode === 'ENTITY_IS_DELETED') out.done.push(p.wid);
      else
        out.failures.push({
          wid: p.wid,
          code: e?.statusCode ?? 'UNKNOWN',
          message: e?.message ?? 'no message',
        });
    }
  }

  const lifecycle: SinkLifecycle = {
    async removals(absent) {
      const action = file.actions.onRemoval;
      if (action === 'nothing') return [];
      const keyed = absent
        .map((a) => ({ ...a, key: file.matchKey.from === 'wid' ? a.wid : a.workerId }))
        .filter((a): a is typeof a & { key: string } => Boolean(a.key));
      const found = await existing(keyed.map((a) => a.key));
      return keyed
        .filter((a) => found.has(a.key))
        .map((a) => ({ wid: a.wid, workerId: a.workerId, event: 'removal' as const, action }));
    },

    async apply(ctx, items: LifecycleItem[]) {
      const out = { done: [] as string[], failures: [] as RecordFailure[] };
      const keyed: { i: LifecycleItem; key: string; m?: MappedRecord }[] = [];
      for (const i of items) {
        // A removed worker has no record any more: the deactivate fields see its ids only.
        const record = i.record ?? ({ wid: i.wid, workerId: i.workerId } as NormalizedWorker);
        const key = file.matchKey.from === 'wid' ? i.wid : record.workerId;
        if (!key) {
          out.failures.push({
            wid: i.wid,
            code: 'NO_MATCH_KEY',
            message: `no ${file.matchKey.from} to match on`,
          });
          continue;
        }
        keyed.push({ i, key, m: i.action === 'deactivate' ? await mapping.map(record) : undefined });
      }
      const found = keyed.length ? await existing(keyed.map((k) => k.key)) : new Map();
      const upserts: Planned[] = [];
      const deletes: Planned[] = [];
      for (const { i, key, m } of keyed) {
        const h = found.get(key);
        // Gone already, or written since by a newer snapshot: nothing left for this run to do.
        if (!h || (h.asOf && Date.parse(h.asOf) > Date.parse(ctx.asOfEntry))) out.done.push(i.wid);
        else if (i.action === 'delete')
          deletes.push({ wid: i.wid, hash: i.hash ?? '', kind: 'delete', id: h.id, exists: true });
        else
          upserts.push({
            wid: i.wid,
            hash: i.hash ?? '',
            kind: 'upsert',
            exists: true,
            body: deactivation(m!, key, ctx.asOfEntry),
          });
      }
      for (let i = 0; i < upserts.length; i += SALESFORCE_BATCH) {
        const batch = upserts.slice(i, i + SALESFORCE_BATCH);
        const res = await upsertAll(batch, ctx.heartbeat);
        collect(batch, (p) => res.get(p.wid), out);
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
        collect(batch, (p) => res[batch.indexOf(p)], out);
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
  };

  async function deliverPage(ctx: DeliveryContext, records: NormalizedWorker[]): Promise<DeliveryResult> {
    const { writes, skipped, held } = await plan(ctx, records);
    const outcomes: RecordOutcome[] = [...skipped];
    const failures: RecordFailure[] = [];
    const upserts = writes.filter((w) => w.kind === 'upsert');
    for (let i = 0; i < upserts.length; i += SALESFORCE_BATCH) {
      const batch = upserts.slice(i, i + SALESFORCE_BATCH);
      const res = await upsertAll(batch, ctx.heartbeat);
      for (const p of batch) {
        const r = res.get(p.wid)!;
        if (r.success)
          outcomes.push({ wid: p.wid, hash: p.hash, action: r.created ? 'inserted' : 'updated' });
        else {
          const e = r.errors?.[0];
          failures.push({
            wid: p.wid,
            code: e?.statusCode ?? 'UNKNOWN',
            message: e?.message ?? 'no message',
          });
        }
      }
    }
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
      ].filter((f) => !fields.has(f));
      if (missing.length)
        throw new TypedError(
          ErrorType.Config,
          `the mapping writes ${[...new Set(missing)].join(', ')}, which ${file.object} does not have in Salesforce; create the fields or remove them from the mapping`,
        );
    },
    deliverPage,
    lifecycle,
    async close() {
      conn = undefined;
    },
  };
}
