import { COST_CENTERS, JOB_PROFILES, LAST_NAMES, LOCATIONS } from './catalog';
import type { BaseWorker } from './model';
import { Population } from './model';
import { hash32, pick, Salt, unit } from './random';
import { DAY_MS, type TenantTime } from './time';

/**
 * The tenant over time: the derived population plus an append-only change log. Every question is
 * asked "as of" an entry moment (what had been entered by then) and an effective day (what had
 * taken effect by then), which is how Workday answers Get_Workers.
 */

export type ChangeKind =
  | 'hire'
  | 'termination'
  | 'rehire'
  | 'name'
  | 'title'
  | 'compensation'
  /** A new home email address, entered around the business processes: see `silent`. */
  | 'contact'
  /** A leave of absence begins (value seeds its expected length); `return` ends it. */
  | 'leave'
  | 'return'
  /** A concurrent position beside the primary job (value: the job profile). */
  | 'additional_job'
  /** The worker's hire is rescinded: never hired, whatever its effective date. */
  | 'rescind';

export interface Change {
  /** Position in the change log; base history uses -1. */
  seq: number;
  index: number;
  kind: ChangeKind;
  /** Entry moment (ms since epoch). */
  entry: number;
  /** Effective tenant-local day number. */
  effective: number;
  /** Seeded payload (new last name, job profile, raise, reason...). */
  value: number;
  /**
   * Never reaches the transaction log: no Transaction_Log_Entry, and no delta window selects the
   * worker for it (as with fields Workday changes outside a business process). Only a full run
   * sees it.
   */
  silent?: boolean;
}

/** The simulator's own model of a request's snapshot, in epoch ms; apart from wdsync's AsOf on purpose. */
export interface AsOfMillis {
  entry: number;
  effective: number;
}

export interface TransactionWindow {
  updatedFrom?: number;
  updatedThrough?: number;
  effectiveFrom?: number;
  effectiveThrough?: number;
}

export type OrgSelector =
  | { kind: 'sup'; k: number }
  | { kind: 'cc'; k: number }
  | { kind: 'company'; country: string };

export interface Criteria {
  /** Worker indices asked for by reference, in request order (already resolved). */
  references?: number[];
  excludeInactive?: boolean;
  excludeEmployees?: boolean;
  excludeContingent?: boolean;
  organizations?: OrgSelector[];
  includeSubordinates?: boolean;
  /** Worker matches when any window matches one of its changes. */
  transactionLog?: TransactionWindow[];
}

export interface WorkerState {
  b: BaseWorker;
  last: string;
  job: number;
  businessTitle: string;
  positionEffective: number;
  pay: number;
  compEffective: number;
  compReason: 'hire' | 'rehire' | 'merit' | 'promotion';
  hireDay: number;
  originalHireDay: number;
  activeStatusDay: number;
  active: boolean;
  terminated: boolean;
  termDay?: number;
  termReason?: number;
  rehire: boolean;
  /** The hire was rescinded (Hire_Rescinded): the worker is inactive, as if never hired. */
  hireRescinded: boolean;
  /** Hired as the conversion of a contingent worker (a new WID for the same person). */
  conversion: boolean;
  /** The person's identity across WIDs (Universal_ID), when the person has more than one. */
  universalId?: string;
  homeMailTag: number;
  /** The latest leave of absence, if any: first day, expected and (once back) actual last day. */
  leave?: { start: number; estimatedEnd: number; end?: number };
  onLeave: boolean;
  /** Concurrent positions beside the primary one, in the order they were added. */
  additionalJobs: { job: number; since: number; n: number }[];
  /** Changes entered by the entry moment, newest first (for Transaction_Log_Entry_Data). */
  events: Change[];
}

export interface ResultSet {
  total: number;
  slice(start: number, end: number): number[];
}

interface Hire {
  index: number;
  wid: string;
  entry: number;
}

const CACHE_SIZE = 24;

