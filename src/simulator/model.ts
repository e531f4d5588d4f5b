import {
  COST_CENTERS,
  COUNTRIES,
  DEPARTMENTS,
  FEMALE_FIRST,
  JOB_PROFILES,
  LAST_NAMES,
  LOCATIONS,
  MALE_FIRST,
  NICKNAMES,
  STREET_KINDS,
  STREET_NAMES,
} from './catalog';
import { hash32, hex8, pick, Salt, unit, wid } from './random';
import { DAY_MS, type TenantTime } from './time';

/**
 * The synthetic tenant's population: every worker's static attributes are a pure function of
 * (seed, index); the org tree is arithmetic on org numbers. Nothing here is stored per worker.
 */

const TWO32 = 4294967296;

/** Job profiles an org head can hold. */
const MANAGER_JOBS = JOB_PROFILES.flatMap((j, i) => (j.level === 'Individual_Contributor' ? [] : [i]));

export interface BaseWorker {
  index: number;
  wid: string;
  isEmployee: boolean;
  workerId: string;
  female: boolean;
  first: string;
  last: string;
  nickname?: string;
  birthDay: number;
  maritalIdx: number;
  loc: number;
  job: number;
  org: number;
  /** Annual amount in local currency at hire (hourly rate for hourly contingent workers). */
  pay: number;
  hourly: boolean;
  phoneTail: string;
  homeNo: number;
  homeStreet: string;
  apt?: number;
  homeMailTag: number;
  /** Base (pre-loaded) history; absent for churn hires, whose hire is in the change log. */
  hireDay?: number;
  hireEntry?: number;
  termDay?: number;
  termEntry?: number;
  termReason?: number;
}

export interface OrgInfo {
  k: number;
  wid: string;
  id: string;
  name: string;
  parent: number;
  head: number;
}

export const OBJ = {
  worker: 1,
  org: 2,
  costCenter: 3,
  company: 4,
  location: 5,
  job: 6,
  position: 7,
  country: 8,
  region: 9,
  currency: 10,
  misc: 11,
  txlog: 12,
} as const;

export class Population {
  readonly orgCount: number;
  private readonly stride: number;
  readonly anchorDay: number;
  private readonly foldCache = new Map<string, string>();

  constructor(
    readonly seed: number,
    readonly size: number,
    readonly anchorMs: number,
    readonly tt: TenantTime,
  ) {
    this.orgCount = Math.max(1, Math.ceil(size / 8));
    this.stride = size > 0 ? Math.max(1, Math.floor(size / this.orgCount)) : 1;
    this.anchorDay = tt.dayOf(anchorMs);
  }

  /** Index of the manager of org k (its head), or -1 when the tenant has no workers. */
  orgHead(k: number): number {
    return this.size > 0 ? k * this.stride : -1;
  }

  orgParent(k: number): number {
    return k === 0 ? -1 : Math.floor((k - 1) / 6);
  }

  /** The org k whose head this worker is, or -1. */
  headOf(index: number): number {
    if (index >= this.size || index % this.stride !== 0) return -1;
    const k = index / this.stride;
    return k < this.orgCount ? k : -1;
  }

  private readonly orgs = new Map<number, OrgInfo>();

  org(k: number): OrgInfo {
    let o = this.orgs.get(k);
    if (!o) {
      o = this.makeOrg(k);
      this.orgs.set(k, o);
    }
    return o;
  }

  private makeOrg(k: number): OrgInfo {
    const id = `SUP-${String(k).padStart(6, '0')}`;
    const name = k === 0 ? 'Office of the CEO' : `${DEPARTMENTS[k % DEPARTMENTS.length]} ${k}`;
    return { k, wid: wid(this.seed, OBJ.org, k), id, name, parent: this.orgParent(k), head: this.orgHead(k) };
  }

  /** Orgs k and its descendants in the 6-ary tree contain org m? */
  orgWithin(m: number, k: number): boolean {
    for (let x = m; x >= 0; x = this.orgParent(x)) if (x === k) return true;
    return false;
  }

  costCenter(org: number): number {
    return org % COST_CENTERS.length;
  }

  /** The manager of a worker: head of its org, or of the parent org for a head. */
  managerOf(b: BaseWorker): number {
    const headed = this.headOf(b.index);
    if (headed >= 0) {
      const p = this.orgParent(headed);
      return p < 0 ? -1 : this.orgHead(p);
    }
    return this.orgHead(b.org);
  }

  /** Base workers are ordered by WID: their WID starts with a prefix monotonic in the index. */
  basePrefix(i: number): number {
    return Math.floor(((i + 0.5) * TWO32) / this.size);
  }

  baseIndexFromWid(w: string): number {
    if (this.size === 0 || !/^[0-9a-f]{32}$/.test(w)) return -1;
    const p = Number.parseInt(w.slice(0, 8), 16);
    const guess = Math.floor((p * this.size) / TWO32);
    for (const i of [guess - 1, guess, guess + 1]) {
      if (i >= 0 && i < this.size && this.baseWid(i) === w) return i;
    }
    return -1;
  }

  baseWid(i: number): string {
    const s = this.seed;
    return (
      hex8(this.basePrefix(i)) +
      hex8(hash32(s, Salt.widTail, i, 1)) +
      hex8(hash32(s, Salt.widTail, i, 2)) +
      hex8(hash32(s, Salt.widTail, i, 3))
    );
  }

