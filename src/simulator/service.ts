import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { Auth } from './auth';
import { COST_CENTERS, COUNTRIES } from './catalog';
import type { SimClock } from './clock';
import type { AsOfMillis, Criteria, Dataset, OrgSelector, TransactionWindow } from './dataset';
import type { FaultInjector } from './faults';
import type { SimulatorOptions } from './options';
import { GROUP_ELEMENTS, WorkerRenderer } from './render';
import { parseEnvelope, type ParsedGetWorkers, ValidationFault } from './request';
import {
  authFault,
  processingFault,
  RESPONSE_TAIL,
  responseHead,
  responseTooLargeFault,
  throttleFault,
  validationFault,
} from './soap';
import type { Outcome, RequestLogEntry, Stats } from './stats';
import { DAY_MS, parseDateTime, parseDay } from './time';
import { ViewContext } from './view';
import { type SchemaFamily, schemaFamily } from './versions';

/**
 * One Get_Workers call from bytes in to bytes out: authentication, validation, the tenant's
 * throttles and injected faults, then the page streamed worker by worker with backpressure.
 */

export interface ServiceDeps {
  opts: SimulatorOptions;
  ds: Dataset;
  clock: SimClock;
  faults: FaultInjector;
  stats: Stats;
  auth: Auth;
  /** Requests held open by the hang fault, released on close(). */
  hung: Set<ServerResponse>;
}

const MAX_BODY = 4 * 1024 * 1024;
const BATCH = 32;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Well-formed XML with data a client must reject: the worker's WID is not 32 hex characters. */
function dirtyWorker(xml: string): string {
  return xml.replace(/(wd:type="WID">)[0-9a-f]{32}/, '$1DIRTY-NOT-A-WID');
}

export async function readBody(req: IncomingMessage, limit = MAX_BODY): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'Content-Type': 'text/xml; charset=utf-8', ...headers });
  res.end(body);
}

/** Waits for the writer to drain or the client to go away, leaving no listeners behind. */
function drained(out: Writable, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      res.off('close', done);
      resolve();
    };
    out.on('drain', done);
    res.on('close', done);
  });
}

export class GetWorkersService {
  private seq = 0;
  private orgWids: Map<string, number> | null = null;

  constructor(private readonly d: ServiceDeps) {}