export class Dataset {
  readonly pop: Population;
  private readonly log: Change[] = [];
  private readonly byIndex = new Map<number, Change[]>();
  private readonly hires: Hire[] = [];
  private readonly hireByWid = new Map<string, number>();
  /** Conversions: the employee's index → the contingent worker's it continues. */
  private readonly convertedFrom = new Map<number, number>();
  private readonly convertedTo = new Map<number, number>();
  private sortedHires: { count: number; list: { hire: Hire; pos: number }[] } | null = null;
  private readonly cache = new Map<string, { entry: number; set: ResultSet }>();

  constructor(
    readonly seed: number,
    size: number,
    anchorMs: number,
    readonly tt: TenantTime,
    /** Who carries a Universal_ID: every person from hire, or only a person with two WIDs. */
    readonly universalIds: 'conversions' | 'every-person' = 'conversions',
  ) {
    this.pop = new Population(seed, size, anchorMs, tt);
  }

  get size(): number {
    return this.pop.size;
  }

  /** Indices ever used: the base population plus churn hires. */
  get indexCount(): number {
    return this.pop.size + this.hires.length;
  }

  get changeCount(): number {
    return this.log.length;
  }

  changes(): readonly Change[] {
    return this.log;
  }

  /** Base history and logged changes of one worker, in entry order. */
  events(index: number): Change[] {
    const out: Change[] = [];
    if (index < this.pop.size) {
      const h = this.pop.history(index);
      out.push({ seq: -1, index, kind: 'hire', entry: h.hireEntry, effective: h.hireDay, value: 0 });
      if (h.termDay !== undefined && h.termEntry !== undefined) {
        out.push({
          seq: -1,
          index,
          kind: 'termination',
          entry: h.termEntry,
          effective: h.termDay,
          value: h.termReason ?? 0,
        });
      }
      out.sort((a, b) => a.entry - b.entry);
    }
    const logged = this.byIndex.get(index);
    if (logged) out.push(...logged);
    return out;
  }

  firstEntry(index: number): number {
    if (index < this.pop.size) return this.pop.history(index).hireEntry;
    const h = this.hires[index - this.pop.size];
    return h ? h.entry : Number.POSITIVE_INFINITY;
  }

  wid(index: number): string {
    return index < this.pop.size ? this.pop.baseWid(index) : this.hires[index - this.pop.size].wid;
  }

  indexOfWid(w: string): number {
    const hire = this.hireByWid.get(w);
    if (hire !== undefined) return hire;
    return this.pop.baseIndexFromWid(w);
  }

  indexOfWorkerId(id: string, employee: boolean): number {
    const m = employee ? /^(\d+)$/.exec(id) : /^C(\d+)$/.exec(id);
    if (!m) return -1;
    const index = Number(m[1]) - 100000;
    if (index < 0 || index >= this.indexCount) return -1;
    return this.isEmployee(index) === employee ? index : -1;
  }

  /** A conversion's employee is the person of the contingent worker, with its own WID and ID. */
  base(index: number): BaseWorker {
    const prior = this.convertedFrom.get(index);
    if (prior === undefined) return this.pop.base(index);
    const p = this.pop.base(prior);
    return {
      ...p,
      index,
      wid: this.wid(index),
      isEmployee: true,
      workerId: String(100000 + index),
      hourly: false,
      pay: p.hourly ? Math.round((p.pay * 2080) / 1.3 / 100) * 100 : p.pay,
      hireDay: undefined,
      hireEntry: undefined,
      termDay: undefined,
      termEntry: undefined,
      termReason: undefined,
    };
  }

  isEmployee(index: number): boolean {
    return this.convertedFrom.has(index) || this.pop.isEmployee(index);
  }

  /** The index whose person (org, location, name) a worker is: a conversion's contingent worker. */
  private personIndex(index: number): number {
    return this.convertedFrom.get(index) ?? index;
  }

  /**
   * Universal_ID: one id per person, the same across a conversion's two WIDs. Every person has it
   * from hire in an `every-person` tenant; otherwise only once the person has a second WID by `entry`.
   */
  universalId(index: number, entry: number): string | undefined {
    const person = this.personIndex(index);
    const id = `UID-${String(person).padStart(8, '0')}`;
    if (this.universalIds === 'every-person') return id;
    const to = this.convertedTo.get(person);
    return to !== undefined && this.firstEntry(to) <= entry ? id : undefined;
  }

