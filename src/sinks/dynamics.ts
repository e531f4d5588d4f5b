import type { DynamicsWebApi } from 'dynamics-web-api';
import { z } from 'zod';
import type { NormalizedWorker } from '../domain/worker-record';
import { boundText } from '../errors/bound';
import { ErrorType, TypedError } from '../errors/types';
import type { Mapping } from '../mapping/mapping-file';
import { deliverMapped, type Held, mappingDigest, type PlannedWrite, writeValues } from './mapped-plan';
import {
  connectionFailure,
  httpFailure,
  INLINE_THROTTLE_MS,
  realSleep,
  retryAfterMs,
  throttleFailure,
  waitHeartbeating,
} from './target-http';
import { explainMapped } from './mapped-explain';
import { mappedLifecycle } from './mapped-lifecycle';
import type {
  DeliveryContext,
  DeliveryResult,
  ExplainContext,
  RecordFailure,
  Sink,
  SinkExplanation,
} from './types';

/** dynamics-web-api, loaded on first use: most commands never talk to Dataverse. */
const dwaLib = (): typeof import('dynamics-web-api') => require('dynamics-web-api');

/**
 * Dynamics 365 / Dataverse sink: each page's changed records, mapped by the sink's mapping file
 * onto a table, written through the Web API with dynamics-web-api as one $batch (up to 1,000
 * operations) of upserts by alternate key: `If-None-Match: *` for a row the table does not hold
 * (create-only), `If-Match: *` for one it does (update-only), so the mapping's create and update
 * switches hold even when another writer races the sink. The batch runs with
 * odata.continue-on-error and no changeset: a changeset is all or nothing, and one refused row must
 * not take its page's other rows with it. Tokens come from the Microsoft identity platform by
 * client credentials; the service protection limits are honoured: 429 waits for Retry-After (or
 * goes back to Temporal with that delay), and each process keeps at most DATAVERSE_CONCURRENCY
 * requests in flight.
 */

export const DATAVERSE_BATCH = 1000;
/** Well under the per-user limit of 52 concurrent requests, which every worker process shares. */
export const DATAVERSE_CONCURRENCY = 8;
const LOOKUP_CHUNK = 50;
const API_VERSION = '9.2';

export const DataverseCredentials = z.object({
  url: z.url('DATAVERSE_URL must be your environment URL, e.g. https://acme.crm.dynamics.com'),
  tenantId: z.string({ error: 'DATAVERSE_TENANT_ID is required: the Entra ID tenant (directory) id' }).min(1),
  clientId: z
    .string({ error: 'DATAVERSE_CLIENT_ID is required: the app registration’s application (client) id' })
    .min(1),
  clientSecret: z
    .string({ error: 'DATAVERSE_CLIENT_SECRET is required: a client secret of that app registration' })
    .min(1),
  authority: z
    .url('DATAVERSE_AUTHORITY must be a URL such as https://login.microsoftonline.com')
    .default('https://login.microsoftonline.com'),
});
export type DataverseCredentials = z.infer<typeof DataverseCredentials>;

/** The credentials from the sink's config entry, else from DATAVERSE_* variables. */
export function dataverseCredentials(
  fromConfig: Partial<Record<keyof DataverseCredentials, string>>,
  env: NodeJS.ProcessEnv = process.env,
): DataverseCredentials {
  const r = DataverseCredentials.safeParse({
    url: fromConfig.url ?? env.DATAVERSE_URL,
    tenantId: fromConfig.tenantId ?? env.DATAVERSE_TENANT_ID,
    clientId: fromConfig.clientId ?? env.DATAVERSE_CLIENT_ID,
    clientSecret: fromConfig.clientSecret ?? env.DATAVERSE_CLIENT_SECRET,
    authority: fromConfig.authority ?? (env.DATAVERSE_AUTHORITY || undefined),
  });
  if (!r.success) throw new TypedError(ErrorType.Config, r.error.issues.map((i) => i.message).join('; '));
  return r.data;
}

export interface DataverseSinkOptions {
  name: string;
  mapping: Mapping;
  credentials: DataverseCredentials;
  sleep?: (ms: number) => Promise<void>;
}

