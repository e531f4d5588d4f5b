import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Faults } from '../../salesforce/simulator/faults';
import { adminRoute, BodyTooLarge, listen, RequestWindow, readBody, sameSecret, sendJson } from '../../http';
import { ZendeskFaultRule, ZendeskSimulatorOptions, type ZendeskSimulatorOptionsInput } from './options';
import {
  RecordInvalid,
  type WriteEntry,
  type ZendeskMembership,
  type ZendeskOrganization,
  type ZendeskStore,
  ZendeskStore as Store,
  type ZendeskUser,
} from './store';

/**
 * The Zendesk simulator: the Support API surface the Zendesk sink uses, in Zendesk's published
 * shapes, so node-zendesk works against it unchanged. Under /api/v2 (with or without `.json`):
 * users (list, show, show_many by ids or external_ids, search by external_id, create_or_update,
 * create_or_update_many as a background job of at most 100), job_statuses (queued, working,
 * completed or failed; results kept for jobTtlMs, then 404), users/count, organizations (list,
 * show_many, create_or_update by external_id), organization_memberships (list for the account, a
 * user or an organization; show, create, create_many as a job, delete, destroy_many, make_default;
 * a user's organization_id is its default membership), user_fields. Auth: `<email>/token:<api token>` basic, or an
 * OAuth bearer token. Past requestsPerMinute every request is 429 with Retry-After. An admin API
 * under /__admin/ (and `admin` in process) for tests.
 */

export { ZendeskSimulatorOptions, ZendeskFaultRule, type ZendeskSimulatorOptionsInput } from './options';
export type { ZendeskUser, ZendeskOrganization, ZendeskMembership } from './store';

const MAX_MANY = 100;
const PER_PAGE_MAX = 100;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body === 'object' ? JSON.stringify(body) : String(body));
  }
}

const notFound = () => new HttpError(404, { error: 'RecordNotFound', description: 'Not found' });

/** One task's result: its shape depends on the job type (Zendesk's job_statuses "Results"). */
type JobResult = Record<string, unknown> & { index: number };

interface Job {
  id: string;
  /** Zendesk's job_type, e.g. "Bulk Create or Update Users". */
  type: string;
  total: number;
  createdAt: number;
  status: 'queued' | 'working' | 'completed' | 'failed';
  results: JobResult[] | null;
  message: string | null;
  expiresAt?: number;
  /** The tasks, dropped once done; each runs against the store when the job works. */
  items: unknown[];
  work: (item: unknown, index: number) => JobResult;
}

export interface ZendeskStats {
  requests: number;
  byRoute: Record<string, number>;
  rateLimited: number;
  users: number;
  organizations: number;
  memberships: number;
  created: number;
  updated: number;
  recordFailures: Record<string, number>;
  jobs: number;
  /** Users per create_or_update_many request, in order. */
  batchSizes: number[];
  /** Job status reads that found the job expired (404). */
  expiredReads: number;
}

export interface ZendeskAdmin {
  stats(): ZendeskStats;
  reset(): void;
  setFaults(rules: unknown): ZendeskFaultRule[];
  faults(): ZendeskFaultRule[];
  /** Every finished job's results expire now (job_statuses answers 404). */
  expireJobs(): void;
  users(): ZendeskUser[];
  organizations(): ZendeskOrganization[];
  memberships(): ZendeskMembership[];
  /** Every user write (created or updated) since the last reset, in order. */
  writes(): WriteEntry[];
}

export interface ZendeskSimulatorHandle {
  /** The account URL (ZENDESK_URL); the API is under <url>/api/v2. */
  url: string;
  adminUrl: string;
  email: string;
  apiToken: string;
  oauthToken: string;
  /** The environment variables that point the Zendesk sink at this simulator. */
  env: Record<string, string>;
  options: ZendeskSimulatorOptions;
  admin: ZendeskAdmin;
  close(): Promise<void>;
}

