import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Faults } from '../../salesforce/simulator/faults';
import { adminRoute, BodyTooLarge, listen, RequestWindow, readBody, sameSecret, sendJson } from '../../http';
import { type BatchAnswer, type BatchRequest, boundaryOf, formatBatch, parseBatch } from './batch';
import { entityPath, ODataError } from './odata';
import {
  DataverseFaultRule,
  DataverseSimulatorOptions,
  type DataverseSimulatorOptionsInput,
} from './options';
import { DataverseStore, type Row, type WriteEntry } from './store';

/**
 * The Dataverse (Dynamics 365) simulator: the Web API surface the Dataverse sink uses, in the
 * published OData v4 shapes, so dynamics-web-api works against it unchanged. OAuth 2.0 client
 * credentials at a Microsoft-identity-platform-shaped /{tenant}/oauth2/v2.0/token; under
 * /api/data/v9.2: WhoAmI, retrieve and query ($select, $filter, $top, $orderby, $count,
 * odata.maxpagesize with @odata.nextLink), create, upsert by alternate key with If-Match /
 * If-None-Match, delete, lookups bound with @odata.bind, and $batch with changesets (at most 1,000
 * requests). Errors are the OData envelope {error: {code, message}}; the service protection limits
 * (requests per user in a sliding window, concurrent requests) answer 429 with Retry-After.
 */

export {
  DataverseSimulatorOptions,
  DataverseFaultRule,
  type DataverseSimulatorOptionsInput,
} from './options';

const API = '/api/data/v9.2';
const MAX_BATCH = 1000;
const DEFAULT_PAGE = 5000;
/** Most rows $count reports (Dataverse: 5,000, with totalrecordcountlimitexceeded past it). */
const COUNT_LIMIT = 5000;
const ORG_ID = '2c1f0e00-0000-4000-8000-00000000cccc';
const USER_ID = '7d3a4b00-0000-4000-8000-00000000dddd';
const BU_ID = '8e4b5c00-0000-4000-8000-00000000eeee';

export interface DataverseStats {
  requests: number;
  byRoute: Record<string, number>;
  tokensIssued: number;
  /** 429s by service protection error code. */
  throttled: Record<string, number>;
  /** Per-operation errors by OData code (inside and outside $batch). */
  operationErrors: Record<string, number>;
  /** Operations per $batch request, in order. */
  batchSizes: number[];
  /** The most requests that were in flight at once. */
  peakConcurrency: number;
  rows: Record<string, number>;
}

export interface DataverseAdmin {
  stats(): DataverseStats;
  reset(): void;
  setFaults(rules: unknown): DataverseFaultRule[];
  faults(): DataverseFaultRule[];
  expireTokens(): void;
  /** The rows of an entity set, with their primary id. */
  rows(set: string): Row[];
  writes(): WriteEntry[];
}