/** What dynamics-web-api rejects with, or returns in a batch for a failed operation (envelope kept under `error`). */
interface DwaError {
  status?: number;
  code?: string;
  message: string;
  headers?: Record<string, string>;
  error?: { code?: string; message?: string };
}

const codeOf = (e: DwaError) => e.code ?? e.error?.code;
const messageOf = (e: DwaError) => e.error?.message ?? e.message;

const isDwaError = (x: unknown): x is DwaError =>
  x instanceof Error && typeof (x as DwaError).status === 'number';

/** A small counting semaphore: the concurrency limit is per user, and pages run in parallel. */
function slots(n: number) {
  let free = n;
  const waiting: (() => void)[] = [];
  return {
    async run<T>(fn: () => Promise<T>): Promise<T> {
      if (free > 0) free--;
      else await new Promise<void>((r) => waiting.push(r));
      try {
        return await fn();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else free++;
      }
    },
  };
}

const quote = (v: string) => `'${v.replace(/'/g, "''")}'`;

export function createDataverseSink(o: DataverseSinkOptions): Sink {
  const { mapping, credentials } = o;
  const file = mapping.file;
  const set = file.object;
  const keyField = file.matchKey.field;
  const sleep = o.sleep ?? realSleep;
  const digest = mappingDigest(mapping);
  const serverUrl = credentials.url.replace(/\/+$/, '');
  const limiter = slots(DATAVERSE_CONCURRENCY);
  /** The columns the mapping writes (lookups bound by @odata.bind are navigation, not columns). */
  const columns = [
    ...new Set(
      [
        keyField,
        ...Object.keys(file.fields),
        ...Object.keys(file.onCreate),
        ...Object.keys(file.deactivate),
        ...(file.asOfField ? [file.asOfField] : []),
        ...(file.matchKey.ownerField ? [file.matchKey.ownerField] : []),
      ].filter((c) => !c.endsWith('@odata.bind')),
    ),
  ];
  let token: { value: string; until: number } | undefined;

  async function accessToken(): Promise<string> {
    if (token && token.until > Date.now()) return token.value;
    const url = `${credentials.authority.replace(/\/+$/, '')}/${encodeURIComponent(credentials.tenantId)}/oauth2/v2.0/token`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: credentials.clientId,
          client_secret: credentials.clientSecret,
          scope: `${serverUrl}/.default`,
        }),
      });
    } catch (e) {
      throw connectionFailure('the Microsoft identity platform', 'a token request', e);
    }
    const body = (await res.json().catch(() => ({}))) as {
      access_token?: string;
      expires_in?: number;
      error_description?: string;
    };
    if (!res.ok || !body.access_token)
      throw new TypedError(
        ErrorType.TargetAuth,
        `the Microsoft identity platform refused the client credentials for ${serverUrl} (HTTP ${res.status}: ${boundText((body.error_description ?? '').split(' Trace ID')[0]!)}); check DATAVERSE_TENANT_ID / DATAVERSE_CLIENT_ID / DATAVERSE_CLIENT_SECRET`,
        res.status >= 500,
      );
    token = {
      value: body.access_token,
      until: Date.now() + Math.max(60, (body.expires_in ?? 3600) - 120) * 1000,
    };
    return token.value;
  }

  const client = (): DynamicsWebApi =>
    new (dwaLib().DynamicsWebApi)({
      serverUrl,
      dataApi: { version: API_VERSION },
      propagateErrors: true,
      onTokenRefresh: accessToken,
    });

  /** One Web API call: a refused token is fetched again once; throttles are waited out or handed to Temporal. */
  async function call<T>(
    what: string,
    fn: (api: DynamicsWebApi) => Promise<T>,
    heartbeat?: () => void,
  ): Promise<T> {
    let waited = 0;
    let renewed = false;
    for (;;) {
      try {
        return await limiter.run(() => fn(client()));
      } catch (e) {
        if (e instanceof TypedError) throw e;
        if (!isDwaError(e)) throw connectionFailure('Dataverse', what, e);
        if (e.status === 401 && !renewed) {
          renewed = true;
          token = undefined;
          continue;
        }
        if (e.status === 429 || (e.status === 503 && e.headers?.['retry-after'])) {
          const ms = retryAfterMs(e.headers?.['retry-after']);
          if (ms > INLINE_THROTTLE_MS || waited + ms > 4 * INLINE_THROTTLE_MS)
            throw throttleFailure({ target: 'Dataverse', what: `${what} (${codeOf(e)})`, retryAfterMs: ms });
          waited += ms;
          await waitHeartbeating(ms, sleep, heartbeat);
          continue;
        }
        throw httpFailure(
          'Dataverse',
          what,
          e.status!,
          `${codeOf(e) ?? ''} ${messageOf(e)}`,
          'check that the app registration is an application user of the environment with a security role that may read and write the table',
        );
      }
    }
  }

  async function lookup(keys: string[]): Promise<Map<string, Held>> {
    const found = new Map<string, Held>();
    const owner = file.matchKey.ownerField;
    const select = [keyField, ...(file.asOfField ? [file.asOfField] : []), ...(owner ? [owner] : [])];
    for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) {
      const filter = keys
        .slice(i, i + LOOKUP_CHUNK)
        .map((k) => `${keyField} eq ${quote(k)}`)
        .join(' or ');
      const r = await call(`a lookup of ${set} by ${keyField}`, (api) =>
        api.retrieveAll<Record<string, unknown>>({ collection: set, select, filter }),
      );
      for (const row of r.value)
        found.set(String(row[keyField]), {
          id: String(row[keyField]),
          asOf: file.asOfField ? ((row[file.asOfField] as string | null) ?? undefined) : undefined,
          owner: owner ? ((row[owner] as string | null) ?? undefined) : undefined,
        });
    }
    return found;
  }

  function request(w: PlannedWrite<Held>, asOfEntry: string) {
    const key = `${keyField}=${quote(w.m.key)}`;
    if (w.kind === 'delete')
      return { kind: 'delete' as const, req: { collection: set, key, inChangeSet: false } };
    const data = {
      ...writeValues(w, file.actions.update),
      ...(file.asOfField ? { [file.asOfField]: asOfEntry } : {}),
    };
    // The lookup said whether the row exists; the precondition keeps that true when the write lands.
    const condition = w.kind === 'create' ? { ifnonematch: '*' } : { ifmatch: '*' };
    return { kind: 'upsert' as const, req: { collection: set, key, data, inChangeSet: false, ...condition } };
  }

  /**
   * Writes as $batch requests of up to 1,000 operations: per write, landed (or, for a deactivation
   * or deletion, found gone already) or refused with Dataverse's error code.
   */
  async function writeRows(
    writes: PlannedWrite<Held>[],
    asOfEntry: string,
    heartbeat?: () => void,
  ): Promise<{ done: PlannedWrite<Held>[]; failures: RecordFailure[] }> {
    const done: PlannedWrite<Held>[] = [];
    const failures: RecordFailure[] = [];
    for (let i = 0; i < writes.length; i += DATAVERSE_BATCH) {
      const batch = writes.slice(i, i + DATAVERSE_BATCH);
      const results = await call(
        `a $batch of ${batch.length} ${set} writes`,
        (api) => {
          api.startBatch();
          for (const w of batch) {
            const r = request(w, asOfEntry);
            if (r.kind === 'delete') api.deleteRecord(r.req);
            else api.upsert(r.req);
          }
          return api.executeBatch({ inChangeSet: false, continueOnError: true });
        },
        heartbeat,
      );
      heartbeat?.();
      batch.forEach((w, k) => {
        const r = results[k] as unknown;
        if (!isDwaError(r)) {
          done.push(w);
          return;
        }
        // Gone already: nothing left to delete or deactivate.
        if (r.status === 404 && (w.kind === 'delete' || w.kind === 'deactivate')) {
          done.push(w);
          return;
        }
        if (r.status === 429 || r.status! >= 500)
          throw new TypedError(
            ErrorType.TargetRequest,
            `Dataverse answered ${r.status} (${codeOf(r)}) inside a $batch: ${boundText(messageOf(r))}; the page is sent again`,
            true,
          );
        failures.push({
          wid: w.wid,
          code: codeOf(r) ?? `HTTP_${r.status}`,
          message: boundText(messageOf(r)),
        });
      });
    }
    return { done, failures };
  }

  function deliverPage(ctx: DeliveryContext, records: NormalizedWorker[]): Promise<DeliveryResult> {
    return deliverMapped({
      mapping,
      digest,
      ctx,
      records,
      lookup,
      async write(writes) {
        const { done, failures } = await writeRows(writes, ctx.asOfEntry, ctx.heartbeat);
        return { written: done.map((w) => ({ w, created: w.kind === 'create' })), failures };
      },
    });
  }

  /** Deactivations (update-only upserts of the deactivate fields) and deletions the delivery core decided on. */
  const lifecycle = mappedLifecycle({
    mapping,
    lookup,
    async write(ws, ctx) {
      const { done, failures } = await writeRows(ws, ctx.asOfEntry, ctx.heartbeat);
      return { done: done.map((w) => w.wid), failures };
    },
    async count() {
      // The rows holding a match key: ours. Dataverse counts up to 5,000, a conservative base above that.
      const r = await call(`a count of ${set} rows`, (api) =>
        api.retrieveMultiple({
          collection: set,
          select: [keyField],
          filter: `${keyField} ne null`,
          count: true,
          top: 1,
        }),
      );
      return r.oDataCount ?? r.value.length;
    },
  });

  /** What a delivery of this one record would do, decided by the same plan as a page; writes nothing. */
  function explain(record: NormalizedWorker, ectx: ExplainContext): Promise<SinkExplanation> {
    return explainMapped({
      mapping,
      digest,
      record,
      ectx,
      lookup,
      noun: `${set} row`,
      async current(key) {
        try {
          const row = await call(`a read of the ${set} row`, (api) =>
            api.retrieve<Record<string, unknown>>({
              collection: set,
              key: `${keyField}=${quote(key)}`,
              select: columns,
            }),
          );
          // OData annotations (@odata.etag) are the protocol's, not the row's.
          return Object.fromEntries(Object.entries(row).filter(([k]) => !k.startsWith('@')));
        } catch (e) {
          if (e instanceof TypedError && / HTTP 404:/.test(e.message)) return null;
          throw e;
        }
      },
      body(w) {
        const r = request(w, ectx.asOfEntry);
        return r.kind === 'delete' ? { [keyField]: w.m.key } : { [keyField]: w.m.key, ...r.req.data };
      },
    });
  }

  return {
    name: o.name,
    type: 'dynamics',
    capabilities: {
      comparesHashes: false,
      snapshotsFromAudit: true,
      keepsUnfetchedSections: false,
      marksRemovals: false,
      ledgerOutlivesRun: true,
      transactional: false,
      batchSize: DATAVERSE_BATCH,
    },
    async init() {
      try {
        await call(`a read of ${set}`, (api) =>
          api.retrieveMultiple({ collection: set, select: columns, top: 1 }),
        );
      } catch (e) {
        if (e instanceof TypedError && e.type === ErrorType.TargetRequest && !e.retryable)
          throw new TypedError(
            ErrorType.Config,
            `${e.message}; create the columns in the ${set} table or change the mapping`,
          );
        throw e;
      }
      try {
        await call(`a probe of the alternate key ${keyField}`, (api) =>
          api.retrieve({ collection: set, key: `${keyField}=${quote('wdsync-probe')}`, select: [keyField] }),
        );
      } catch (e) {
        if (e instanceof TypedError && / HTTP 404:/.test(e.message)) return;
        if (e instanceof TypedError && e.type === ErrorType.TargetRequest && !e.retryable)
          throw new TypedError(
            ErrorType.Config,
            `${set}.${keyField} is not an alternate key in Dataverse (${e.message}); define a key on that column or change matchKey.field`,
          );
        throw e;
      }
    },
    deliverPage,
    lifecycle,
    explain,
    async close() {
      token = undefined;
    },
  };
}
