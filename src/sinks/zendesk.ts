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

/**
 * Zendesk sink: each page's changed records, mapped by the sink's mapping file onto Zendesk users,
 * written with `users/create_or_update_many` (matched on external_id, 100 per call). Each call is
 * a background job: the sink polls `job_statuses` at once (results expire after about an hour)
 * and takes one outcome per user from its results, in request order. A user's organization
 * (`organization.external_id` / `organization.name` in the mapping) is upserted by external_id
 * first and the user joins it through `organization_id`. No ledger of ours in Zendesk: upserts by
 * external_id are idempotent, and the audit trail's hashes tell unchanged records apart.
 */

export const ZENDESK_BATCH = 100;
const POLL_FIRST_MS = 100;
const POLL_MAX_MS = 1000;
const JOB_TIMEOUT_MS = 5 * 60_000;

export const ZendeskCredentials = z
  .object({
    url: z.url('ZENDESK_URL must be your account URL, e.g. https://acme.zendesk.com'),
    email: z.string().optional(),
    apiToken: z.string().optional(),
    oauthToken: z.string().optional(),
  })
  .superRefine((c, ctx) => {
    if (c.oauthToken) return;
    if (!c.apiToken)
      ctx.addIssue({
        code: 'custom',
        message: 'ZENDESK_API_TOKEN (with ZENDESK_EMAIL) or ZENDESK_OAUTH_TOKEN is required',
      });
    else if (!c.email)
      ctx.addIssue({
        code: 'custom',
        message: 'ZENDESK_EMAIL is required with ZENDESK_API_TOKEN: the agent the token belongs to',
      });
  });
export type ZendeskCredentials = z.infer<typeof ZendeskCredentials>;

/** The credentials from the sink's config entry, else from ZENDESK_* variables. */
export function zendeskCredentials(
  fromConfig: Partial<Record<keyof ZendeskCredentials, string>>,
  env: NodeJS.ProcessEnv = process.env,
): ZendeskCredentials {
  const r = ZendeskCredentials.safeParse({
    url: fromConfig.url ?? env.ZENDESK_URL,
    email: fromConfig.email ?? env.ZENDESK_EMAIL,
    apiToken: fromConfig.apiToken ?? env.ZENDESK_API_TOKEN,
    oauthToken: fromConfig.oauthToken ?? env.ZENDESK_OAUTH_TOKEN,
  });
  if (!r.success) throw new TypedError(ErrorType.Config, r.error.issues.map((i) => i.message).join('; '));
  return r.data;
}

export interface ZendeskSinkOptions {
  name: string;
  mapping: Mapping;
  credentials: ZendeskCredentials;
  /** Injected so tests need not sleep. */
  sleep?: (ms: number) => Promise<void>;
}

interface ZdUser {
  id: number;
  external_id: string | null;
  organization_id: number | null;
  user_fields?: Record<string, unknown>;
}

interface JobStatus {
  id: string;
  status: 'queued' | 'working' | 'completed' | 'failed' | 'killed';
  message?: string | null;
  results?: { id?: number; index?: number; status: string; error?: string; details?: string }[] | null;
}

interface ZdHeld extends Held {
  organizationId: number | null;
}

type Value = string | number | boolean | null;