export interface DataverseSimulatorHandle {
  /** The environment URL (DATAVERSE_URL); the Web API is <url>/api/data/v9.2. */
  url: string;
  /** The identity platform base (DATAVERSE_AUTHORITY): the token endpoint is <authority>/<tenant>/oauth2/v2.0/token. */
  authority: string;
  tokenUrl: string;
  adminUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  env: Record<string, string>;
  options: DataverseSimulatorOptions;
  admin: DataverseAdmin;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

export async function startDataverseSimulator(
  input: DataverseSimulatorOptionsInput = {},
): Promise<DataverseSimulatorHandle> {
  const opts = DataverseSimulatorOptions.parse(input);
  const faults = new Faults<DataverseFaultRule>(opts.faults, opts.seed);
  const store = new DataverseStore(opts.tables, faults);
  const tokens = new Map<string, number>();
  const windows = new Map<string, RequestWindow>();
  let inFlight = 0;
  const counters = {
    requests: 0,
    byRoute: {} as Record<string, number>,
    tokensIssued: 0,
    throttled: {} as Record<string, number>,
    operationErrors: {} as Record<string, number>,
    batchSizes: [] as number[],
    peakConcurrency: 0,
  };
  let base = '';

  const admin: DataverseAdmin = {
    stats: () => ({
      ...counters,
      byRoute: { ...counters.byRoute },
      throttled: { ...counters.throttled },
      operationErrors: { ...counters.operationErrors },
      batchSizes: [...counters.batchSizes],
      rows: Object.fromEntries([...store.tables].map(([k, t]) => [k, t.rows.size])),
    }),
    reset() {
      store.reset();
      faults.set([]);
      tokens.clear();
      windows.clear();
      Object.assign(counters, {
        requests: 0,
        byRoute: {},
        tokensIssued: 0,
        throttled: {},
        operationErrors: {},
        batchSizes: [],
        peakConcurrency: 0,
      });
    },
    setFaults(rules) {
      faults.set(DataverseFaultRule.array().parse(rules));
      return faults.list();
    },
    faults: () => faults.list(),
    expireTokens() {
      for (const k of tokens.keys()) tokens.set(k, 0);
    },
    rows: (set) => {
      const t = store.table(set);
      return [...t.rows].map(([id, r]) => ({ ...r, [t.def.primaryId]: id }));
    },
    writes: () => [...store.writes],
  };

  function tokenEndpoint(tenant: string, form: URLSearchParams): Answer {
    const aad = (status: number, error: string, code: number, description: string): Answer => ({
      status,
      headers: {},
      body: {
        error,
        error_description: `AADSTS${code}: ${description} Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
        error_codes: [code],
        timestamp: new Date().toISOString(),
        trace_id: randomUUID(),
        correlation_id: randomUUID(),
      },
    });
    if (tenant !== opts.tenantId)
      return aad(
        400,
        'invalid_tenant',
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID.`,
      );
    if (form.get('grant_type') !== 'client_credentials')
      return aad(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    if (!sameSecret(form.get('client_id') ?? '', opts.clientId))
      return aad(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${form.get('client_id')}' was not found in the directory.`,
      );
    if (!sameSecret(form.get('client_secret') ?? '', opts.clientSecret))
      return aad(
        401,
        'invalid_client',
        7000215,
        'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
      );
    const scope = form.get('scope') ?? '';
    if (scope.replace(/\/+\.default$/, '') !== base)
      return aad(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (${base}/.default).`,
      );
    const accessToken = `eyJ0eXAiOiJKV1Qi.${randomBytes(32).toString('base64url')}.${randomBytes(16).toString('base64url')}`;
    tokens.set(accessToken, Date.now() + opts.tokenTtlSec * 1000);
    counters.tokensIssued++;
    return {
      status: 200,
      headers: {},
      body: {
        token_type: 'Bearer',
        expires_in: opts.tokenTtlSec,
        ext_expires_in: opts.tokenTtlSec,
        access_token: accessToken,
      },
    };
  }

  /** The caller (its token) if valid; else 401 as Dataverse answers it, with the authority to ask. */
  function authorize(req: IncomingMessage): string {
    const t = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const exp = t ? tokens.get(t) : undefined;
    const fail = () =>
      new ODataError(
        401,
        '0x80072560',
        'The user is not authenticated: the access token is missing, invalid or expired.',
        {
          'WWW-Authenticate': `Bearer authorization_uri=${base}/${opts.tenantId}/oauth2/authorize, resource_id=${base}/`,
        },
      );
    if (!t || exp === undefined || exp <= Date.now()) throw fail();
    if (faults.fire('expireToken')) {
      tokens.set(t, 0);
      throw fail();
    }
    return opts.clientId;
  }

  /** Service protection: every operation counts against the caller's window. */
  function protect(user: string, operations: number): void {
    const w = windows.get(user) ?? new RequestWindow(opts.windowSec * 1000);
    windows.set(user, w);
    const fault = faults.fire('throttle');
    let wait = 0;
    for (let i = 0; i < operations && !wait; i++) wait = w.take(opts.requestLimit);
    if (wait > 0 || fault) {
      const code = '0x80072322';
      counters.throttled[code] = (counters.throttled[code] ?? 0) + 1;
      throw new ODataError(
        429,
        code,
        `Number of requests exceeded the limit of ${opts.requestLimit} over time window of ${opts.windowSec} seconds.`,
        { 'Retry-After': String(fault ? (fault.retryAfterSec ?? 1) : Math.max(1, Math.ceil(wait / 1000))) },
      );
    }
  }

  const entityId = (set: string, id: string) => `${base}${API}/${set}(${id})`;

  /** One Web API operation, direct or inside a $batch. */
  function exec(
    method: string,
    rawUrl: string,
    headers: Record<string, string | undefined>,
    body: string,
  ): Answer {
    const url = new URL(rawUrl, `${base}${API}/`);
    const path = decodeURIComponent(url.pathname.replace(/^.*\/api\/data\/v9\.2\/?/, ''));
    const prefer = headers.prefer ?? '';
    if ((path === 'WhoAmI' || path === 'WhoAmI()') && method === 'GET')
      return {
        status: 200,
        headers: {},
        body: {
          '@odata.context': `${base}${API}/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`,
          BusinessUnitId: BU_ID,
          UserId: USER_ID,
          OrganizationId: ORG_ID,
        },
      };
    if (path === '' && method === 'GET')
      return {
        status: 200,
        headers: {},
        body: {
          '@odata.context': `${base}${API}/$metadata`,
          value: [...store.tables.keys()].map((n) => ({ name: n, kind: 'EntitySet', url: n })),
        },
      };
    const p = entityPath(path);
    if (!p) throw new ODataError(404, '0x8006088a', `Resource not found for the segment '${path}'.`);
    const select = url.searchParams
      .get('$select')
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const single = Boolean(p.id || p.key);
    if (method === 'GET' && single) {
      const row = store.retrieve(p, select);
      return {
        status: 200,
        headers: {},
        body: { '@odata.context': `${base}${API}/$metadata#${p.set}/$entity`, ...row },
      };
    }
    if (method === 'GET') {
      const top = url.searchParams.get('$top');
      const matching = store.query(p.set, {
        select,
        filter: url.searchParams.get('$filter') ?? undefined,
        orderby: url.searchParams.get('$orderby') ?? undefined,
      });
      const all = top === null ? matching : matching.slice(0, Number(top));
      const size = Number(/odata\.maxpagesize=(\d+)/.exec(prefer)?.[1] ?? DEFAULT_PAGE);
      const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
      const value = all.slice(skip, skip + size);
      const out: Record<string, unknown> = { '@odata.context': `${base}${API}/$metadata#${p.set}` };
      // $count counts every row the filter matches, whatever $top says, and stops at 5,000 as Dataverse does.
      if (url.searchParams.get('$count') === 'true') {
        out['@odata.count'] = Math.min(matching.length, COUNT_LIMIT);
        if (matching.length > COUNT_LIMIT)
          out['@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded'] = true;
      }
      out.value = value;
      if (skip + size < all.length) {
        const next = new URL(url);
        next.searchParams.set('$skiptoken', String(skip + size));
        out['@odata.nextLink'] = next.toString();
      }
      return {
        status: 200,
        headers: size !== DEFAULT_PAGE ? { 'Preference-Applied': `odata.maxpagesize=${size}` } : {},
        body: out,
      };
    }
    if (method === 'DELETE' && single) {
      store.delete(p);
      return { status: 204, headers: {} };
    }
    if ((method === 'PATCH' && single) || (method === 'POST' && !single)) {
      let json: unknown;
      try {
        json = JSON.parse(body || '{}');
      } catch {
        throw new ODataError(
          400,
          '0x80048d19',
          'Error identified in Payload provided by the user: the body is not valid JSON.',
        );
      }
      const represent = /return=representation/.test(prefer);
      const r = store.write(p, json, {
        method,
        ifMatch: headers['if-match'],
        ifNoneMatch: headers['if-none-match'],
        represent,
      });
      const t = store.table(p.set);
      return {
        status: r.status,
        headers: { 'OData-EntityId': entityId(p.set, r.id) },
        body: represent
          ? {
              '@odata.context': `${base}${API}/$metadata#${p.set}/$entity`,
              ...store.represent(t.def, r.id, r.row, select),
            }
          : undefined,
      };
    }
    throw new ODataError(405, '0x80060888', `The HTTP method '${method}' is not allowed on '${path}'.`);
  }

  function guarded(run: () => Answer): Answer {
    try {
      return run();
    } catch (e) {
      if (!(e instanceof ODataError)) throw e;
      counters.operationErrors[e.code] = (counters.operationErrors[e.code] ?? 0) + 1;
      return { status: e.status, headers: e.headers, body: e.body() };
    }
  }

  const toBatch = (a: Answer, contentId?: string): BatchAnswer => ({
    status: a.status,
    headers: {
      'OData-Version': '4.0',
      ...(a.body !== undefined
        ? { 'Content-Type': 'application/json; odata.metadata=minimal; charset=utf-8' }
        : {}),
      ...a.headers,
    },
    body: a.body === undefined ? undefined : JSON.stringify(a.body),
    contentId,
  });

  function batch(req: IncomingMessage, body: string, user: string): { contentType: string; body: string } {
    const boundary = boundaryOf(req.headers['content-type']);
    if (!boundary)
      throw new ODataError(
        400,
        '0x80060891',
        'The batch request must have a Content-Type of multipart/mixed with a boundary.',
      );
    const items = parseBatch(body, boundary);
    const ops = items.reduce((n, i) => n + (i.kind === 'changeset' ? i.requests.length : 1), 0);
    if (ops > MAX_BATCH)
      throw new ODataError(
        400,
        '0x80060891',
        `The number of requests in the batch (${ops}) exceeds the maximum of ${MAX_BATCH}.`,
      );
    counters.batchSizes.push(ops);
    protect(user, ops);
    const continueOnError = /odata\.continue-on-error/.test(String(req.headers.prefer ?? ''));
    const run = (r: BatchRequest) =>
      guarded(() => exec(r.method, r.url, { ...r.headers, prefer: r.headers.prefer }, r.body));
    const out: (BatchAnswer | { changeset: BatchAnswer[] })[] = [];
    for (const item of items) {
      if (item.kind === 'request') {
        const a = run(item.request);
        out.push(toBatch(a));
        if (a.status >= 400 && !continueOnError) break;
        continue;
      }
      const restore = store.snapshot();
      const answers: BatchAnswer[] = [];
      let failed: BatchAnswer | undefined;
      for (const r of item.requests) {
        const a = run(r);
        if (a.status >= 400) {
          failed = toBatch(a, r.contentId);
          break;
        }
        answers.push(toBatch(a, r.contentId));
      }
      // A changeset is one transaction: its first failure is its only answer, and nothing of it stays.
      if (failed) {
        restore();
        out.push(failed);
        if (!continueOnError) break;
      } else out.push({ changeset: answers });
    }
    return formatBatch(out);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    counters.requests++;
    if (url.pathname.startsWith('/__admin/')) {
      const what = url.pathname.slice(9).replace(/\/$/, '');
      const set = /^rows\/([a-z0-9_]+)$/.exec(what)?.[1];
      return adminRoute(req, res, what, admin, {
        'GET writes': admin.writes,
        'POST expire-tokens': () => {
          admin.expireTokens();
          return { ok: true };
        },
        ...(set && store.tables.has(set) ? { [`GET ${what}`]: () => admin.rows(set) } : {}),
      });
    }
    const tok = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (tok) {
      counters.byRoute.token = (counters.byRoute.token ?? 0) + 1;
      if (method !== 'POST')
        return sendJson(res, 405, {
          error: 'invalid_request',
          error_description: 'AADSTS900561: The endpoint only accepts POST requests.',
        });
      const a = tokenEndpoint(decodeURIComponent(tok[1]!), new URLSearchParams(await readBody(req)));
      return sendJson(res, a.status, a.body);
    }
    if (!url.pathname.startsWith(API))
      return sendJson(
        res,
        404,
        new ODataError(404, '0x8006088a', `Resource not found for the segment '${url.pathname}'.`).body(),
      );
    const seg = url.pathname.slice(API.length + 1).split('(')[0] || 'root';
    counters.byRoute[seg] = (counters.byRoute[seg] ?? 0) + 1;
    const odata = { 'OData-Version': '4.0' };
    inFlight++;
    counters.peakConcurrency = Math.max(counters.peakConcurrency, inFlight);
    try {
      const user = authorize(req);
      if (inFlight > opts.concurrencyLimit) {
        const code = '0x80072326';
        counters.throttled[code] = (counters.throttled[code] ?? 0) + 1;
        throw new ODataError(
          429,
          code,
          `Number of concurrent requests exceeded the limit of ${opts.concurrencyLimit}.`,
          { 'Retry-After': '1' },
        );
      }
      if (faults.fire('serverError'))
        throw new ODataError(500, '0x80040216', 'An unexpected error occurred (injected).');
      const body = await readBody(req);
      if (seg === '$batch' && method === 'POST') {
        const b = batch(req, body, user);
        res.writeHead(200, { 'Content-Type': b.contentType, ...odata });
        res.end(b.body);
        return;
      }
      protect(user, 1);
      const a = guarded(() =>
        exec(method, `${url.pathname}${url.search}`, req.headers as Record<string, string>, body),
      );
      sendJson(res, a.status, a.body, { ...odata, ...a.headers });
    } catch (e) {
      if (e instanceof ODataError)
        return sendJson(res, e.status, e.status === 401 ? undefined : e.body(), { ...odata, ...e.headers });
      if (e instanceof BodyTooLarge)
        return sendJson(res, 413, new ODataError(413, '0x80060891', e.message).body());
      throw e;
    } finally {
      inFlight--;
    }
  }

  const server = await listen(opts.port, opts.host, route, (res, err) =>
    sendJson(res, 500, new ODataError(500, '0x80040216', (err as Error).message).body()),
  );
  base = server.url;
  return {
    url: base,
    authority: base,
    tokenUrl: `${base}/${opts.tenantId}/oauth2/v2.0/token`,
    adminUrl: `${base}/__admin`,
    tenantId: opts.tenantId,
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
    env: {
      DATAVERSE_URL: base,
      DATAVERSE_AUTHORITY: base,
      DATAVERSE_TENANT_ID: opts.tenantId,
      DATAVERSE_CLIENT_ID: opts.clientId,
      DATAVERSE_CLIENT_SECRET: opts.clientSecret,
    },
    options: opts,
    admin,
    close: () => server.close(),
  };
}
