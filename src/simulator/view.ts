import {
  COST_CENTERS,
  COUNTRIES,
  type Country,
  JOB_PROFILES,
  type JobProfile,
  LOCATIONS,
  type Location,
} from './catalog';
import type { AsOfMillis, Dataset, WorkerState } from './dataset';
import type { OrgInfo } from './model';
import { hash32 } from './random';

/**
 * Every display value of one worker as of a moment. The XML renderer and the ground-truth
 * mapper both read this, so what the simulator sends and what it says it sent cannot disagree.
 */

export interface Person {
  index: number;
  wid: string;
  workerId: string;
  isEmployee: boolean;
  descriptor: string;
}

export interface WorkerView extends Person {
  st: WorkerState;
  userId: string;
  first: string;
  last: string;
  preferredFirst?: string;
  legalFormatted: string;
  female: boolean;
  workEmail: string;
  homeEmail: string;
  phone: { area: string; number: string; formatted: string };
  home: { lines: string[] };
  location: Location;
  country: Country;
  job: JobProfile;
  positionId: string;
  workerTypeId: string;
  workerTypeName: string;
  org: OrgInfo;
  costCenter: { id: string; name: string; k: number };
  companyId: string;
  manager?: Person;
  managedOrg?: OrgInfo;
  currency: string;
  frequency: 'Annual' | 'Hourly';
}

/** Per-request memo: managers recur on every page, so resolve each once. */
export class ViewContext {
  private readonly people = new Map<number, Person | null>();

  constructor(
    readonly ds: Dataset,
    readonly asOf: AsOfMillis,
    readonly domain: string,
  ) {}

  person(index: number): Person | undefined {
    if (index < 0) return undefined;
    let p = this.people.get(index);
    if (p === undefined) {
      const st = this.ds.state(index, this.asOf);
      p = st ? personOf(st) : null;
      this.people.set(index, p);
    }
    return p ?? undefined;
  }

  view(st: WorkerState): WorkerView {
    const b = st.b;
    const pop = this.ds.pop;
    const location = LOCATIONS[b.loc];
    const country = COUNTRIES[location.country];
    const first = b.first;
    const last = st.last;
    const f = pop.fold(first);
    const l = pop.fold(b.last);
    const number = country.phoneCode === '1' ? `555-${b.phoneTail}` : `5550 ${b.phoneTail}`;
    const lines = [`${b.homeNo} ${b.homeStreet}`];
    if (b.apt !== undefined) lines.push(`Apt ${b.apt}`);
    const org = pop.org(b.org);
    const cc = pop.costCenter(b.org);
    const headed = pop.headOf(b.index);
    const h = hash32(this.ds.seed, 77, b.index);
    return {
      ...personOf(st),
      st,
      userId: `${f}.${l}${b.index}`,
      first,
      last,
      preferredFirst: b.nickname,
      legalFormatted: `${first} ${last}`,
      female: b.female,
      workEmail: `${f}.${l}.${b.index}@${this.domain}`,
      homeEmail: `${f}${l}${st.homeMailTag}@mail.example.net`,
      phone: { area: location.area, number, formatted: `+${country.phoneCode} (${location.area}) ${number}` },
      home: { lines },
      location,
      country,
      job: JOB_PROFILES[st.job],
      positionId: `P-${String(b.index).padStart(7, '0')}`,
      workerTypeId: b.isEmployee
        ? h % 20 === 0
          ? 'Fixed_Term'
          : 'Regular'
        : h % 3 === 0
          ? 'Consultant'
          : 'Contractor',
      workerTypeName: b.isEmployee
        ? h % 20 === 0
          ? 'Fixed Term'
          : 'Regular'
        : h % 3 === 0
          ? 'Consultant'
          : 'Contractor',
      org,
      costCenter: { ...COST_CENTERS[cc], k: cc },
      companyId: `CO-${country.alpha2}`,
      manager: this.person(pop.managerOf(b)),
      managedOrg: headed >= 0 ? pop.org(headed) : undefined,
      currency: country.currency,
      frequency: b.hourly ? 'Hourly' : 'Annual',
    };
  }

  /** The supervisory chain from the top org down to the worker's own org. */
  chain(v: WorkerView): { org: OrgInfo; manager?: Person }[] {
    const pop = this.ds.pop;
    const out: { org: OrgInfo; manager?: Person }[] = [];
    for (let k = v.org.k; k >= 0; k = pop.orgParent(k)) {
      const org = pop.org(k);
      out.push({ org, manager: this.person(org.head) });
    }
    return out.reverse();
  }
}

export function personOf(st: WorkerState): Person {
  const b = st.b;
  return {
    index: b.index,
    wid: b.wid,
    workerId: b.workerId,
    isEmployee: b.isEmployee,
    descriptor: `${b.nickname ?? b.first} ${st.last}`,
  };
}