export async function startZendeskSimulator(
  input: ZendeskSimulatorOptionsInput = {},
): Promise<ZendeskSimulatorHandle> {
  const opts = ZendeskSimulatorOptions.parse(input);
  const faults = new Faults<ZendeskFaultRule>(opts.faults, opts.seed);
  let base = '';
  const store: ZendeskStore = new Store(opts, () => base);
  const jobs = new Map<string, Job>();
  const window = new RequestWindow(60_000);
  const counters = {
    requests: 0,
    byRoute: {} as Record<string, number>,
    rateLimited: 0,
    batchSizes: [] as number[],
    expiredReads: 0,
  };
  const timers = new Set<NodeJS.Timeout>();

  const admin: ZendeskAdmin = {
    stats: () => ({
      requests: counters.requests,
      byRoute: { ...counters.byRoute },
      rateLimited: counters.rateLimited,
      users: store.users.size,
      organizations: store.orgs.size,
      memberships: store.memberships.size,
      created: store.counters.created,
      updated: store.counters.updated,
      recordFailures: { ...store.counters.failed },
      jobs: jobs.size,
      batchSizes: [...counters.batchSizes],
      expiredReads: counters.expiredReads,
    }),
    reset() {
      store.reset();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      jobs.clear();
      faults.set([]);
      window.clear();
      Object.assign(counters, { requests: 0, byRoute: {}, rateLimited: 0, batchSizes: [], expiredReads: 0 });
    },
    setFaults(rules) {
      faults.set(ZendeskFaultRule.array().parse(rules));
      return faults.list();
    },
    faults: () => faults.list(),
    expireJobs() {
      for (const j of jobs.values()) if (j.status === 'completed' || j.status === 'failed') j.expiresAt = 0;
    },
    users: () => [...store.users.values()].map((u) => structuredClone(u)),
    organizations: () => [...store.orgs.values()].map((o) => structuredClone(o)),
    memberships: () => [...store.memberships.values()].map((m) => structuredClone(m)),
    writes: () => [...store.writes],
  };

  function authorize(req: IncomingMessage): void {
    const h = req.headers.authorization ?? '';
    const bearer = /^Bearer (.+)$/.exec(h)?.[1];
    if (bearer && sameSecret(bearer, opts.oauthToken)) return;
    if (h.startsWith('Basic ')) {
      const decoded = Buffer.from(h.slice(6), 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      const [user, secret] = [decoded.slice(0, i), decoded.slice(i + 1)];
      if (
        sameSecret(user.toLowerCase(), `${opts.email.toLowerCase()}/token`) &&
        sameSecret(secret, opts.apiToken)
      )
        return;
    }
    throw new HttpError(401, { error: "Couldn't authenticate you" });
  }

  function jobView(j: Job): unknown {
    return {
      id: j.id,
      url: `${base}/api/v2/job_statuses/${j.id}.json`,
      total: j.total,
      progress: j.status === 'completed' ? j.total : j.status === 'working' ? 0 : null,
      status: j.status,
      message: j.message,
      results: j.results,
      job_type: j.type,
    };
  }

  /** Runs a job the way Zendesk's workers do: queued, then working, then done with one result per user. */
  function schedule(j: Job): void {
    const step = (ms: number, fn: () => void) => {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    };
    step(opts.jobDelayMs / 2, () => {
      j.status = 'working';
      step(opts.jobDelayMs / 2, () => {
        if (faults.fire('jobFailed')) {
          j.status = 'failed';
          j.message = 'Failed: the job was interrupted (injected)';
        } else {
          j.results = j.items.map(j.work);
          j.status = 'completed';
          j.message = `Completed at ${new Date().toISOString()}`;
        }
        j.expiresAt = faults.fire('expireResults') ? 0 : Date.now() + opts.jobTtlMs;
        j.items = [];
      });
    });
  }

  /** Queues a background job of at most 100 tasks and answers with its status, as Zendesk does. */
  function queue(type: string, items: unknown, what: string, work: Job['work']): { job_status: unknown } {
    if (!Array.isArray(items) || items.length === 0)
      throw new HttpError(400, { error: 'InvalidValue', description: `${what}: must be a non-empty array` });
    if (items.length > MAX_MANY)
      throw new HttpError(400, {
        error: 'TooManyValues',
        description: `${what}: no more than ${MAX_MANY} per request`,
      });
    const job: Job = {
      id: `V3-${randomBytes(16).toString('hex')}`,
      type,
      total: items.length,
      createdAt: Date.now(),
      status: 'queued',
      results: null,
      message: null,
      items,
      work,
    };
    jobs.set(job.id, job);
    schedule(job);
    return { job_status: jobView(job) };
  }

  /** One user of create_or_update_many: Created or Updated with its id, or Failed with Zendesk's error. */
  function userTask(u: unknown, index: number): JobResult {
    const ext = (u as { external_id?: unknown })?.external_id;
    const external_id = ext === undefined || ext === null ? null : String(ext);
    const rule = faults.fire('validation');
    try {
      if (rule)
        store.fail(new RecordInvalid('UserUpdateError', rule.message ?? 'User failed validation (injected)'));
      const { user, created } = store.upsertUser(u);
      return { id: user.id, index, status: created ? 'Created' : 'Updated', external_id, email: user.email };
    } catch (e) {
      if (!(e instanceof RecordInvalid)) throw e;
      return { index, status: 'Failed', error: e.error, details: e.details, external_id };
    }
  }

  /** One membership of create_many: a bulk create's result is the new id and the index. */
  function membershipTask(m: unknown, index: number): JobResult {
    try {
      return { id: store.createMembership(m).id, index };
    } catch (e) {
      if (!(e instanceof RecordInvalid)) throw e;
      return { index, error: e.error, details: e.details };
    }
  }

  const membershipInvalid = (e: RecordInvalid) =>
    new HttpError(422, {
      error: 'RecordInvalid',
      description: 'Record validation errors',
      details: { base: [{ description: e.details, error: e.error }] },
    });

  /** The Organization Memberships API, at /organization_memberships and under a user or organization. */
  async function memberships(
    req: IncomingMessage,
    url: URL,
    scope: { user?: number; org?: number },
    rest: string[],
  ): Promise<{ status: number; body: unknown } | undefined> {
    const method = req.method ?? 'GET';
    const [b, c] = rest;
    const view = (m: Parameters<typeof store.membershipView>[0]) => store.membershipView(m);
    if (scope.user !== undefined && !store.users.has(scope.user)) throw notFound();
    if (scope.org !== undefined && !store.orgs.has(scope.org)) throw notFound();
    if (!b && method === 'GET') {
      const list =
        scope.user !== undefined
          ? store.membershipsOf(scope.user)
          : [...store.memberships.values()].filter(
              (m) => scope.org === undefined || m.organization_id === scope.org,
            );
      return { status: 200, body: page(list.map(view), url, 'organization_memberships') };
    }
    if (!b && method === 'POST' && scope.org === undefined) {
      const body = await json(req);
      const input = {
        ...(body.organization_membership as object),
        ...(scope.user !== undefined ? { user_id: scope.user } : {}),
      };
      try {
        return { status: 201, body: { organization_membership: view(store.createMembership(input)) } };
      } catch (e) {
        if (!(e instanceof RecordInvalid)) throw e;
        throw membershipInvalid(e);
      }
    }
    if (b === 'create_many' && method === 'POST' && scope.user === undefined && scope.org === undefined) {
      const body = await json(req);
      return {
        status: 200,
        body: queue(
          'Bulk Create Organization Memberships',
          body.organization_memberships,
          'organization_memberships',
          membershipTask,
        ),
      };
    }
    if (b === 'destroy_many' && method === 'DELETE' && scope.user === undefined && scope.org === undefined)
      return {
        status: 200,
        body: queue('Bulk Delete Organization Memberships', idList(url, 'ids'), 'ids', (id, index) =>
          store.deleteMembership(Number(id))
            ? { id: Number(id), index, action: 'delete', success: true, status: 'Deleted' }
            : {
                id: Number(id),
                index,
                action: 'delete',
                success: false,
                status: 'Failed',
                error: 'RecordNotFound',
              },
        ),
      };
    if (!b || !/^\d+$/.test(b)) return undefined;
    const m = store.memberships.get(Number(b));
    const mine = m && (scope.user === undefined || m.user_id === scope.user);
    if (c === 'make_default' && method === 'PUT' && scope.user !== undefined) {
      if (!mine || !store.makeDefault(scope.user, m.id)) throw notFound();
      return { status: 200, body: { organization_memberships: store.membershipsOf(scope.user).map(view) } };
    }
    if (c) return undefined;
    if (!mine) throw notFound();
    if (method === 'GET') return { status: 200, body: { organization_membership: view(m) } };
    if (method === 'DELETE') {
      store.deleteMembership(m.id);
      return { status: 204, body: undefined };
    }
    return undefined;
  }

  function page<T>(items: T[], url: URL, key: string): unknown {
    const per = Math.min(Number(url.searchParams.get('per_page') ?? 100) || 100, PER_PAGE_MAX);
    const p = Math.max(Number(url.searchParams.get('page') ?? 1) || 1, 1);
    const slice = items.slice((p - 1) * per, p * per);
    const more = p * per < items.length;
    const link = (n: number) => `${base}${url.pathname}?page=${n}&per_page=${per}`;
    return {
      [key]: slice,
      next_page: more ? link(p + 1) : null,
      previous_page: p > 1 ? link(p - 1) : null,
      count: items.length,
    };
  }

  function idList(url: URL, name: string): string[] {
    const v = url.searchParams.get(name);
    if (v === null) return [];
    const list = v.split(',').filter(Boolean);
    if (list.length > MAX_MANY)
      throw new HttpError(400, {
        error: 'InvalidValue',
        description: `${name}: no more than ${MAX_MANY} values`,
      });
    return list;
  }

  async function json(req: IncomingMessage): Promise<Record<string, unknown>> {
    const text = await readBody(req);
    try {
      const v = JSON.parse(text || '{}');
      if (v && typeof v === 'object' && !Array.isArray(v)) return v;
    } catch {}
    throw new HttpError(400, { error: 'InvalidJSON', description: 'The request body is not valid JSON' });
  }

  async function api(
    req: IncomingMessage,
    seg: string[],
    url: URL,
  ): Promise<{ status: number; body: unknown }> {
    const method = req.method ?? 'GET';
    const ok = (body: unknown, status = 200) => ({ status, body });
    const [a, b, c] = seg;
    if (a === 'users') {
      if (!b && method === 'GET') return ok(page([...store.users.values()], url, 'users'));
      if (b === 'show_many' && method === 'GET') {
        const exts = idList(url, 'external_ids');
        const users = exts.length
          ? exts.map((e) => store.userByExternalId(e)).filter(Boolean)
          : idList(url, 'ids')
              .map((i) => store.users.get(Number(i)))
              .filter(Boolean);
        return ok({ users, next_page: null, previous_page: null, count: users.length });
      }
      if (b === 'search' && method === 'GET') {
        const ext = url.searchParams.get('external_id');
        const q = url.searchParams.get('query');
        const users =
          ext !== null
            ? [store.userByExternalId(ext)].filter(Boolean)
            : q
              ? [...store.users.values()].filter((u) => JSON.stringify(u).includes(q))
              : [];
        return ok({ users, next_page: null, previous_page: null, count: users.length });
      }
      if (b === 'create_or_update_many' && method === 'POST') {
        const body = await json(req);
        const job = queue('Bulk Create or Update Users', body.users, 'users', userTask);
        counters.batchSizes.push((body.users as unknown[]).length);
        return ok(job);
      }
      if (b === 'count' && !c && method === 'GET') {
        const role = url.searchParams.get('role');
        const value = [...store.users.values()].filter((u) => !role || u.role === role).length;
        return ok({ count: { value, refreshed_at: `${new Date().toISOString().slice(0, 19)}Z` } });
      }
      if (b && /^\d+$/.test(b) && c === 'organization_memberships') {
        const r = await memberships(req, url, { user: Number(b) }, seg.slice(3));
        if (r) return r;
      }
      if (b === 'create_or_update' && method === 'POST') {
        const body = await json(req);
        try {
          const { user, created } = store.upsertUser(body.user);
          return ok({ user }, created ? 201 : 200);
        } catch (e) {
          if (!(e instanceof RecordInvalid)) throw e;
          throw new HttpError(422, {
            error: 'RecordInvalid',
            description: 'Record validation errors',
            details: { base: [{ description: e.details, error: e.error }] },
          });
        }
      }
      if (b && !c && method === 'GET') {
        const u = store.users.get(Number(b));
        if (!u) throw notFound();
        return ok({ user: u });
      }
      if (b && !c && method === 'DELETE') {
        const u = store.deleteUser(Number(b));
        if (!u) throw notFound();
        return ok({ user: u });
      }
    }
    if (a === 'job_statuses' && method === 'GET') {
      const find = (id: string) => {
        const j = jobs.get(id);
        if (j?.expiresAt !== undefined && j.expiresAt <= Date.now()) {
          jobs.delete(id);
          counters.expiredReads++;
          return undefined;
        }
        return j;
      };
      if (b === 'show_many')
        return ok({
          job_statuses: idList(url, 'ids')
            .map(find)
            .filter(Boolean)
            .map((j) => jobView(j!)),
        });
      if (b) {
        const j = find(b);
        if (!j) throw notFound();
        return ok({ job_status: jobView(j) });
      }
      return ok({ job_statuses: [...jobs.values()].map(jobView) });
    }
    if (a === 'organization_memberships') {
      const r = await memberships(req, url, {}, seg.slice(1));
      if (r) return r;
    }
    if (a === 'organizations' && b && /^\d+$/.test(b) && c === 'organization_memberships') {
      const r = await memberships(req, url, { org: Number(b) }, seg.slice(3));
      if (r) return r;
    }
    if (a === 'organizations') {
      if (!b && method === 'GET') return ok(page([...store.orgs.values()], url, 'organizations'));
      if (b === 'show_many' && method === 'GET') {
        const exts = idList(url, 'external_ids');
        const organizations = exts.length
          ? exts.map((e) => store.orgByExternalId(e)).filter(Boolean)
          : idList(url, 'ids')
              .map((i) => store.orgs.get(Number(i)))
              .filter(Boolean);
        return ok({ organizations });
      }
      if (b === 'create_or_update' && method === 'POST') {
        const body = await json(req);
        try {
          const { org, created } = store.upsertOrg(body.organization);
          return ok({ organization: org }, created ? 201 : 200);
        } catch (e) {
          if (!(e instanceof RecordInvalid)) throw e;
          throw new HttpError(422, {
            error: 'RecordInvalid',
            description: 'Record validation errors',
            details: { name: [{ description: e.details, error: 'DuplicateValue' }] },
          });
        }
      }
      if (b && !c && method === 'GET') {
        const o = store.orgs.get(Number(b));
        if (!o) throw notFound();
        return ok({ organization: o });
      }
    }
    if (a === 'user_fields' && !b && method === 'GET') {
      const user_fields = opts.userFields.map((f, i) => ({
        id: 7_000_000 + i,
        key: f.key,
        type: f.type,
        title: f.key.replace(/_/g, ' '),
        active: true,
        position: i,
      }));
      return ok({ user_fields, next_page: null, previous_page: null, count: user_fields.length });
    }
    throw new HttpError(404, { error: 'InvalidEndpoint', description: 'Not found' });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    counters.requests++;
    if (url.pathname.startsWith('/__admin/'))
      return adminRoute(req, res, url.pathname.slice(9).replace(/\/$/, ''), admin, {
        'GET users': admin.users,
        'GET organizations': admin.organizations,
        'GET memberships': admin.memberships,
        'GET writes': admin.writes,
        'POST expire-jobs': () => {
          admin.expireJobs();
          return { ok: true };
        },
      });
    const m = /^\/api\/v2\/(.+?)(?:\.json)?$/.exec(url.pathname);
    if (!m) return sendJson(res, 404, { error: 'InvalidEndpoint', description: 'Not found' });
    const seg = m[1]!.split('/').filter(Boolean).map(decodeURIComponent);
    const key = seg.filter((s) => !/^\d+$/.test(s) && !s.startsWith('V3-')).join('/');
    counters.byRoute[key] = (counters.byRoute[key] ?? 0) + 1;
    try {
      authorize(req);
      const wait = window.take(opts.requestsPerMinute);
      const fault = faults.fire('rateLimit');
      if (wait > 0 || fault) {
        counters.rateLimited++;
        const after = fault ? (fault.retryAfterSec ?? 1) : Math.ceil(wait / 1000);
        throw new HttpError(429, 'Rate limit for api requests exceeded', {
          'Retry-After': String(after),
          'Content-Type': 'text/plain',
        });
      }
      if (faults.fire('serverError'))
        throw new HttpError(500, { error: 'InternalError', description: 'Something went wrong (injected)' });
      const r = await api(req, seg, url);
      sendJson(res, r.status, r.body, { 'X-Rate-Limit': String(opts.requestsPerMinute) });
    } catch (err) {
      if (err instanceof HttpError) {
        if (typeof err.body === 'string') {
          res.writeHead(err.status, err.headers);
          res.end(err.body);
          return;
        }
        return sendJson(res, err.status, err.body, err.headers);
      }
      if (err instanceof BodyTooLarge)
        return sendJson(res, 413, { error: 'RequestTooLarge', description: err.message });
      throw err;
    }
  }

  const server = await listen(opts.port, opts.host, route, (res, err) =>
    sendJson(res, 500, { error: 'InternalError', description: (err as Error).message }),
  );
  base = server.url;
  return {
    url: base,
    adminUrl: `${base}/__admin`,
    email: opts.email,
    apiToken: opts.apiToken,
    oauthToken: opts.oauthToken,
    env: { ZENDESK_URL: base, ZENDESK_EMAIL: opts.email, ZENDESK_API_TOKEN: opts.apiToken },
    options: opts,
    admin,
    async close() {
      for (const t of timers) clearTimeout(t);
      await server.close();
    },
  };
}