  hireWid(i: number): string {
    return wid(this.seed, Salt.hireWid, i);
  }

  fold(s: string): string {
    let f = this.foldCache.get(s);
    if (f === undefined) {
      f = s
        .normalize('NFD')
        .replace(/[\u0300-\u036f]/g, '')
        .replace(/[^A-Za-z]/g, '')
        .toLowerCase();
      this.foldCache.set(s, f);
    }
    return f;
  }

  isEmployee(index: number): boolean {
    return this.headOf(index) >= 0 || unit(this.seed, Salt.workerType, index) >= 0.12;
  }

  orgOf(index: number): number {
    const headed = this.headOf(index);
    return headed >= 0 ? headed : pick(this.seed, this.orgCount, Salt.org, index);
  }

  base(index: number): BaseWorker {
    const s = this.seed;
    const head = this.headOf(index) >= 0;
    const isEmployee = this.isEmployee(index);
    const female = unit(s, Salt.gender, index) < 0.5;
    const firsts = female ? FEMALE_FIRST : MALE_FIRST;
    const first = firsts[pick(s, firsts.length, Salt.first, index)];
    const last = LAST_NAMES[pick(s, LAST_NAMES.length, Salt.last, index)];
    const nick = NICKNAMES[first];
    const nickname = nick && unit(s, Salt.preferred, index) < 0.5 ? nick : undefined;
    const loc = pick(s, LOCATIONS.length, Salt.location, index);
    let job = pick(s, JOB_PROFILES.length, Salt.job, index);
    if (head) job = MANAGER_JOBS[job % MANAGER_JOBS.length];
    const jp = JOB_PROFILES[job];
    const country = COUNTRIES[LOCATIONS[loc].country];
    const hourly = !isEmployee && unit(s, Salt.salary, index, 7) < 0.6;
    const r = unit(s, Salt.salary, index);
    let pay = (jp.min + r * (jp.max - jp.min)) * country.payFactor;
    pay = hourly ? Math.round((pay / 2080) * 1.3 * 100) / 100 : Math.round(pay / 100) * 100;
    const b: BaseWorker = {
      index,
      wid: index < this.size ? this.baseWid(index) : this.hireWid(index),
      isEmployee,
      workerId: isEmployee ? String(100000 + index) : `C${100000 + index}`,
      female,
      first,
      last,
      nickname,
      birthDay: this.anchorDay - 365 * 22 - pick(s, 365 * 40, Salt.birth, index),
      maritalIdx: pick(s, 4, Salt.marital, index),
      loc,
      job,
      org: this.orgOf(index),
      pay,
      hourly,
      phoneTail: String(pick(s, 10000, Salt.phone, index)).padStart(4, '0'),
      homeNo: 1 + pick(s, 9899, Salt.street, index),
      homeStreet: `${STREET_NAMES[pick(s, STREET_NAMES.length, Salt.street, index, 1)]} ${STREET_KINDS[pick(s, STREET_KINDS.length, Salt.street, index, 2)]}`,
      apt: unit(s, Salt.apt, index) < 0.3 ? 1 + pick(s, 40, Salt.apt, index, 1) : undefined,
      homeMailTag: pick(s, 1000, Salt.homeMail, index),
    };
    if (index < this.size) Object.assign(b, this.history(index));
    return b;
  }

  /**
   * Pre-loaded hire (and for some, termination) of a base worker, all entered before the clock
   * started. Cheap on its own because filters and delta windows scan it for every worker.
   */
  history(i: number): BaseHistory {
    const s = this.seed;
    const A = this.anchorDay;
    const head = this.headOf(i) >= 0;
    const latest = this.anchorMs - DAY_MS;
    const businessHour = (k: number) => (8 * 60 + pick(s, 10 * 60, Salt.hireEntry, i, k)) * 60_000;
    if (!head && unit(s, Salt.hire, i, 1) < 0.015) {
      // Future-dated hire: entered recently, effective in the next three months.
      return {
        hireDay: A + 1 + pick(s, 90, Salt.hire, i, 2),
        hireEntry: this.tt.startOf(A - 1 - pick(s, 20, Salt.hireEntry, i)) + businessHour(1),
      };
    }
    const r = unit(s, Salt.hire, i, 3);
    // Skewed towards recent hires, as in a growing company.
    const hireDay = A - 30 - Math.floor(r * r * 25 * 365);
    const h: BaseHistory = {
      hireDay,
      hireEntry: Math.min(
        latest,
        this.tt.startOf(hireDay - pick(s, 21, Salt.hireEntry, i)) + businessHour(2),
      ),
    };
    if (!head && unit(s, Salt.term, i) < 0.07) {
      const span = A - 2 - (hireDay + 30);
      if (span > 0) {
        h.termDay = hireDay + 30 + pick(s, span, Salt.term, i, 1);
        h.termEntry = Math.min(
          latest,
          this.tt.startOf(h.termDay - pick(s, 15, Salt.termEntry, i)) + businessHour(3),
        );
        h.termReason = pick(s, 4, Salt.term, i, 2);
      }
    }
    return h;
  }
}

export interface BaseHistory {
  hireDay: number;
  hireEntry: number;
  termDay?: number;
  termEntry?: number;
  termReason?: number;
}