export function createZendeskSink(o: ZendeskSinkOptions): Sink {
  const { mapping, credentials } = o;
  const file = mapping.file;
  const sleep = o.sleep ?? realSleep;
  const digest = mappingDigest(mapping);
  const api = `${credentials.url.replace(/\/+$/, '')}/api/v2`;
  const auth = credentials.oauthToken
    ? `Bearer ${credentials.oauthToken}`
    : `Basic ${Buffer.from(`${credentials.email}/token:${credentials.apiToken}`).toString('base64')}`;
  const asOfKey = file.asOfField?.startsWith('user_fields.') ? file.asOfField.slice(12) : undefined;
  /** Under a person key, the user field that names the WID owning the user. */
  const ownerKey = file.matchKey.ownerField?.startsWith('user_fields.')
    ? file.matchKey.ownerField.slice(12)
    : undefined;
  /** Organizations this sink has upserted: external_id -> id and the name it wrote. */
  const orgs = new Map<string, { id: number; name?: string }>();

  async function call<T>(
    method: string,
    path: string,
    what: string,
    body?: unknown,
    heartbeat?: () => void,
  ): Promise<T> {
    let waited = 0;
    for (;;) {
      let res: Response;
      try {
        res = await fetch(`${api}/${path}`, {
          method,
          headers: {
            Authorization: auth,
            Accept: 'application/json',
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (e) {
        throw connectionFailure('Zendesk', what, e);
      }
      if (res.status === 429 || (res.status === 503 && res.headers.has('retry-after'))) {
        await res.body?.cancel();
        const ms = retryAfterMs(res.headers.get('retry-after'));
        if (ms > INLINE_THROTTLE_MS || waited + ms > 4 * INLINE_THROTTLE_MS)
          throw throttleFailure({ target: 'Zendesk', what, retryAfterMs: ms });
        waited += ms;
        await waitHeartbeating(ms, sleep, heartbeat);
        continue;
      }
      const text = await res.text();
      if (!res.ok)
        throw httpFailure(
          'Zendesk',
          what,
          res.status,
          text,
          'check ZENDESK_EMAIL / ZENDESK_API_TOKEN (Admin Center > Apps and integrations > Zendesk API, token access on) or ZENDESK_OAUTH_TOKEN, and that the user is an admin',
        );
      return (text ? JSON.parse(text) : {}) as T;
    }
  }

  async function lookup(keys: string[]): Promise<Map<string, ZdHeld>> {
    const found = new Map<string, ZdHeld>();
    for (let i = 0; i < keys.length; i += ZENDESK_BATCH) {
      const chunk = keys.slice(i, i + ZENDESK_BATCH);
      const r = await call<{ users: ZdUser[] }>(
        'GET',
        `users/show_many.json?external_ids=${chunk.map(encodeURIComponent).join(',')}`,
        'a lookup of users by external_id',
      );
      for (const u of r.users)
        if (u.external_id)
          found.set(u.external_id, {
            id: String(u.id),
            organizationId: u.organization_id,
            asOf: asOfKey ? ((u.user_fields?.[asOfKey] as string | null) ?? undefined) : undefined,
            owner: ownerKey ? ((u.user_fields?.[ownerKey] as string | null) ?? undefined) : undefined,
          });
    }
    return found;
  }

  /** The organization a user's values name, upserted by external_id once per name: its id, or null. */
  async function organizationId(values: Record<string, Value>): Promise<number | null | undefined> {
    if (!('organization.external_id' in values)) return undefined;
    const ext = values['organization.external_id'];
    if (ext === null || ext === '') return null;
    const name = values['organization.name'] === undefined ? undefined : String(values['organization.name']);
    const known = orgs.get(String(ext));
    if (known && (name === undefined || known.name === name)) return known.id;
    const r = await call<{ organization: { id: number; name: string } }>(
      'POST',
      'organizations/create_or_update.json',
      'an organization upsert',
      { organization: { external_id: String(ext), name: name ?? String(ext) } },
    );
    orgs.set(String(ext), { id: r.organization.id, name: r.organization.name });
    return r.organization.id;
  }

  /** A mapped record as a Zendesk user, user_fields.* nested; organization.* left to the caller. */
  function userShape(w: PlannedWrite<ZdHeld>, asOfEntry: string): Record<string, unknown> {
    const values = writeValues(w, file.actions.update);
    const user: Record<string, unknown> = { external_id: w.m.key };
    const userFields: Record<string, Value> = {};
    for (const [k, v] of Object.entries(values)) {
      if (k.startsWith('organization.')) continue;
      if (k.startsWith('user_fields.')) userFields[k.slice(12)] = v;
      else user[k] = v;
    }
    if (asOfKey) userFields[asOfKey] = asOfEntry;
    if (Object.keys(userFields).length) user.user_fields = userFields;
    return user;
  }

  /** The user a write sends, its organization upserted and joined through organization_id. */
  async function userBody(w: PlannedWrite<ZdHeld>, asOfEntry: string): Promise<Record<string, unknown>> {
    const user = userShape(w, asOfEntry);
    const org = await organizationId(writeValues(w, file.actions.update));
    if (org !== undefined) user.organization_id = org;
    return user;
  }

  async function poll(jobId: string, heartbeat?: () => void): Promise<JobStatus> {
    const started = Date.now();
    for (let delay = POLL_FIRST_MS; ; delay = Math.min(delay * 2, POLL_MAX_MS)) {
      await sleep(delay);
      heartbeat?.();
      let job: JobStatus;
      try {
        job = (
          await call<{ job_status: JobStatus }>(
            'GET',
            `job_statuses/${jobId}.json`,
            'a job status read',
            undefined,
            heartbeat,
          )
        ).job_status;
      } catch (e) {
        // Results expire; the upserts are idempotent, so the page is sent again.
        if (e instanceof TypedError && / HTTP 404:/.test(e.message))
          throw new TypedError(
            ErrorType.TargetRequest,
            `Zendesk job ${jobId} expired before its results were read; the page is sent again`,
            true,
          );
        throw e;
      }
      if (job.status === 'completed') return job;
      if (job.status === 'failed' || job.status === 'killed')
        throw new TypedError(
          ErrorType.TargetRequest,
          `Zendesk job ${jobId} ${job.status}: ${boundText(job.message ?? 'no message')}; the page is sent again`,
          true,
        );
      if (Date.now() - started > JOB_TIMEOUT_MS)
        throw new TypedError(
          ErrorType.TargetRequest,
          `Zendesk job ${jobId} still ${job.status} after ${JOB_TIMEOUT_MS / 60_000} minutes; the page is sent again`,
          true,
        );
    }
  }

  /**
   * Users written through create_or_update_many jobs of 100, each job polled at once: per write,
   * whether Zendesk created or updated the user, or the refusal with its code.
   */
  async function upsertUsers(
    writes: PlannedWrite<ZdHeld>[],
    asOfEntry: string,
    heartbeat?: () => void,
  ): Promise<{ written: { w: PlannedWrite<ZdHeld>; created: boolean }[]; failures: RecordFailure[] }> {
    const written: { w: PlannedWrite<ZdHeld>; created: boolean }[] = [];
    const failures: RecordFailure[] = [];
    const batches: { batch: PlannedWrite<ZdHeld>[]; jobId: string }[] = [];
    for (let i = 0; i < writes.length; i += ZENDESK_BATCH) {
      const batch: PlannedWrite<ZdHeld>[] = [];
      const users = [];
      for (const w of writes.slice(i, i + ZENDESK_BATCH)) {
        try {
          users.push(await userBody(w, asOfEntry));
          batch.push(w);
        } catch (e) {
          // An organization Zendesk refuses (its name taken by another) fails its members alone.
          if (!(e instanceof TypedError && e.type === ErrorType.TargetRequest && !e.retryable)) throw e;
          failures.push({ wid: w.wid, code: 'OrganizationRefused', message: e.message });
        }
      }
      if (!users.length) continue;
      const r = await call<{ job_status: JobStatus }>(
        'POST',
        'users/create_or_update_many.json',
        `a bulk upsert of ${users.length} users`,
        { users },
        heartbeat,
      );
      batches.push({ batch, jobId: r.job_status.id });
    }
    for (const { batch, jobId } of batches) {
      const job = await poll(jobId, heartbeat);
      batch.forEach((w, i) => {
        const r = job.results?.find((x) => x.index === i) ?? job.results?.[i];
        if (r && (r.status === 'Created' || r.status === 'Updated'))
          written.push({ w, created: r.status === 'Created' });
        else
          failures.push({
            wid: w.wid,
            code: r?.error ?? 'NoResult',
            message: boundText(r?.details ?? `job ${jobId} gave no result for this user`),
          });
      });
    }
    return { written, failures };
  }

  function deliverPage(ctx: DeliveryContext, records: NormalizedWorker[]): Promise<DeliveryResult> {
    return deliverMapped({
      mapping,
      digest,
      ctx,
      records,
      lookup,
      write: (writes) => upsertUsers(writes, ctx.asOfEntry, ctx.heartbeat),
    });
  }

  /** Deactivations (the deactivate fields, as an upsert) and deletions the delivery core decided on. */
  const lifecycle = mappedLifecycle({
    mapping,
    lookup,
    async write(ws, ctx) {
      const { written, failures } = await upsertUsers(
        ws.filter((w) => w.kind === 'deactivate'),
        ctx.asOfEntry,
        ctx.heartbeat,
      );
      const done = written.map(({ w }) => w.wid);
      for (const w of ws.filter((x) => x.kind === 'delete')) {
        try {
          await call('DELETE', `users/${w.held!.id}.json`, 'a user delete', undefined, ctx.heartbeat);
          done.push(w.wid);
        } catch (e) {
          if (!(e instanceof TypedError && e.type === ErrorType.TargetRequest && !e.retryable)) throw e;
          // Gone already: nothing left to delete. Any other refusal is this user's alone.
          if (/ HTTP 404:/.test(e.message)) done.push(w.wid);
          else
            failures.push({
              wid: w.wid,
              code: `HTTP_${/HTTP (\d+)/.exec(e.message)?.[1] ?? '4xx'}`,
              message: e.message,
            });
        }
      }
      return { done, failures };
    },
    async count() {
      // Zendesk counts users by role, not by external_id: the base is every user of the account.
      const r = await call<{ count: { value: number } }>('GET', 'users/count.json', 'a count of users');
      return r.count.value;
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
      noun: 'Zendesk user',
      async current(key) {
        const r = await call<{ users: Record<string, unknown>[] }>(
          'GET',
          `users/show_many.json?external_ids=${encodeURIComponent(key)}`,
          'a read of the user',
        );
        return r.users.find((u) => u.external_id === key) ?? null;
      },
      body(w) {
        if (w.kind === 'delete') return { id: Number(w.held!.id), external_id: w.m.key };
        const user = userShape(w, ectx.asOfEntry);
        const values = writeValues(w, file.actions.update);
        // Shown, not upserted: explain writes nothing, so the organization is named, not resolved.
        if ('organization.external_id' in values)
          user.organization = {
            external_id: values['organization.external_id'],
            ...('organization.name' in values ? { name: values['organization.name'] } : {}),
          };
        return user;
      },
    });
  }

  return {
    name: o.name,
    type: 'zendesk',
    capabilities: {
      comparesHashes: false,
      snapshotsFromAudit: true,
      keepsUnfetchedSections: false,
      marksRemovals: false,
      ledgerOutlivesRun: true,
      transactional: false,
      batchSize: ZENDESK_BATCH,
    },
    async init() {
      if (file.matchKey.field !== 'external_id')
        throw new TypedError(
          ErrorType.Config,
          `Zendesk matches users on external_id; set matchKey.field to "external_id" (it is "${file.matchKey.field}")`,
        );
      const r = await call<{ user_fields: { key: string; active: boolean }[] }>(
        'GET',
        'user_fields.json',
        'a read of the user fields',
      );
      const have = new Set(r.user_fields.filter((f) => f.active).map((f) => f.key));
      const named = [
        ...Object.keys(file.fields),
        ...Object.keys(file.onCreate),
        ...Object.keys(file.deactivate),
        ...(file.asOfField ? [file.asOfField] : []),
        ...(file.matchKey.ownerField ? [file.matchKey.ownerField] : []),
      ]
        .filter((f) => f.startsWith('user_fields.'))
        .map((f) => f.slice(12));
      const missing = [...new Set(named.filter((k) => !have.has(k)))];
      if (missing.length)
        throw new TypedError(
          ErrorType.Config,
          `the mapping writes user fields ${missing.join(', ')}, which Zendesk does not have (or are inactive); create them in Admin Center > People > User fields or remove them from the mapping`,
        );
      if (file.matchKey.ownerField && !ownerKey)
        throw new TypedError(
          ErrorType.Config,
          `matchKey.ownerField must be a text user field, e.g. "user_fields.workday_id" (it is "${file.matchKey.ownerField}")`,
        );
      if (file.asOfField && !asOfKey)
        throw new TypedError(
          ErrorType.Config,
          `asOfField must be a text user field, e.g. "user_fields.workday_as_of" (it is "${file.asOfField}")`,
        );
    },
    deliverPage,
    lifecycle,
    explain,
    async close() {
      orgs.clear();
    },
  };
}