  /** The worker as of the given moments, or null if not yet entered. */
  state(index: number, asOf: AsOfMillis): WorkerState | null {
    if (index >= this.indexCount || this.firstEntry(index) > asOf.entry) return null;
    const b = this.base(index);
    const visible = this.events(index).filter((e) => e.entry <= asOf.entry);
    const applied = visible
      .filter((e) => e.effective <= asOf.effective)
      .sort((x, y) => x.effective - y.effective || x.entry - y.entry || x.seq - y.seq);
    const firstHire = visible.find((e) => e.kind === 'hire');
    if (!firstHire) return null;
    const st: WorkerState = {
      b,
      last: b.last,
      job: b.job,
      businessTitle: JOB_PROFILES[b.job].name,
      positionEffective: firstHire.effective,
      pay: b.pay,
      compEffective: firstHire.effective,
      compReason: 'hire',
      hireDay: firstHire.effective,
      originalHireDay: firstHire.effective,
      activeStatusDay: firstHire.effective,
      active: false,
      terminated: false,
      rehire: false,
      hireRescinded: false,
      conversion: this.convertedFrom.has(index),
      universalId: this.universalId(index, asOf.entry),
      homeMailTag: b.homeMailTag,
      onLeave: false,
      additionalJobs: [],
      events: visible.filter((e) => !e.silent).reverse(),
    };
    let hired = false;
    // A rescind undoes the hire back to its start: it counts once entered, whatever its date.
    st.hireRescinded = visible.some((e) => e.kind === 'rescind');
    for (const e of applied) {
      switch (e.kind) {
        case 'hire':
          hired = true;
          break;
        case 'termination':
          st.terminated = true;
          st.termDay = e.effective;
          st.termReason = e.value % 4;
          st.activeStatusDay = e.effective;
          break;
        case 'rehire':
          st.terminated = false;
          st.termDay = undefined;
          st.termReason = undefined;
          st.rehire = true;
          st.hireDay = e.effective;
          st.activeStatusDay = e.effective;
          st.positionEffective = e.effective;
          st.compEffective = e.effective;
          st.compReason = 'rehire';
          break;
        case 'name':
          st.last = LAST_NAMES[e.value % LAST_NAMES.length];
          break;
        case 'title': {
          st.job = e.value % JOB_PROFILES.length;
          const name = JOB_PROFILES[st.job].name;
          st.businessTitle = (e.value >>> 8) % 3 === 0 ? `${name} (Acting)` : name;
          st.positionEffective = e.effective;
          st.pay = Math.round(st.pay * 105) / 100;
          st.compEffective = e.effective;
          st.compReason = 'promotion';
          break;
        }
        case 'contact':
          st.homeMailTag = e.value % 1000;
          break;
        case 'leave':
          st.leave = { start: e.effective, estimatedEnd: e.effective + 30 + (e.value % 60) };
          st.onLeave = true;
          break;
        case 'return':
          // The last day of leave is the day before the worker is back.
          if (st.leave) st.leave = { ...st.leave, end: e.effective - 1 };
          st.onLeave = false;
          break;
        case 'additional_job':
          st.additionalJobs.push({
            job: e.value % JOB_PROFILES.length,
            since: e.effective,
            n: st.additionalJobs.length + 1,
          });
          break;
        case 'compensation':
          st.pay = Math.round(st.pay * (1 + (2 + (e.value % 12)) / 100) * 100) / 100;
          st.compEffective = e.effective;
          st.compReason = 'merit';
          break;
      }
    }
    st.active = hired && !st.terminated && !st.hireRescinded;
    return st;
  }

  /** Does any change of this worker, entered by asOf.entry, fall in a window? */
  private inWindows(index: number, windows: TransactionWindow[], asOfEntry: number): boolean {
    for (const e of this.events(index)) {
      if (e.entry > asOfEntry || e.silent) continue;
      const effAt = this.tt.startOf(e.effective);
      for (const w of windows) {
        if (w.updatedFrom !== undefined && e.entry < w.updatedFrom) continue;
        if (w.updatedThrough !== undefined && e.entry > w.updatedThrough) continue;
        if (w.effectiveFrom !== undefined && effAt < w.effectiveFrom) continue;
        if (w.effectiveThrough !== undefined && effAt > w.effectiveThrough) continue;
        return true;
      }
    }
    return false;
  }

