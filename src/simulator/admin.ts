import { z } from 'zod';
import type { NormalizedWorker } from '../domain/worker-record';
import type { SimClock } from './clock';
import type { Criteria, Dataset, OrgSelector, TransactionWindow } from './dataset';
import type { FaultInjector } from './faults';
import { FaultPatch, type FaultSettings, formatIssues } from './options';
import type { RequestedGroups } from './render';
import { resolveWorker } from './service';
import type { RequestLogEntry, Stats, StatsSnapshot } from './stats';
import { parseDateTime, parseDay } from './time';
import { toNormalized } from './truth';
import { ViewContext } from './view';

/**
 * The control surface for tests, the benchmark and crash tests. The in-process handle and the
 * HTTP admin API call the same functions, so what a test does in-process a script can do over HTTP.
 */

export class AdminInputError extends Error {}

const isoDateTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO date-time');

export const ClockChange = z
  .object({
    set: isoDateTime.optional(),
    advanceMs: z.number().finite().optional(),
    frozen: z.boolean().optional(),
  })
  .strict()
  .refine(
    (c) => !(c.set !== undefined && c.advanceMs !== undefined),
    'give either set or advanceMs, not both',
  );
export type ClockChange = z.infer<typeof ClockChange>;

export const ChurnRequest = z
  .object({
    apply: z.number().int().min(1).max(1_000_000).optional(),
    rate: z.number().min(0).max(100_000).optional(),
    /** Changes to apply now that never reach the transaction log (deltas miss them). */
    silent: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict()
  .refine(
    (c) => c.apply !== undefined || c.rate !== undefined || c.silent !== undefined,
    'give apply (changes to apply now), silent (changes no transaction log records) and/or rate (changes per second)',
  );

export const RenameRequest = z
  .object({
    wid: z.string().min(1),
    /** A last name of the simulator's catalog (a worker's own earlier name changes it back). */
    lastName: z.string().min(1),
  })
  .strict();
export type RenameRequest = z.infer<typeof RenameRequest>;

export const HrCaseRequest = z
  .object({
    /**
     * leave: a leave of absence begins; return: it ends; additional-job: a concurrent position;
     * convert: a contingent worker becomes an employee (a new WID, the same Universal_ID);
     * rescind: the worker's hire is rescinded (Hire_Rescinded; inactive); terminate: a
     * termination (a later effectiveDate makes it future-dated); rehire: a terminated worker is
     * hired again under the same WID (Rehire = 1).
     */
    case: z.enum(['leave', 'return', 'additional-job', 'convert', 'rescind', 'terminate', 'rehire']),
    wid: z.string().min(1),
    /** Effective day (YYYY-MM-DD, tenant-local); default today. A past day back-dates the event. */
    effectiveDate: z.string().optional(),
  })
  .strict();
export type HrCaseRequest = z.infer<typeof HrCaseRequest>;

export const GroundTruthQuery = z.object({
  /** As_Of_Entry_DateTime (ISO; a value without offset is tenant-local). */
  entryMoment: z.string(),
  /** As_Of_Effective_Date (YYYY-MM-DD; a dateTime's date part is used). */
  effectiveDate: z.string(),
  excludeInactive: z.boolean().optional(),
  excludeEmployees: z.boolean().optional(),
  excludeContingent: z.boolean().optional(),
  /** Organization_Reference_IDs (SUP-nnnnnn, CCnnnn, CO-XX). */
  organizations: z.array(z.string()).optional(),
  includeSubordinates: z.boolean().optional(),
  transactionLog: z
    .object({
      updatedFrom: z.string().optional(),
      updatedThrough: z.string().optional(),
      effectiveFrom: z.string().optional(),
      effectiveThrough: z.string().optional(),
    })
    .optional(),
  /** Worker references; ones that do not exist as of the entry moment are skipped. */
  workers: z
    .array(z.object({ type: z.enum(['WID', 'Employee_ID', 'Contingent_Worker_ID']), id: z.string() }))
    .optional(),
  /** Sections of each record; default personal, employment, compensation and organizations. */
  groups: z
    .object({
      personal: z.boolean(),
      employment: z.boolean(),
      compensation: z.boolean(),
      organizations: z.boolean(),
    })
    .partial()
    .optional(),
});
export type GroundTruthQuery = z.input<typeof GroundTruthQuery>;

export interface ChangeLogEntry {
  seq: number;
  wid: string;
  workerId: string;
  kind: string;
  entryMoment: string;
  effectiveDate: string;
}

export interface SimulatorAdmin {
  stats(): StatsSnapshot;
  resetStats(): void;
  faults(): FaultSettings;
  /** Validated; throws AdminInputError with a readable message on bad input. */
  setFaults(patch: z.input<typeof FaultPatch>): FaultSettings;
  clock: {
    /** The simulator's now (ISO, UTC). */
    now(): string;
    set(iso: string, opts?: { frozen?: boolean }): string;
    advance(ms: number): string;
    frozen(): boolean;
  };
  /** Applies n changes now; returns the WIDs of the workers changed. */
  churn(n: number): string[];
  /**
   * Applies n changes now that never reach the transaction log (a new home email address each), so
   * delta runs miss them and only a full run sees them; returns the WIDs of the workers changed.
   */
  silentChurn(n: number): string[];
  /** Changes one worker's last name now, effective today; returns the change's entry moment (ISO). */
  rename(change: RenameRequest): string;
  /**
   * Enters one HR event of a worker now (see HrCaseRequest); returns its entry moment (ISO) and
   * the worker's WID after it (a conversion's employee has a new one).
   */
  hrCase(request: HrCaseRequest): { entryMoment: string; wid: string };
  setChurnRate(perSecond: number): void;
  churnRate(): number;
  /** Parsed criteria of each Get_Workers request, oldest first. */
  requestLog(): RequestLogEntry[];
  changeLog(): ChangeLogEntry[];
  /** What the tenant holds as of the moments: the records a correct client builds, in Workday's order. */
  workersAsOf(query: GroundTruthQuery): NormalizedWorker[];
}

export interface AdminDeps {
  ds: Dataset;
  clock: SimClock;
  faults: FaultInjector;
  stats: Stats;
  tenant: string;
  churn: { rate: number; setRate(r: number): void };
}

function check<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (!r.success) throw new AdminInputError(formatIssues(r.error));
  return r.data;
}

export function createAdmin(d: AdminDeps): SimulatorAdmin {
  const { ds, clock, faults, stats } = d;
  const iso = (ms: number) => new Date(ms).toISOString();

  const churn = (n: number) => {
    const entry = clock.nextMoment();
    return ds.churn(n, entry, ds.tt.dayOf(entry));
  };

  const workersAsOf = (input: GroundTruthQuery): NormalizedWorker[] => {
    const q = check(GroundTruthQuery, input);
    const entry = parseDateTime(q.entryMoment, ds.tt);
    const effective = parseDay(q.effectiveDate);
    if (entry === null) throw new AdminInputError(`entryMoment: not a date-time: ${q.entryMoment}`);
    if (effective === null) throw new AdminInputError(`effectiveDate: not a date: ${q.effectiveDate}`);
    const asOf = { entry, effective };
    const c: Criteria = {};
    if (q.excludeInactive) c.excludeInactive = true;
    if (q.excludeEmployees) c.excludeEmployees = true;
    if (q.excludeContingent) c.excludeContingent = true;
    if (q.organizations?.length) {
      c.organizations = q.organizations.map((id): OrgSelector => {
        const sup = /^SUP-(\d{6})$/.exec(id);
        if (sup) return { kind: 'sup', k: Number(sup[1]) };
        const co = /^CO-([A-Z]{2})$/.exec(id);
        if (co) return { kind: 'company', country: co[1] };
        const cc = ds.costCenterIndex(id);
        if (cc >= 0) return { kind: 'cc', k: cc };
        throw new AdminInputError(`organizations: unknown organization ${id}`);
      });
      if (q.includeSubordinates) c.includeSubordinates = true;
    }
    if (q.transactionLog) {
      const w: TransactionWindow = {};
      const t = q.transactionLog;
      const at = (v: string | undefined, through: boolean) => {
        if (v === undefined) return undefined;
        const m = parseDateTime(v, ds.tt);
        if (m !== null) return m;
        const day = parseDay(v);
        if (day === null) throw new AdminInputError(`transactionLog: not a date-time: ${v}`);
        return through ? ds.tt.startOf(day + 1) - 1 : ds.tt.startOf(day);
      };
      const uf = at(t.updatedFrom, false);
      const ut = at(t.updatedThrough, true);
      const ef = at(t.effectiveFrom, false);
      const et = at(t.effectiveThrough, true);
      if (uf !== undefined) w.updatedFrom = uf;
      if (ut !== undefined) w.updatedThrough = ut;
      if (ef !== undefined) w.effectiveFrom = ef;
      if (et !== undefined) w.effectiveThrough = et;
      c.transactionLog = [w];
    }
    if (q.workers) {
      const seen = new Set<number>();
      c.references = [];
      for (const w of q.workers) {
        const i = resolveWorker(ds, w.type, w.id);
        if (i >= 0 && !seen.has(i)) {
          seen.add(i);
          c.references.push(i);
        }
      }
    }
    const groups: RequestedGroups = {
      reference: true,
      personal: q.groups?.personal ?? true,
      employment: q.groups?.employment ?? true,
      compensation: q.groups?.compensation ?? true,
      organizations: q.groups?.organizations ?? true,
      roles: false,
      managementChain: false,
      transactionLog: false,
    };
    const set = ds.resultSet(asOf, c);
    const ctx = new ViewContext(ds, asOf, `${d.tenant}.example.com`);
    const out: NormalizedWorker[] = [];
    const STEP = 4096;
    for (let s = 0; s < set.total; s += STEP) {
      for (const i of set.slice(s, s + STEP)) {
        const st = ds.state(i, asOf);
        if (st) out.push(toNormalized(ctx.view(st), groups));
      }
    }
    return out;
  };

  return {
    stats: () => stats.snapshot(ds.changeCount),
    resetStats: () => stats.reset(),
    faults: () => faults.current(),
    setFaults: (patch) => faults.apply(check(FaultPatch, patch)),
    clock: {
      now: () => iso(clock.now()),
      set: (when, opts) => {
        const ms = Date.parse(when);
        if (Number.isNaN(ms)) throw new AdminInputError(`clock: not a date-time: ${when}`);
        clock.set(ms, opts?.frozen);
        return iso(clock.now());
      },
      advance: (ms) => {
        if (!Number.isFinite(ms)) throw new AdminInputError('clock: advance needs a number of milliseconds');
        clock.advance(ms);
        return iso(clock.now());
      },
      frozen: () => clock.isFrozen(),
    },
    churn: (n) => {
      if (!Number.isInteger(n) || n < 1) throw new AdminInputError('churn: n must be a positive integer');
      return churn(n);
    },
    silentChurn: (n) => {
      if (!Number.isInteger(n) || n < 1)
        throw new AdminInputError('silentChurn: n must be a positive integer');
      const entry = clock.nextMoment();
      return ds.silentChurn(n, entry, ds.tt.dayOf(entry));
    },
    rename: (input) => {
      const c = check(RenameRequest, input);
      const index = ds.indexOfWid(c.wid);
      if (index < 0) throw new AdminInputError(`rename: no worker with WID ${c.wid}`);
      const entry = clock.nextMoment();
      try {
        ds.rename(index, c.lastName, entry, ds.tt.dayOf(entry));
      } catch (e) {
        throw new AdminInputError(`rename: ${(e as Error).message}`);
      }
      return iso(entry);
    },
    hrCase: (input) => {
      const c = check(HrCaseRequest, input);
      const index = ds.indexOfWid(c.wid);
      if (index < 0) throw new AdminInputError(`hrCase: no worker with WID ${c.wid}`);
      const entry = clock.nextMoment();
      const effective = c.effectiveDate === undefined ? ds.tt.dayOf(entry) : parseDay(c.effectiveDate);
      if (effective === null)
        throw new AdminInputError(`hrCase: effectiveDate: not a date: ${c.effectiveDate}`);
      try {
        if (c.case === 'convert')
          return { entryMoment: iso(entry), wid: ds.convert(index, entry, effective) };
        const kind =
          c.case === 'additional-job' ? 'additional_job' : c.case === 'terminate' ? 'termination' : c.case;
        ds.hrEvent(index, kind, entry, effective);
      } catch (e) {
        throw new AdminInputError(`hrCase ${c.case}: ${(e as Error).message}`);
      }
      return { entryMoment: iso(entry), wid: c.wid };
    },
    setChurnRate: (r) => {
      if (!Number.isFinite(r) || r < 0) throw new AdminInputError('churn rate must be a number ≥ 0');
      d.churn.setRate(r);
    },
    churnRate: () => d.churn.rate,
    requestLog: () => stats.requestLog(),
    changeLog: () =>
      ds.changes().map((c) => {
        const st = ds.base(c.index);
        return {
          seq: c.seq,
          wid: ds.wid(c.index),
          workerId: st.workerId,
          kind: c.kind,
          entryMoment: iso(c.entry),
          effectiveDate: ds.tt.date(c.effective).slice(0, 10),
        };
      }),
    workersAsOf,
  };
}

/** The HTTP face of the same handle: JSON in, JSON out, 400 with the reason on bad input. */
export async function adminHttp(
  admin: SimulatorAdmin,
  method: string,
  route: string,
  body: () => Promise<unknown>,
): Promise<{ status: number; body: unknown }> {
  try {
    switch (`${method} ${route}`) {
      case 'GET stats':
        return { status: 200, body: admin.stats() };
      case 'POST reset-stats':
        admin.resetStats();
        return { status: 200, body: admin.stats() };
      case 'GET faults':
        return { status: 200, body: admin.faults() };
      case 'POST faults':
        return { status: 200, body: admin.setFaults((await body()) as z.input<typeof FaultPatch>) };
      case 'GET clock':
        return { status: 200, body: { now: admin.clock.now(), frozen: admin.clock.frozen() } };
      case 'POST clock': {
        const c = check(ClockChange, await body());
        if (c.set !== undefined) admin.clock.set(c.set, { frozen: c.frozen });
        else if (c.advanceMs !== undefined) admin.clock.advance(c.advanceMs);
        if (c.set === undefined && c.frozen !== undefined)
          admin.clock.set(admin.clock.now(), { frozen: c.frozen });
        return { status: 200, body: { now: admin.clock.now(), frozen: admin.clock.frozen() } };
      }
      case 'GET churn':
        return { status: 200, body: { rate: admin.churnRate() } };
      case 'POST churn': {
        const c = check(ChurnRequest, await body());
        if (c.rate !== undefined) admin.setChurnRate(c.rate);
        const changed = c.apply !== undefined ? admin.churn(c.apply) : [];
        const silent = c.silent !== undefined ? admin.silentChurn(c.silent) : [];
        return {
          status: 200,
          body: { changed, ...(c.silent !== undefined ? { silent } : {}), rate: admin.churnRate() },
        };
      }
      case 'POST rename':
        return { status: 200, body: { entryMoment: admin.rename((await body()) as RenameRequest) } };
      case 'POST hr-case':
        return { status: 200, body: admin.hrCase((await body()) as HrCaseRequest) };
      case 'GET requests':
        return { status: 200, body: admin.requestLog() };
      case 'GET changes':
        return { status: 200, body: admin.changeLog() };
      case 'POST workers-as-of':
        return { status: 200, body: admin.workersAsOf((await body()) as GroundTruthQuery) };
      default:
        return { status: 404, body: { error: `no admin route ${method} /__admin/${route}` } };
    }
  } catch (e) {
    if (e instanceof AdminInputError || e instanceof SyntaxError)
      return { status: 400, body: { error: e.message } };
    throw e;
  }
}