  /**
   * `urlVersion` is the version in the endpoint path (`/Human_Resources/v40.0`), if any. The answer's
   * wd:version is the request's bsvc:version attribute when present, else the path's version, else
   * the simulator's default (the unversioned path). The same version picks the schema family the
   * workers are rendered in.
   */
  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    tenant: string,
    urlVersion?: string,
  ): Promise<void> {
    const { stats, faults, opts, ds } = this.d;
    const seq = ++this.seq;
    const entry: RequestLogEntry = { seq, receivedAt: new Date().toISOString(), tenant, auth: 'none' };
    const finish = (outcome: Outcome, status: number) => stats.outcome(entry, outcome, status);

    let body: string;
    try {
      body = await readBody(req);
    } catch (e) {
      stats.logRequest(entry);
      finish('validation_fault', 500);
      return send(res, 500, validationFault('Invalid request', (e as Error).message, '/'));
    }
    let env: ReturnType<typeof parseEnvelope>;
    try {
      env = parseEnvelope(body);
    } catch (e) {
      stats.logRequest(entry);
      const v = e as ValidationFault;
      entry.fault = v.message;
      finish('validation_fault', 500);
      return send(res, 500, validationFault(v.message, v.detail ?? v.message, v.xpath ?? '/'));
    }
    const r = env.request;
    if (r) this.describe(entry, r);
    stats.logRequest(entry);

    const maint = faults.maintenance();
    if (maint) {
      stats.fault('maintenance');
      finish('maintenance', 503);
      return this.maintenancePage(res, maint.retryAfterSec);
    }

    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    let authed = false;
    if (bearer) {
      entry.auth = 'bearer';
      authed = this.d.auth.checkBearer(tenant, bearer.trim());
    } else if (env.usernameToken) {
      entry.auth = 'usernameToken';
      authed = this.d.auth.checkPassword(tenant, env.usernameToken.username, env.usernameToken.password);
    }
    if (!authed) {
      entry.fault = 'invalid username or password';
      finish('auth_fault', 500);
      return send(res, 500, authFault());
    }

    const vfault = (v: ValidationFault) => {
      entry.fault = v.message;
      finish('validation_fault', 500);
      send(res, 500, validationFault(v.message, v.detail, v.xpath));
    };
    if (env.requestError) return vfault(env.requestError);
    if (!r) {
      return vfault(
        new ValidationFault(
          `The operation ${env.operation} is not supported`,
          '/',
          `This simulator implements Get_Workers only; got ${env.operation}.`,
        ),
      );
    }

    let asOf: AsOfMillis;
    let criteria: Criteria;
    let windows: TransactionWindow[];
    try {
      asOf = this.asOf(r);
      windows = this.windows(r);
      criteria = this.criteria(r, asOf, windows);
    } catch (e) {
      if (e instanceof ValidationFault) return vfault(e);
      throw e;
    }
    entry.asOfEntry = ds.tt.dateTime(asOf.entry);
    entry.asOfEffective = ds.tt.date(asOf.effective).slice(0, 10);

    const cap = faults.concurrencyCap;
    if (cap !== null && stats.inFlight >= cap) {
      stats.fault('concurrency_cap');
      return this.throttle(
        res,
        faults.capResponse,
        entry,
        'throttled_cap',
        `the number of concurrent requests exceeded the limit of ${cap}`,
        5,
      );
    }

    stats.enter();
    const admitted = performance.now();
    let left = false;
    const leave = () => {
      if (!left) {
        left = true;
        stats.leave();
      }
    };
    res.on('close', leave);

    try {
      const latency = faults.latency(seq);
      const fault = faults.decide(seq, r.page);
      if (latency.beforeMs > 0) await sleep(latency.beforeMs);
      if (res.destroyed) return finish('client_aborted', 0);
      if (fault) {
        stats.fault(fault.type);
        const retryAfter = fault.rule.retryAfterSec ?? 30;
        switch (fault.type) {
          case 'processing':
            entry.fault = fault.rule.message ?? 'An internal error occurred while processing the request.';
            finish('processing_fault', 500);
            return send(res, 500, processingFault(entry.fault));
          case 'throttle':
            return this.throttle(
              res,
              'throttle',
              entry,
              'throttled',
              'the request rate exceeded the limit',
              retryAfter,
            );
          case 'http429':
            return this.throttle(res, 'http429', entry, 'http_429', 'too many requests', retryAfter);
          case 'http503':
            return this.throttle(
              res,
              'http503',
              entry,
              'http_503',
              'the service is temporarily unavailable',
              retryAfter,
            );
          case 'maintenance':
            finish('maintenance', 503);
            return this.maintenancePage(res, retryAfter);
          case 'hang':
            finish('hang', 0);
            this.d.hung.add(res);
            res.on('close', () => this.d.hung.delete(res));
            return;
        }
      }

      const set = ds.resultSet(asOf, criteria);
      const start = (r.page - 1) * r.count;
      const indices = set.slice(start, start + r.count);
      const totalPages = Math.ceil(set.total / r.count);
      entry.totalResults = set.total;
      entry.pageResults = indices.length;
      const version = r.version ?? urlVersion ?? opts.version;
      const head = responseHead({
        version,
        req: r,
        asOfEffective: ds.tt.date(asOf.effective),
        asOfEntry: ds.tt.dateTime(asOf.entry),
        transactionLog: windows.map((w) => ({
          updatedFrom: w.updatedFrom === undefined ? undefined : ds.tt.dateTime(w.updatedFrom),
          updatedThrough: w.updatedThrough === undefined ? undefined : ds.tt.dateTime(w.updatedThrough),
          effectiveFrom: w.effectiveFrom === undefined ? undefined : ds.tt.dateTime(w.effectiveFrom),
          effectiveThrough: w.effectiveThrough === undefined ? undefined : ds.tt.dateTime(w.effectiveThrough),
        })),
        total: set.total,
        totalPages,
        pageResults: opts.pageResultsQuirk ? r.count : indices.length,
      });
      const family = schemaFamily(version);
      const limit = faults.responseLimit;
      if (limit && limit.mode !== 'reset') {
        // Workday builds the whole answer before it refuses it: the time is spent either way.
        const built = this.measure(head, indices, asOf, r, family, limit.maxBytes);
        if (latency.perWorkerMs > 0) await sleep(latency.perWorkerMs * built.workers);
        if (built.bytes > limit.maxBytes) {
          stats.fault('response_limit');
          entry.fault = `response over ${limit.maxBytes} bytes`;
          if (limit.mode === 'hang') {
            finish('too_large', 0);
            this.d.hung.add(res);
            res.on('close', () => this.d.hung.delete(res));
            return;
          }
          finish('too_large', 500);
          return send(res, 500, responseTooLargeFault(limit.maxBytes));
        }
      }
      const dirty = fault?.type === 'dirtyRecords' ? (fault.rule.records ?? 1) : 0;
      const cut =
        fault && (fault.type === 'reset' || fault.type === 'truncate')
          ? Math.floor(indices.length * (fault.rule.atFraction ?? 0.5))
          : -1;
      const outcome = await this.stream(
        req,
        res,
        head,
        indices,
        asOf,
        r,
        latency.perWorkerMs,
        cut,
        fault?.type,
        family,
        dirty,
        limit?.mode === 'reset' ? limit.maxBytes : undefined,
      );
      if (outcome === 'too_large') {
        stats.fault('response_limit');
        entry.fault = `response cut past ${limit?.maxBytes} bytes`;
      }
      finish(outcome, outcome === 'ok' || outcome === 'truncated' ? 200 : 0);
    } finally {
      stats.busyMs += performance.now() - admitted;
      if (res.writableEnded || res.destroyed) leave();
    }
  }

  private async stream(
    req: IncomingMessage,
    res: ServerResponse,
    head: string,
    indices: number[],
    asOf: AsOfMillis,
    r: ParsedGetWorkers,
    perWorkerMs: number,
    cut: number,
    cutKind: string | undefined,
    family: SchemaFamily,
    dirty = 0,
    /** Cut the connection once the body has passed this many bytes (the response-size limit). */
    cutAboveBytes?: number,
  ): Promise<Outcome> {
    const { ds, stats } = this.d;
    let sent = 0;
    const gzip = acceptsGzip(req.headers['accept-encoding']);
    res.writeHead(200, {
      'Content-Type': 'text/xml; charset=utf-8',
      ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
    });
    let out: Writable = res;
    if (gzip) {
      const z = createGzip({ level: 1 });
      z.pipe(res);
      out = z;
    }
    const write = async (s: string) => {
      const n = Buffer.byteLength(s);
      stats.bytesSent += n;
      sent += n;
      // Up to ~1 MB may queue before waiting: bounded memory, but no event-loop round trip per batch.
      if (!out.write(s) && out.writableLength > 1 << 20) {
        const waited = performance.now();
        await drained(out, res);
        stats.clientStallMs += performance.now() - waited;
      }
    };
    const ctx = new ViewContext(ds, asOf, `${this.d.opts.tenant}.example.com`);
    const renderer = new WorkerRenderer(ctx, r.groups, family);
    await write(head);
    let owed = 0;
    for (let i = 0; i < indices.length; i += BATCH) {
      if (res.destroyed) return 'client_aborted';
      const end = cut >= 0 ? Math.min(i + BATCH, indices.length, cut) : Math.min(i + BATCH, indices.length);
      let chunk = '';
      for (let j = i; j < end; j++) {
        const st = ds.state(indices[j], asOf);
        if (st)
          chunk += j < dirty ? dirtyWorker(renderer.render(ctx.view(st))) : renderer.render(ctx.view(st));
      }
      stats.workersSent += end - i;
      if (chunk) await write(chunk);
      owed += perWorkerMs * (end - i);
      if (owed >= 5) {
        await sleep(owed);
        owed = 0;
      }
      if (cut >= 0 && end >= cut) return this.cutBody(res, out, cutKind === 'reset' ? 'reset' : 'truncated');
      if (cutAboveBytes !== undefined && sent > cutAboveBytes) {
        await this.cutBody(res, out, 'reset');
        return 'too_large';
      }
    }
    if (cut >= 0) return this.cutBody(res, out, cutKind === 'reset' ? 'reset' : 'truncated');
    if (res.destroyed) return 'client_aborted';
    await write(RESPONSE_TAIL);
    out.end();
    return 'ok';
  }

  /**
   * The size of the answer (head, workers, tail) in bytes before gzip, rendered and thrown away;
   * stops counting once past `stopAbove`. Also how many workers were rendered.
   */
  private measure(
    head: string,
    indices: number[],
    asOf: AsOfMillis,
    r: ParsedGetWorkers,
    family: SchemaFamily,
    stopAbove: number,
  ): { bytes: number; workers: number } {
    const ctx = new ViewContext(this.d.ds, asOf, `${this.d.opts.tenant}.example.com`);
    const renderer = new WorkerRenderer(ctx, r.groups, family);
    let bytes = Buffer.byteLength(head) + Buffer.byteLength(RESPONSE_TAIL);
    let workers = 0;
    for (const i of indices) {
      if (bytes > stopAbove) break;
      const st = this.d.ds.state(i, asOf);
      if (st) bytes += Buffer.byteLength(renderer.render(ctx.view(st)));
      workers++;
    }
    return { bytes, workers };
  }

  /** Reset: the connection dies mid-body. Truncated: the body ends cleanly, mid-document. */
  private async cutBody(res: ServerResponse, out: Writable, kind: 'reset' | 'truncated'): Promise<Outcome> {
    if (kind === 'truncated') {
      out.end();
      return 'truncated';
    }
    // Let what was written reach the socket first, so the client sees a partial body, then RST.
    if (out !== res) (out as unknown as { flush(cb: () => void): void }).flush(() => undefined);
    await sleep(20);
    res.socket?.resetAndDestroy?.() ?? res.socket?.destroy();
    return 'reset';
  }

  private throttle(
    res: ServerResponse,
    how: 'throttle' | 'http429' | 'http503',
    entry: RequestLogEntry,
    outcome: Outcome,
    why: string,
    retryAfterSec: number,
  ): void {
    const tenant = this.d.opts.tenant;
    entry.fault = why;
    if (how === 'throttle') {
      this.d.stats.outcome(entry, outcome, 500);
      send(res, 500, throttleFault(tenant, why));
      return;
    }
    const status = how === 'http429' ? 429 : 503;
    this.d.stats.outcome(entry, outcome, status);
    const text = status === 429 ? 'Too Many Requests' : 'Service Unavailable';
    send(
      res,
      status,
      `<html><head><title>${status} ${text}</title></head><body><h1>${text}</h1><p>${why}. Retry after ${retryAfterSec} seconds.</p></body></html>`,
      {
        'Content-Type': 'text/html; charset=utf-8',
        'Retry-After': String(retryAfterSec),
      },
    );
  }

  private maintenancePage(res: ServerResponse, retryAfterSec: number): void {
    send(
      res,
      503,
      '<html><head><title>Workday is unavailable</title></head><body><h1>Workday is currently unavailable due to scheduled maintenance.</h1>' +
        '<p>We apologize for the inconvenience. Please try again later.</p></body></html>',
      { 'Content-Type': 'text/html; charset=utf-8', 'Retry-After': String(retryAfterSec) },
    );
  }

  private describe(entry: RequestLogEntry, r: ParsedGetWorkers): void {
    entry.version = r.version;
    entry.page = r.page;
    entry.count = r.count;
    entry.asOfEntryRequested = r.asOfEntry;
    entry.asOfEffectiveRequested = r.asOfEffective;
    if (r.transactionLog.length) entry.transactionLog = r.transactionLog.map(({ xpath: _x, ...w }) => w);
    if (r.references) {
      entry.references = r.references.map(({ type, id }) => ({ type, id }));
      entry.skipNonExisting = r.skipNonExisting;
    }
    entry.criteria = {
      excludeInactive: r.excludeInactive,
      excludeEmployees: r.excludeEmployees,
      excludeContingent: r.excludeContingent,
      organizations: r.organizations.map(({ type, id }) => ({ type, id })),
      includeSubordinates: r.includeSubordinates,
    };
    entry.responseGroup = Object.fromEntries(GROUP_ELEMENTS.map(([k, n]) => [n, r.groups[k]]));
  }

  private asOf(r: ParsedGetWorkers): AsOfMillis {
    const { clock, ds } = this.d;
    const xp = '/bsvc:Get_Workers_Request[1]/bsvc:Response_Filter[1]';
    const now = clock.now();
    let entry = now;
    if (r.asOfEntry !== undefined) {
      const t = parseDateTime(r.asOfEntry, ds.tt);
      if (t === null)
        throw new ValidationFault(
          `Invalid As_Of_Entry_DateTime: '${r.asOfEntry}'`,
          `${xp}/bsvc:As_Of_Entry_DateTime[1]`,
          `'${r.asOfEntry}' is not a valid xsd:dateTime`,
        );
      entry = t;
    }
    let effective = ds.tt.dayOf(now);
    if (r.asOfEffective !== undefined) {
      // A date, or a dateTime whose calendar date is taken as written.
      const ok = /^\d{4}-\d{2}-\d{2}([+-]\d{2}:\d{2}|Z|T.*)?$/.test(r.asOfEffective);
      const d = ok ? parseDay(r.asOfEffective) : null;
      if (d === null)
        throw new ValidationFault(
          `Invalid As_Of_Effective_Date: '${r.asOfEffective}'`,
          `${xp}/bsvc:As_Of_Effective_Date[1]`,
          `'${r.asOfEffective}' is not a valid xsd:date`,
        );
      effective = d;
    }
    return { entry, effective };
  }

  private windows(r: ParsedGetWorkers): TransactionWindow[] {
    const tt = this.d.ds.tt;
    return r.transactionLog.map((w) => {
      const at = (v: string | undefined, name: string, through: boolean): number | undefined => {
        if (v === undefined) return undefined;
        const t = parseDateTime(v, tt);
        if (t !== null) return t;
        const d = /^\d{4}-\d{2}-\d{2}$/.test(v) ? parseDay(v) : null;
        if (d === null)
          throw new ValidationFault(
            `Invalid ${name}: '${v}'`,
            `${w.xpath}/bsvc:${name}[1]`,
            `'${v}' is not a valid xsd:dateTime`,
          );
        return through ? tt.startOf(d + 1) - 1 : tt.startOf(d);
      };
      const out: TransactionWindow = {
        updatedFrom: at(w.updatedFrom, 'Updated_From', false),
        updatedThrough: at(w.updatedThrough, 'Updated_Through', true),
        effectiveFrom: at(w.effectiveFrom, 'Effective_From', false),
        effectiveThrough: at(w.effectiveThrough, 'Effective_Through', true),
      };
      if (
        out.updatedFrom !== undefined &&
        out.updatedThrough !== undefined &&
        out.updatedFrom > out.updatedThrough
      ) {
        throw new ValidationFault(
          'Updated_From must be on or before Updated_Through',
          `${w.xpath}/bsvc:Updated_From[1]`,
        );
      }
      if (
        out.effectiveFrom !== undefined &&
        out.effectiveThrough !== undefined &&
        out.effectiveFrom > out.effectiveThrough
      ) {
        throw new ValidationFault(
          'Effective_From must be on or before Effective_Through',
          `${w.xpath}/bsvc:Effective_From[1]`,
        );
      }
      for (const k of Object.keys(out) as (keyof TransactionWindow)[])
        if (out[k] === undefined) delete out[k];
      return out;
    });
  }

  private criteria(r: ParsedGetWorkers, asOf: AsOfMillis, windows: TransactionWindow[]): Criteria {
    const c: Criteria = {};
    if (r.excludeInactive) c.excludeInactive = true;
    if (r.excludeEmployees) c.excludeEmployees = true;
    if (r.excludeContingent) c.excludeContingent = true;
    if (windows.length) c.transactionLog = windows;
    if (r.organizations.length) {
      c.organizations = r.organizations.map((o) => this.org(o.type, o.id, o.xpath));
      if (r.includeSubordinates) c.includeSubordinates = true;
    }
    if (r.references) {
      const seen = new Set<number>();
      const list: number[] = [];
      for (const ref of r.references) {
        const i = resolveWorker(this.d.ds, ref.type, ref.id);
        const exists = i >= 0 && this.d.ds.firstEntry(i) <= asOf.entry;
        if (!exists) {
          if (!['WID', 'Employee_ID', 'Contingent_Worker_ID'].includes(ref.type)) {
            throw new ValidationFault(
              `Invalid ID type: '${ref.type}'`,
              ref.xpath,
              `'${ref.type}' is not a valid ID type for Worker_Reference (WID, Employee_ID or Contingent_Worker_ID)`,
            );
          }
          if (r.skipNonExisting) continue;
          throw new ValidationFault(
            `Invalid ID value. '${ref.id}' is not a valid ID value for type = '${ref.type}'`,
            ref.xpath,
            `No worker with ${ref.type} '${ref.id}' exists as of the requested entry moment`,
          );
        }
        if (!seen.has(i)) {
          seen.add(i);
          list.push(i);
        }
      }
      c.references = list;
    }
    return c;
  }

  private org(type: string, id: string, xpath: string): OrgSelector {
    const pop = this.d.ds.pop;
    const bad = () =>
      new ValidationFault(
        `Invalid ID value. '${id}' is not a valid ID value for type = '${type}'`,
        xpath,
        `No organization with ${type} '${id}'`,
      );
    if (type === 'WID') {
      if (!this.orgWids) {
        this.orgWids = new Map();
        for (let k = 0; k < pop.orgCount; k++) this.orgWids.set(pop.org(k).wid, k);
      }
      const k = this.orgWids.get(id.toLowerCase());
      if (k === undefined) throw bad();
      return { kind: 'sup', k };
    }
    if (!['Organization_Reference_ID', 'Cost_Center_Reference_ID', 'Company_Reference_ID'].includes(type))
      throw bad();
    const sup = /^SUP-(\d{6})$/.exec(id);
    if (sup && type === 'Organization_Reference_ID' && Number(sup[1]) < pop.orgCount)
      return { kind: 'sup', k: Number(sup[1]) };
    const cc = COST_CENTERS.findIndex((c) => c.id === id);
    if (cc >= 0 && type !== 'Company_Reference_ID') return { kind: 'cc', k: cc };
    const co = /^CO-([A-Z]{2})$/.exec(id);
    if (co && COUNTRIES[co[1]] && type !== 'Cost_Center_Reference_ID')
      return { kind: 'company', country: co[1] };
    throw bad();
  }
}

/**
 * Whether Accept-Encoding allows gzip (RFC 9110 §12.5.3): `gzip` or `x-gzip` with q > 0, or, when
 * neither is listed, `*` with q > 0. `gzip;q=0` refuses it.
 */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  let named: number | undefined;
  let star: number | undefined;
  for (const part of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const [coding, ...params] = part.split(';').map((x) => x.trim().toLowerCase());
    if (!coding) continue;
    let q = 1;
    for (const p of params) {
      const m = /^q\s*=\s*([0-9.]+)$/.exec(p);
      if (m) q = Number(m[1]);
    }
    if (Number.isNaN(q)) q = 0;
    if (coding === 'gzip' || coding === 'x-gzip') named = Math.max(named ?? 0, q);
    else if (coding === '*') star = q;
  }
  return named !== undefined ? named > 0 : star !== undefined && star > 0;
}

export function resolveWorker(ds: Dataset, type: string, id: string): number {
  if (type === 'WID') return ds.indexOfWid(id.trim().toLowerCase());
  if (type === 'Employee_ID') return ds.indexOfWorkerId(id.trim(), true);
  if (type === 'Contingent_Worker_ID') return ds.indexOfWorkerId(id.trim(), false);
  return -1;
}

export { DAY_MS };