  /** Status without building the whole worker, for filters that scan every worker. */
  private isActive(index: number, asOf: AsOfMillis): boolean {
    if (index < this.pop.size && !this.byIndex.has(index)) {
      const h = this.pop.history(index);
      if (h.hireDay > asOf.effective) return false;
      return !(h.termDay !== undefined && h.termEntry! <= asOf.entry && h.termDay <= asOf.effective);
    }
    return this.state(index, asOf)?.active ?? false;
  }

  private orgMatches(index: number, sel: OrgSelector[], subordinates: boolean): boolean {
    const person = this.personIndex(index);
    const org = this.pop.orgOf(person);
    for (const s of sel) {
      if (s.kind === 'sup' && (subordinates ? this.pop.orgWithin(org, s.k) : org === s.k)) return true;
      if (s.kind === 'cc' && this.pop.costCenter(org) === s.k) return true;
      if (
        s.kind === 'company' &&
        LOCATIONS[pick(this.seed, LOCATIONS.length, Salt.location, person)].country === s.country
      ) {
        return true;
      }
    }
    return false;
  }

  private matches(index: number, asOf: AsOfMillis, c: Criteria): boolean {
    if (this.firstEntry(index) > asOf.entry) return false;
    if (c.excludeEmployees || c.excludeContingent) {
      const emp = this.isEmployee(index);
      if (c.excludeEmployees && emp) return false;
      if (c.excludeContingent && !emp) return false;
    }
    if (c.organizations?.length && !this.orgMatches(index, c.organizations, !!c.includeSubordinates))
      return false;
    if (c.transactionLog?.length && !this.inWindows(index, c.transactionLog, asOf.entry)) return false;
    if (c.excludeInactive && !this.isActive(index, asOf)) return false;
    return true;
  }

