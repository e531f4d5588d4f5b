import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adminHttp, createAdmin, type SimulatorAdmin } from './admin';
import { Auth, type Credentials } from './auth';
import { SimClock } from './clock';
import { Dataset } from './dataset';
import { FaultInjector } from './faults';
import { parseSimulatorOptions, type SimulatorOptions, type SimulatorOptionsInput } from './options';
import { GetWorkersService, readBody } from './service';
import { Stats } from './stats';
import { TenantTime } from './time';
import { wsdlXml } from './wsdl';

/**
 * The Workday simulator: a Human_Resources Get_Workers endpoint over node:http, with an admin
 * API under /__admin/ and an in-process admin handle for tests.
 */

export type { SimulatorAdmin, GroundTruthQuery, ChangeLogEntry } from './admin';
export type { RequestLogEntry, StatsSnapshot, Outcome } from './stats';
export {
  FaultPatch,
  FaultRule,
  FaultSettings,
  LatencyModel,
  SimulatorOptions,
  parseSimulatorOptions,
  type SimulatorOptionsInput,
} from './options';

export interface SimulatorHandle {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  /** Full Human_Resources endpoint including the version, e.g. http://127.0.0.1:8080/ccx/service/acme/Human_Resources/v44.0 */
  endpoint: string;
  /** OAuth 2.0 token endpoint (refresh-token grant). */
  tokenUrl: string;
  /** Admin API base, e.g. http://127.0.0.1:8080/__admin */
  adminUrl: string;
  credentials: Credentials;
  oauth: SimulatorOptions['oauth'];
  options: SimulatorOptions;
  admin: SimulatorAdmin;
  close(): Promise<void>;
}

const SERVICE_PATH = /^\/ccx\/service\/([^/]+)\/Human_Resources(?:\/(v\d+(?:\.\d+)?))?\/?$/;
const TOKEN_PATH = /^\/ccx\/oauth2\/([^/]+)\/token\/?$/;
const CHURN_TICK_MS = 250;

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
  res.end(s);
}

export async function startSimulator(options: Partial<SimulatorOptionsInput> = {}): Promise<SimulatorHandle> {
  const opts = parseSimulatorOptions(options);
  const start = opts.clockStart ? Date.parse(opts.clockStart) : Date.now();
  const clock = new SimClock(start, opts.clockFrozen);
  const tt = new TenantTime(opts.timezone);
  const ds = new Dataset(opts.seed, opts.workers, start, tt, opts.universalIds);
  const faults = new FaultInjector(opts.faults, opts.seed, clock);
  const stats = new Stats(opts.requestLogSize);
  const credentials: Credentials = { username: opts.username, password: opts.password, tenant: opts.tenant };
  const auth = new Auth(credentials, opts.oauth, clock);
  const hung = new Set<ServerResponse>();
  const service = new GetWorkersService({ opts, ds, clock, faults, stats, auth, hung });

  // Rate-driven churn: a fractional accumulator so low rates still produce changes.
  const churn = {
    rate: opts.churnRate,
    owed: 0,
    last: Date.now(),
    timer: undefined as NodeJS.Timeout | undefined,
    setRate(r: number) {
      this.rate = r;
      this.owed = 0;
      this.last = Date.now();
      if (r > 0 && !this.timer) {
        this.timer = setInterval(() => this.tick(), CHURN_TICK_MS);
        this.timer.unref();
      } else if (r === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    },
    tick() {
      const now = Date.now();
      this.owed += ((now - this.last) / 1000) * this.rate;
      this.last = now;
      const n = Math.floor(this.owed);
      if (n > 0) {
        this.owed -= n;
        const entry = clock.nextMoment();
        ds.churn(n, entry, tt.dayOf(entry));
      }
    },
  };
  churn.setRate(opts.churnRate);
  const admin = createAdmin({ ds, clock, faults, stats, tenant: opts.tenant, churn });

  let base = '';
  const server: Server = createServer((req, res) => {
    route(req, res).catch((err) => {
      if (!res.headersSent) json(res, 500, { error: (err as Error).message });
      else res.destroy();
    });
  });
  // Like Workday's load balancers, keep idle connections open well beyond a client's reuse window;
  // Node's 5 s default closes sockets that a keep-alive client is about to reuse (ECONNRESET).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Like any server, Workday dates its answers by its own clock: the tenant's now, which is how a
    // client tells that an as-of moment lies in the tenant's future.
    res.setHeader('Date', new Date(clock.now()).toUTCString());
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith('/__admin/')) {
      const r = await adminHttp(
        admin,
        method,
        url.pathname.slice('/__admin/'.length).replace(/\/$/, ''),
        async () => {
          const text = await readBody(req);
          return text.trim() ? JSON.parse(text) : {};
        },
      );
      return json(res, r.status, r.body);
    }
    const svc = SERVICE_PATH.exec(url.pathname);
    if (svc) {
      if (method === 'GET' && (url.search.toLowerCase() === '?wsdl' || url.searchParams.has('wsdl'))) {
        const version = svc[2] ?? opts.version;
        const host = req.headers.host ?? new URL(base).host;
        res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' });
        return void res.end(
          wsdlXml(`http://${host}/ccx/service/${svc[1]}/Human_Resources/${version}`, version),
        );
      }
      if (method !== 'POST') {
        res.writeHead(405, { Allow: 'POST', 'Content-Type': 'text/plain' });
        return void res.end('Get_Workers is a SOAP POST; GET ?wsdl for the service description\n');
      }
      const urlVersion = svc[2] && (svc[2].includes('.') ? svc[2] : `${svc[2]}.0`);
      return service.handle(req, res, decodeURIComponent(svc[1]), urlVersion);
    }
    const tok = TOKEN_PATH.exec(url.pathname);
    if (tok && method === 'POST') {
      const form = new URLSearchParams(await readBody(req, 64 * 1024));
      const r = auth.token(decodeURIComponent(tok[1]), form, req.headers.authorization);
      return json(res, r.status, r.body);
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  base = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${addr.port}`;

  let closed: Promise<void> | undefined;
  return {
    url: base,
    endpoint: `${base}/ccx/service/${opts.tenant}/Human_Resources/${opts.version}`,
    tokenUrl: `${base}/ccx/oauth2/${opts.tenant}/token`,
    adminUrl: `${base}/__admin`,
    credentials,
    oauth: opts.oauth,
    options: opts,
    admin,
    close() {
      closed ??= new Promise<void>((resolve) => {
        churn.setRate(0);
        for (const res of hung) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
