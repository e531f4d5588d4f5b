import { X509Certificate, createPublicKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { IngestJobs } from './bulk';
import { ApiError } from './errors';
import { Faults } from './faults';
import { FaultRule, SalesforceSimulatorOptions, type SalesforceSimulatorOptionsInput } from './options';
import { ContactStore } from './store';

/**
 * The Salesforce simulator: the REST API surface the Salesforce sink uses, held to Salesforce's
 * published shapes so jsforce works against it unchanged. OAuth 2.0 client credentials and
 * the JWT bearer flow at /services/oauth2/token; under /services/data/vXX.X:
 * sobjects/Contact/describe, sObject Collections upsert and delete, SOQL query, and Bulk API 2.0
 * ingest jobs (jobs/ingest). An admin API under /__admin/ (and the same as an
 * in-process handle) for tests: stats, reset, faults, token expiry, API limits.
 */

export { SalesforceSimulatorOptions, type SalesforceSimulatorOptionsInput, FaultRule } from './options';
export type { ContactRecord } from './store';

const ORG_ID = '00D000000000001EAA';
const USER_ID = '005000000000001AAA';
const MAX_BODY = 8 * 1024 * 1024;
const DATA_PATH = /^\/services\/data\/v(\d+\.\d)(\/.*)?$/;

export interface SalesforceStats {
  requests: number;
  byRoute: Record<string, number>;
  tokensIssued: number;
  apiUsage: number;
  apiLimit: number;
  contacts: number;
  created: number;
  updated: number;
  deleted: number;
  /** Per-record failures by Salesforce status code. */
  recordFailures: Record<string, number>;
  /** Request-level errors by errorCode. */
  requestErrors: Record<string, number>;
  /** Records per Collections upsert request, in order. */
  upsertBatchSizes: number[];
  /** Bulk API 2.0 ingest jobs created, and rows they processed. */
  bulkJobs: number;
  bulkRecords: number;
}

export interface SalesforceAdmin {
  stats(): SalesforceStats;
  reset(): void;
  setFaults(rules: unknown): FaultRule[];
  faults(): FaultRule[];
  /** Every issued token stops working now (INVALID_SESSION_ID on its next use). */
  expireTokens(): void;
  setLimits(l: { apiLimit?: number; apiUsage?: number }): void;
  contacts(): Record<string, unknown>[];
}

export interface SalesforceSimulatorHandle {
  url: string;
  /** Where a client logs in: the token endpoint is <loginUrl>/services/oauth2/token. */
  loginUrl: string;
  tokenUrl: string;
  adminUrl: string;
  clientId: string;
  clientSecret: string;
  apiVersion: string;
  options: SalesforceSimulatorOptions;
  admin: SalesforceAdmin;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new ApiError(413, 'REQUEST_ENTITY_TOO_LARGE', 'request body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const JWT_MAX_LIFETIME_SEC = 300;

/** A reply that is not JSON: CSV results, or an empty 201/204. */
class Raw {
  constructor(
    readonly status: number,
    readonly text: string,
    readonly type?: string,
  ) {}
}

const pause = (ms: number) => (ms > 0 ? new Promise<void>((r) => setTimeout(r, ms)) : Promise.resolve());

/** The connected app's certificate (or a bare public key), PEM. */
function publicKeyOf(pem: string): KeyObject {
  return pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startSalesforceSimulator(
  input: SalesforceSimulatorOptionsInput = {},
): Promise<SalesforceSimulatorHandle> {
  const opts = SalesforceSimulatorOptions.parse(input);
  const faults = new Faults(opts.faults, opts.seed);
  const store = new ContactStore(opts.fields, faults);
  const jobs = new IngestJobs(store, faults, opts.latency, USER_ID);
  const jwtKey = opts.jwt ? publicKeyOf(opts.jwt.certificate) : undefined;
  const tokens = new Map<string, number>();
  const counters = {
    requests: 0,
    byRoute: {} as Record<string, number>,
    tokensIssued: 0,
    apiUsage: 0,
    apiLimit: opts.apiLimit,
    requestErrors: {} as Record<string, number>,
    upsertBatchSizes: [] as number[],
  };
  let base = '';

  const admin: SalesforceAdmin = {
    stats: () => ({
      requests: counters.requests,
      byRoute: { ...counters.byRoute },
      tokensIssued: counters.tokensIssued,
      apiUsage: counters.apiUsage,
      apiLimit: counters.apiLimit,
      contacts: store.size,
      created: store.counters.created,
      updated: store.counters.updated,
      deleted: store.counters.deleted,
      recordFailures: { ...store.counters.failed },
      requestErrors: { ...counters.requestErrors },
      upsertBatchSizes: [...counters.upsertBatchSizes],
      bulkJobs: jobs.stats.jobs,
      bulkRecords: jobs.stats.records,
    }),
    reset() {
      store.reset();
      jobs.reset();
      faults.set([]);
      tokens.clear();
      Object.assign(counters, {
        requests: 0,
        byRoute: {},
        tokensIssued: 0,
        apiUsage: 0,
        apiLimit: opts.apiLimit,
        requestErrors: {},
        upsertBatchSizes: [],
      });
    },
    setFaults(rules) {
      const parsed = FaultRule.array().parse(rules);
      faults.set(parsed);
      return faults.list();
    },
    faults: () => faults.list(),
    expireTokens() {
      for (const k of tokens.keys()) tokens.set(k, 0);
    },
    setLimits(l) {
      if (l.apiLimit !== undefined) counters.apiLimit = l.apiLimit;
      if (l.apiUsage !== undefined) counters.apiUsage = l.apiUsage;
    },
    contacts: () => store.all(),
  };

  function send(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    if (res.headersSent) return;
    if (body instanceof Raw) {
      res.writeHead(body.status, { ...(body.type ? { 'Content-Type': body.type } : {}), ...headers });
      res.end(body.text);
      return;
    }
    res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', ...headers });
    res.end(body === undefined ? '' : JSON.stringify(body));
  }

  function issue(): { status: number; body: unknown } {
    const accessToken = `${ORG_ID}!${randomBytes(24).toString('base64url')}`;
    const issuedAt = Date.now();
    tokens.set(accessToken, issuedAt + opts.tokenTtlSec * 1000);
    counters.tokensIssued++;
    return {
      status: 200,
      body: {
        access_token: accessToken,
        signature: randomBytes(32).toString('base64'),
        scope: 'api',
        instance_url: base,
        id: `${base}/id/${ORG_ID}/${USER_ID}`,
        token_type: 'Bearer',
        issued_at: String(issuedAt),
      },
    };
  }

  /**
   * The JWT bearer flow: an RS256 assertion signed with the key of the connected app's
   * certificate, iss the consumer key, sub the user, aud the login URL, exp at most a few minutes
   * away. Salesforce answers every refusal as invalid_grant.
   */
  async function jwtBearer(form: URLSearchParams): Promise<{ status: number; body: unknown }> {
    const refuse = (why: string) => ({
      status: 400,
      body: { error: 'invalid_grant', error_description: why },
    });
    if (!jwtKey || !opts.jwt) return refuse('invalid assertion: the connected app has no certificate');
    const assertion = form.get('assertion');
    if (!assertion) return refuse('invalid assertion: assertion is required');
    const { jwtVerify } = await import('jose');
    try {
      const { payload } = await jwtVerify(assertion, jwtKey, {
        algorithms: ['RS256'],
        issuer: opts.clientId,
        audience: base,
        subject: opts.jwt.username,
        requiredClaims: ['exp'],
      });
      if ((payload.exp ?? 0) - Date.now() / 1000 > JWT_MAX_LIFETIME_SEC)
        return refuse('invalid assertion: exp is more than 5 minutes away');
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED') return refuse('expired authorization code');
      if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED')
        return refuse(`invalid assertion: ${(e as Error).message}`);
      return refuse('invalid assertion');
    }
    return issue();
  }

  async function token(
    form: URLSearchParams,
    authorization: string | undefined,
  ): Promise<{ status: number; body: unknown }> {
    if (form.get('grant_type') === JWT_GRANT) return jwtBearer(form);
    let id = form.get('client_id') ?? '';
    let secret = form.get('client_secret') ?? '';
    if (authorization?.startsWith('Basic ')) {
      const [u, p] = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':');
      id = decodeURIComponent(u ?? '');
      secret = decodeURIComponent(p ?? '');
    }
    const grant = form.get('grant_type');
    if (grant !== 'client_credentials')
      return {
        status: 400,
        body: { error: 'unsupported_grant_type', error_description: 'grant type not supported' },
      };
    if (!sameSecret(id, opts.clientId) || !sameSecret(secret, opts.clientSecret))
      return {
        status: 400,
        body: { error: 'invalid_client', error_description: 'invalid client credentials' },
      };
    return issue();
  }

  function authorize(req: IncomingMessage): void {
    const h = req.headers.authorization ?? '';
    const t = /^(?:Bearer|OAuth) (.+)$/.exec(h)?.[1];
    const expires = t ? tokens.get(t) : undefined;
    if (expires === undefined || expires <= Date.now())
      throw new ApiError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    if (faults.fire('expireToken')) {
      tokens.set(t!, 0);
      throw new ApiError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    }
  }

  async function data(req: IncomingMessage, version: string, rest: string, url: URL): Promise<unknown> {
    const method = req.method ?? 'GET';
    const seg = rest.split('/').filter(Boolean).map(decodeURIComponent);
    if (seg.length === 0 && method === 'GET') return resources(version);
    if (seg[0] === 'sobjects' && seg.length === 3 && seg[2] === 'describe' && method === 'GET')
      return store.describe(version);
    if (seg[0] === 'query' && method === 'GET') {
      if (seg.length === 2) return store.more(seg[1]!, version);
      const q = url.searchParams.get('q');
      if (!q) throw new ApiError(400, 'MALFORMED_QUERY', 'the q parameter is required');
      return store.query(q, version);
    }
    if (seg[0] === 'composite' && seg[1] === 'sobjects') {
      if (method === 'PATCH' && seg.length === 4) {
        const text = await readBody(req);
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          throw new ApiError(400, 'JSON_PARSER_ERROR', 'Unexpected character in the request body');
        }
        const n = (body as { records?: unknown[] })?.records?.length;
        if (typeof n === 'number') counters.upsertBatchSizes.push(n);
        const result = store.upsert(seg[2]!, seg[3]!, body);
        await pause(opts.latency.recordMs * (n ?? 0));
        return result;
      }
      if (method === 'DELETE' && seg.length === 2) {
        const ids = (url.searchParams.get('ids') ?? '').split(',').filter(Boolean);
        return store.destroy(ids, url.searchParams.get('allOrNone') === 'true');
      }
    }
    if (seg[0] === 'jobs' && seg[1] === 'ingest') return ingest(req, method, version, seg.slice(2));
    throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
  }

  /** Bulk API 2.0: /jobs/ingest[/<id>[/batches|successfulResults|failedResults|unprocessedrecords]]. */
  async function ingest(
    req: IncomingMessage,
    method: string,
    version: string,
    seg: string[],
  ): Promise<unknown> {
    const json = async () => {
      try {
        return JSON.parse(await readBody(req)) as unknown;
      } catch {
        throw new ApiError(400, 'JSON_PARSER_ERROR', 'Unexpected character in the request body');
      }
    };
    const [id, what] = seg;
    if (!id && method === 'POST') return jobs.create(version, await json());
    if (!id && method === 'GET') return jobs.list();
    if (id && !what && method === 'GET') return jobs.status(id);
    if (id && !what && method === 'PATCH') return jobs.patch(id, await json());
    if (id && !what && method === 'DELETE') {
      jobs.delete(id);
      return new Raw(204, '');
    }
    if (id && what === 'batches' && method === 'PUT') {
      const type = req.headers['content-type'] ?? '';
      if (!type.startsWith('text/csv'))
        throw new ApiError(400, 'INVALIDCONTENTTYPE', 'Content-Type must be text/csv');
      jobs.upload(id, await readBody(req));
      return new Raw(201, '');
    }
    if (
      id &&
      (what === 'successfulResults' || what === 'failedResults' || what === 'unprocessedrecords') &&
      method === 'GET'
    )
      return new Raw(200, jobs.results(id, what), 'text/csv');
    throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
  }

  function resources(version: string): unknown {
    const p = `/services/data/v${version}`;
    return { sobjects: `${p}/sobjects`, query: `${p}/query`, composite: `${p}/composite` };
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    counters.requests++;
    if (url.pathname.startsWith('/__admin/'))
      return adminRoute(req, res, url.pathname.slice(9).replace(/\/$/, ''));
    if (url.pathname === '/services/oauth2/token') {
      counters.byRoute.token = (counters.byRoute.token ?? 0) + 1;
      if (method !== 'POST')
        return send(res, 405, { error: 'invalid_request', error_description: 'must use HTTP POST' });
      const r = await token(new URLSearchParams(await readBody(req)), req.headers.authorization);
      return send(res, r.status, r.body);
    }
    if (url.pathname === '/services/data' || url.pathname === '/services/data/') {
      const versions = [];
      for (let v = 31; v <= Number(opts.apiVersion); v++)
        versions.push({ label: `v${v}.0`, url: `/services/data/v${v}.0`, version: `${v}.0` });
      return send(res, 200, versions);
    }
    const m = DATA_PATH.exec(url.pathname);
    if (!m)
      return send(res, 404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
    const version = m[1]!;
    const seg0 = (m[2] ?? '/').split('/')[1] || 'root';
    const key = seg0 === 'composite' || seg0 === 'jobs' ? `${seg0}.${method}` : seg0;
    counters.byRoute[key] = (counters.byRoute[key] ?? 0) + 1;
    const limitHeader = () => ({
      'Sforce-Limit-Info': `api-usage=${counters.apiUsage}/${counters.apiLimit}`,
    });
    try {
      if (Number(version) > Number(opts.apiVersion) || Number(version) < 31)
        throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
      authorize(req);
      if (faults.fire('serverError'))
        throw new ApiError(503, 'SERVER_UNAVAILABLE', 'Server temporarily unavailable (injected)');
      if (counters.apiUsage >= counters.apiLimit || faults.fire('requestLimit'))
        throw new ApiError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
      counters.apiUsage++;
      await pause(opts.latency.requestMs);
      const body = await data(req, version, m[2] ?? '', url);
      send(res, 200, body, limitHeader());
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      counters.requestErrors[err.errorCode] = (counters.requestErrors[err.errorCode] ?? 0) + 1;
      send(res, err.status, err.body(), err.status === 401 ? {} : limitHeader());
    }
  }

  async function adminRoute(req: IncomingMessage, res: ServerResponse, what: string): Promise<void> {
    const method = req.method ?? 'GET';
    const body = async () => {
      const t = await readBody(req);
      return t.trim() ? JSON.parse(t) : {};
    };
    if (what === 'stats' && method === 'GET') return send(res, 200, admin.stats());
    if (what === 'contacts' && method === 'GET') return send(res, 200, admin.contacts());
    if (what === 'reset' && method === 'POST') {
      admin.reset();
      return send(res, 200, { ok: true });
    }
    if (what === 'faults' && method === 'GET') return send(res, 200, { rules: admin.faults() });
    if (what === 'faults' && (method === 'POST' || method === 'PUT')) {
      const b = await body();
      try {
        return send(res, 200, { rules: admin.setFaults(b.rules ?? []) });
      } catch (e) {
        return send(res, 400, { error: `bad fault rules: ${(e as Error).message}` });
      }
    }
    if (what === 'expire-tokens' && method === 'POST') {
      admin.expireTokens();
      return send(res, 200, { ok: true });
    }
    if (what === 'limits' && method === 'POST') {
      const b = await body();
      admin.setLimits(b);
      return send(res, 200, { apiUsage: counters.apiUsage, apiLimit: counters.apiLimit });
    }
    send(res, 404, {
      error: `no admin route ${method} /__admin/${what}; try GET stats, GET contacts, POST reset, POST faults, POST expire-tokens, POST limits`,
    });
  }

  const server: Server = createServer((req, res) => {
    route(req, res).catch((err) => {
      if (err instanceof ApiError) return send(res, err.status, err.body());
      send(res, 500, [{ errorCode: 'UNKNOWN_EXCEPTION', message: (err as Error).message }]);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(opts.port, opts.host);
  // once() rejects on 'error' (EADDRINUSE), which the command turns into one line.
  await once(server, 'listening');
  const addr = server.address() as AddressInfo;
  const host = addr.address === '0.0.0.0' || addr.address === '::' ? '127.0.0.1' : addr.address;
  base = `http://${addr.family === 'IPv6' && host !== '127.0.0.1' ? `[${host}]` : host}:${addr.port}`;
  let closed: Promise<void> | undefined;
  return {
    url: base,
    loginUrl: base,
    tokenUrl: `${base}/services/oauth2/token`,
    adminUrl: `${base}/__admin`,
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
    apiVersion: opts.apiVersion,
    options: opts,
    admin,
    close() {
      jobs.close();
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