  /** Hires entered by a moment, in WID order, each with its position among base workers. */
  private visibleHires(entry: number): { hire: Hire; pos: number }[] {
    let lo = 0;
    let hi = this.hires.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.hires[mid].entry <= entry) lo = mid + 1;
      else hi = mid;
    }
    if (this.sortedHires?.count !== lo) {
      const list = this.hires
        .slice(0, lo)
        .sort((a, b) => (a.wid < b.wid ? -1 : 1))
        .map((hire) => ({ hire, pos: this.basePosition(hire.wid) }));
      this.sortedHires = { count: lo, list };
    }
    return this.sortedHires.list;
  }

  /** Number of base workers whose WID sorts before w. */
  private basePosition(w: string): number {
    let lo = 0;
    let hi = this.pop.size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.pop.baseWid(mid) < w) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Every worker index entered by the moment, in Workday's order (by WID). */
  private *ordered(entry: number): Generator<number> {
    const hires = this.visibleHires(entry);
    let j = 0;
    for (let i = 0; i < this.pop.size; i++) {
      while (j < hires.length && hires[j].pos <= i) yield hires[j++].hire.index;
      yield i;
    }
    while (j < hires.length) yield hires[j++].hire.index;
  }

  /** The ordered set of workers a Get_Workers request selects. Cached: paging re-asks it. */
  resultSet(asOf: AsOfMillis, c: Criteria): ResultSet {
    const key = JSON.stringify([asOf.entry, asOf.effective, c]);
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit.set;
    }
    const set = this.compute(asOf, c);
    this.cache.set(key, { entry: asOf.entry, set });
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    return set;
  }

  private compute(asOf: AsOfMillis, c: Criteria): ResultSet {
    if (c.references) {
      const list = c.references.filter((i) => this.matches(i, asOf, c));
      return { total: list.length, slice: (s, e) => list.slice(s, e) };
    }
    const unfiltered =
      !c.excludeInactive &&
      !c.excludeEmployees &&
      !c.excludeContingent &&
      !c.organizations?.length &&
      !c.transactionLog?.length;
    if (unfiltered && asOf.entry >= this.pop.anchorMs) return this.allWorkers(asOf.entry);
    let out = new Int32Array(1024);
    let n = 0;
    for (const i of this.ordered(asOf.entry)) {
      if (!this.matches(i, asOf, c)) continue;
      if (n === out.length) {
        const bigger = new Int32Array(out.length * 2);
        bigger.set(out);
        out = bigger;
      }
      out[n++] = i;
    }
    const list = out;
    return { total: n, slice: (s, e) => Array.from(list.subarray(Math.min(s, n), Math.min(e, n))) };
  }

  /** Every worker: the base population (all entered before the clock started) plus hires. */
  private allWorkers(entry: number): ResultSet {
    const hires = this.visibleHires(entry);
    const size = this.pop.size;
    return {
      total: size + hires.length,
      slice: (s, e) => {
        // Hire j sits at combined position pos_j + j; count the hires before position s.
        let lo = 0;
        let hi = hires.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (hires[mid].pos + mid < s) lo = mid + 1;
          else hi = mid;
        }
        let j = lo;
        let i = s - j;
        const out: number[] = [];
        for (let p = s; p < e; p++) {
          if (j < hires.length && hires[j].pos + j === p) out.push(hires[j++].hire.index);
          else if (i < size) out.push(i++);
          else break;
        }
        return out;
      },
    };
  }

  /** Appends a change; drops cached answers that could now be stale. */
  private append(c: Omit<Change, 'seq'>): Change {
    const change: Change = { ...c, seq: this.log.length };
    this.log.push(change);
    const list = this.byIndex.get(c.index);
    if (list) list.push(change);
    else this.byIndex.set(c.index, [change]);
    for (const [k, v] of this.cache) if (v.entry >= c.entry) this.cache.delete(k);
    return change;
  }

  /**
   * Applies n seeded changes entered at `entry`, effective around `today`; returns the changed
   * workers' WIDs (distinct, in order of first change). Org heads are never terminated so the
   * reporting lines stay intact.
   */
  churn(n: number, entry: number, today: number): string[] {
    const changed = new Set<string>();
    const asOf = { entry, effective: today };
    for (let k = 0; k < n; k++) {
      const seq = this.log.length;
      const s = this.seed;
      const roll = unit(s, Salt.churnKind, seq);
      const value = hash32(s, Salt.churnValue, seq);
      const future = unit(s, Salt.churnFuture, seq) < 0.2;
      const effective = future ? today + 1 + pick(s, 45, Salt.churnFuture, seq, 1) : today;
      let kind: ChangeKind =
        roll < 0.15
          ? 'hire'
          : roll < 0.25
            ? 'termination'
            : roll < 0.3
              ? 'rehire'
              : roll < 0.5
                ? 'name'
                : roll < 0.7
                  ? 'title'
                  : 'compensation';
      if (kind === 'hire' || this.indexCount === 0) {
        const index = this.indexCount;
        const wid = this.pop.hireWid(index);
        this.hires.push({ index, wid, entry });
        this.hireByWid.set(wid, index);
        this.append({ index, kind: 'hire', entry, effective, value });
        changed.add(wid);
        continue;
      }
      let target = -1;
      for (let t = 0; t < 24 && target < 0; t++) {
        const i = pick(s, this.indexCount, Salt.churnTarget, seq, t);
        const st = this.state(i, asOf);
        if (!st) continue;
        if (kind === 'termination' && (!st.active || this.pop.headOf(i) >= 0)) continue;
        if (kind === 'rehire' && !st.terminated) continue;
        if (kind !== 'termination' && kind !== 'rehire' && st.terminated) continue;
        target = i;
      }
      if (target < 0) {
        kind = 'compensation';
        target = pick(s, this.indexCount, Salt.churnTarget, seq, 99);
      }
      this.append({ index: target, kind, entry, effective, value });
      changed.add(this.wid(target));
    }
    return [...changed];
  }

  /**
   * A name change of one worker to a catalog last name, entered at `entry`, effective `effective`:
   * lets a test change a worker and change it back, in a known order.
   */
  rename(index: number, lastName: string, entry: number, effective: number): void {
    const value = LAST_NAMES.indexOf(lastName);
    if (value < 0) throw new RangeError(`${lastName} is not a catalog last name`);
    this.append({ index, kind: 'name', entry, effective, value });
  }

  /**
   * n changes that never reach the transaction log (a new home email address each), entered at
   * `entry`, effective `effective`, on workers picked by seed; returns their WIDs. What deltas miss
   * and a reconcile finds.
   */
  silentChurn(n: number, entry: number, effective: number): string[] {
    const changed = new Set<string>();
    for (let k = 0; k < n && this.indexCount > 0; k++) {
      const seq = this.log.length;
      const index = pick(this.seed, this.indexCount, Salt.churnTarget, seq, 7);
      this.silentChange(index, entry, effective);
      changed.add(this.wid(index));
    }
    return [...changed];
  }

  /** One worker's home email address changes, with no transaction log entry. */
  silentChange(index: number, entry: number, effective: number): void {
    const seq = this.log.length;
    // A tag the worker does not have yet, so the change is a change.
    const was = this.state(index, { entry, effective })?.homeMailTag ?? -1;
    let value = hash32(this.seed, Salt.churnValue, seq) % 1000;
    if (value === was) value = (value + 1) % 1000;
    this.append({ index, kind: 'contact', entry, effective, value, silent: true });
  }

  /**
   * One HR event of a worker, entered at `entry`, effective `effective` (a past day makes it
   * back-dated): it reaches the transaction log like any business process.
   */
  hrEvent(
    index: number,
    kind: 'leave' | 'return' | 'additional_job' | 'rescind' | 'termination' | 'rehire',
    entry: number,
    effective: number,
  ): void {
    const st = this.state(index, { entry, effective: Math.max(effective, this.tt.dayOf(entry)) });
    if (!st) throw new RangeError('the worker is not hired yet');
    if (kind === 'leave' && (st.onLeave || !st.active))
      throw new RangeError('the worker is on leave or inactive');
    if (kind === 'return' && !st.onLeave) throw new RangeError('the worker is not on leave');
    if (kind === 'additional_job' && !st.active) throw new RangeError('the worker is inactive');
    if (kind === 'termination' && (!st.active || this.pop.headOf(index) >= 0))
      throw new RangeError('only an active worker heading no org can be terminated');
    if (kind === 'rehire' && (!st.terminated || st.hireRescinded))
      throw new RangeError('only a terminated worker is rehired');
    if (kind === 'rescind' && (st.hireRescinded || st.terminated || this.pop.headOf(index) >= 0))
      throw new RangeError('only the hire of a worker not terminated and heading no org can be rescinded');
    const value = hash32(this.seed, Salt.churnValue, this.log.length);
    this.append({ index, kind, entry, effective, value });
  }

  /**
   * A contingent worker converted to an employee, effective `effective`: Workday ends the
   * contingent worker the day before and hires an employee, a new WID and Employee_ID for the
   * same person (one Universal_ID). Returns the employee's WID.
   */
  convert(index: number, entry: number, effective: number): string {
    const st = this.state(index, { entry, effective: Math.max(effective, this.tt.dayOf(entry)) });
    if (!st?.active || this.isEmployee(index))
      throw new RangeError('only an active contingent worker converts');
    if (this.convertedTo.has(index)) throw new RangeError('the worker was converted already');
    const to = this.indexCount;
    const wid = this.pop.hireWid(to);
    this.hires.push({ index: to, wid, entry });
    this.hireByWid.set(wid, to);
    this.convertedFrom.set(to, index);
    this.convertedTo.set(index, to);
    const value = hash32(this.seed, Salt.churnValue, this.log.length);
    this.append({ index, kind: 'termination', entry, effective: effective - 1, value: 0 });
    this.append({ index: to, kind: 'hire', entry, effective, value });
    return wid;
  }

  /** Cost center k of the catalog (for org references). */
  costCenterIndex(id: string): number {
    return COST_CENTERS.findIndex((c) => c.id === id);
  }
}

export { DAY_MS };
