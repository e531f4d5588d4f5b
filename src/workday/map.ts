import { type JobFields, NormalizedWorker } from '../domain/worker-record';
import type { SchemaFamily } from './schema-family';
import { type XNode, attr, child, children, path, refId, text } from './xml-tree';

/** A Worker element that cannot become a NormalizedWorker; the message says which field and why. */
export class MappingError extends Error {
  override readonly name = 'MappingError';
}

export type MapResult =
  | { ok: true; record: NormalizedWorker }
  | { ok: false; reason: string; wid?: string; workerId?: string };

/** xsd:boolean as Workday and its proxies send it: 1/0/true/false. */
export function parseBool(value: string | undefined, field: string): boolean | undefined {
  if (value === undefined) return undefined;
  switch (value) {
    case '1':
    case 'true':
      return true;
    case '0':
    case 'false':
      return false;
    default:
      throw new MappingError(`${field}: expected a boolean (1/0/true/false), got "${value.slice(0, 40)}"`);
  }
}

/** xsd:date may carry a zone (2020-01-01-08:00); the calendar date is what the record keeps. */
export function parseDate(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2}|T.*)?$/.exec(value);
  if (!m) throw new MappingError(`${field}: expected a date (YYYY-MM-DD), got "${value.slice(0, 40)}"`);
  return m[1];
}

function parseAmount(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(value) || !Number.isFinite(n)) {
    throw new MappingError(`${field}: expected a decimal amount, got "${value.slice(0, 40)}"`);
  }
  return n;
}

function usageTypes(method: XNode): { types: string[]; primary: boolean } {
  const types: string[] = [];
  let primary = false;
  for (const usage of children(method, 'Usage_Data')) {
    for (const td of children(usage, 'Type_Data')) {
      const t = refId(child(td, 'Type_Reference'), 'Communication_Usage_Type_ID');
      if (t) types.push(t.toUpperCase());
      if (parseBool(attr(td, 'Primary'), 'Type_Data@Primary')) primary = true;
    }
  }
  return { types, primary };
}

/** The primary entry of a usage type, else the first of that type, else (when `fallback`) the first of any. */
function pickByUsage(methods: XNode[], type: string, fallback = false): XNode | undefined {
  let firstOfType: XNode | undefined;
  for (const m of methods) {
    const u = usageTypes(m);
    if (!u.types.includes(type)) continue;
    if (u.primary) return m;
    firstOfType ??= m;
  }
  return firstOfType ?? (fallback ? methods[0] : undefined);
}

function mapName(nameData: XNode | undefined) {
  const detail = child(nameData ?? emptyNode, 'Name_Detail_Data');
  if (!detail) return undefined;
  const first = text(child(detail, 'First_Name')) ?? '';
  const last = text(child(detail, 'Last_Name')) ?? '';
  const formatted = attr(detail, 'Formatted_Name')?.trim() || [first, last].filter(Boolean).join(' ');
  return { formatted, first, last };
}

const emptyNode: XNode = { name: '', qname: '', attrs: {}, children: [], text: '' };

function mapPersonal(pd: XNode, family: SchemaFamily): NonNullable<NormalizedWorker['personal']> {
  const legalName = mapName(path(pd, 'Name_Data', 'Legal_Name_Data'));
  if (!legalName) throw new MappingError('Personal_Data has no Name_Data/Legal_Name_Data/Name_Detail_Data');
  const preferredName = mapName(path(pd, 'Name_Data', 'Preferred_Name_Data'));
  const contact = child(pd, 'Contact_Data');
  const personal: NonNullable<NormalizedWorker['personal']> = { legalName };
  if (preferredName) personal.preferredName = preferredName;
  if (!contact) return personal;

  const emails = children(contact, 'Email_Address_Data');
  const work = text(child(pickByUsage(emails, 'WORK') ?? emptyNode, 'Email_Address'));
  const home = text(child(pickByUsage(emails, 'HOME') ?? emptyNode, 'Email_Address'));
  if (work) personal.workEmail = work;
  if (home) personal.homeEmail = home;

  const phone = pickByUsage(children(contact, 'Phone_Data'), 'WORK', true);
  if (phone) {
    const value = phoneText(phone, family);
    if (value) personal.phone = value;
  }

  const address = pickByUsage(children(contact, 'Address_Data'), 'HOME', true);
  if (address) {
    const region =
      text(child(address, 'Country_Region_Descriptor')) ??
      attr(child(address, 'Country_Region_Reference'), 'Descriptor') ??
      refId(child(address, 'Country_Region_Reference'));
    const a: NonNullable<NonNullable<NormalizedWorker['personal']>['address']> = {
      lines: children(address, 'Address_Line_Data')
        .map((l) => text(l))
        .filter((l): l is string => l !== undefined),
    };
    const city = text(child(address, 'Municipality'));
    const postalCode = text(child(address, 'Postal_Code'));
    const country =
      refId(child(address, 'Country_Reference'), 'ISO_3166-1_Alpha-2_Code') ??
      refId(child(address, 'Country_Reference'));
    if (city) a.city = city;
    if (region) a.region = region;
    if (postalCode) a.postalCode = postalCode;
    if (country) a.country = country;
    personal.address = a;
  }
  return personal;
}

/**
 * The phone as the tenant formats it. v31 renamed Formatted_Phone to Tenant_Formatted_Phone and
 * moved Area_Code into an attribute (Phone_Number then holds the area code too).
 */
function phoneText(phone: XNode, family: SchemaFamily): string | undefined {
  const v31 = family === 'v31';
  const formatted = attr(phone, v31 ? 'Tenant_Formatted_Phone' : 'Formatted_Phone')?.trim();
  if (formatted) return formatted;
  const code = text(child(phone, 'International_Phone_Code'));
  const built = [
    code && `+${code}`,
    v31 ? undefined : text(child(phone, 'Area_Code')),
    text(child(phone, 'Phone_Number')),
  ]
    .filter(Boolean)
    .join(' ');
  const ext = text(child(phone, 'Phone_Extension'));
  return built ? (ext ? `${built} x${ext}` : built) : undefined;
}

/**
 * Before v30 the Position_Data may sit in Employment_Data itself (the v2x shape the simulator
 * renders), but real v25.1 answers already wrap it in Worker_Job_Data (the public fixture in
 * test/workday/fixtures/public): a v2x reader takes whichever the answer has.
 */
const flatPositions = (ed: XNode, family: SchemaFamily) =>
  family === 'v2x' && children(ed, 'Worker_Job_Data').length === 0;

/**
 * The element holding the primary Position_Data: a Worker_Job_Data (Primary_Job, else the first),
 * or in the flat v2x shape, Employment_Data itself, whose first Position_Data is the primary one.
 */
function primaryJob(ed: XNode, family: SchemaFamily): XNode | undefined {
  if (flatPositions(ed, family)) return child(ed, 'Position_Data') ? ed : undefined;
  const jobs = children(ed, 'Worker_Job_Data');
  return jobs.find((j) => parseBool(attr(j, 'Primary_Job'), 'Worker_Job_Data@Primary_Job')) ?? jobs[0];
}

/** Every job's Position_Data, the primary one first: Worker_Job_Data, or the flat v2x Position_Data. */
function allPositions(ed: XNode, family: SchemaFamily): { pos: XNode; primary: boolean }[] {
  if (flatPositions(ed, family))
    return children(ed, 'Position_Data').map((pos, i) => ({ pos, primary: i === 0 }));
  const primary = primaryJob(ed, family);
  const out: { pos: XNode; primary: boolean }[] = [];
  for (const j of children(ed, 'Worker_Job_Data')) {
    const pos = child(j, 'Position_Data');
    if (pos) out[j === primary ? 'unshift' : 'push']({ pos, primary: j === primary });
  }
  return out;
}

type Employment = NonNullable<NormalizedWorker['employment']>;

function mapPosition(pos: XNode): JobFields {
  const p: JobFields = {};
  const set = <K extends keyof JobFields>(k: K, v: JobFields[K] | undefined) => {
    if (v !== undefined) p[k] = v;
  };
  set('positionId', text(child(pos, 'Position_ID')) ?? refId(child(pos, 'Position_Reference')));
  set('positionTitle', text(child(pos, 'Position_Title')));
  set('businessTitle', text(child(pos, 'Business_Title')));
  // The typed ID of a reference, else its first ID.
  const id = (r: XNode | undefined, type: string) => refId(r, type) ?? refId(r);
  const jp = child(pos, 'Job_Profile_Summary_Data') ?? emptyNode;
  set('jobProfileId', id(child(jp, 'Job_Profile_Reference'), 'Job_Profile_ID'));
  set('jobProfileName', text(child(jp, 'Job_Profile_Name')));
  const site = child(pos, 'Business_Site_Summary_Data') ?? emptyNode;
  set('locationId', id(child(site, 'Location_Reference'), 'Location_ID'));
  set('locationName', text(child(site, 'Name')));
  return p;
}

/** Leave_Status_Data: on leave when any is; the latest leave (by start date) is the one kept. */
function mapLeave(status: XNode, e: Employment): void {
  const leaves = children(status, 'Leave_Status_Data');
  if (!leaves.length) return;
  let latest: Employment['leave'];
  e.onLeave = false;
  for (const l of leaves) {
    if (parseBool(text(child(l, 'On_Leave')), 'Leave_Status_Data/On_Leave')) e.onLeave = true;
    const startDate = parseDate(text(child(l, 'Leave_Start_Date')), 'Leave_Status_Data/Leave_Start_Date');
    if (!startDate || (latest && latest.startDate > startDate)) continue;
    latest = { startDate };
    const est = parseDate(
      text(child(l, 'Estimated_Leave_End_Date')),
      'Leave_Status_Data/Estimated_Leave_End_Date',
    );
    const end = parseDate(text(child(l, 'Leave_End_Date')), 'Leave_Status_Data/Leave_End_Date');
    const type = refId(child(l, 'Leave_of_Absence_Type_Reference'), 'Leave_of_Absence_Type_ID');
    if (est) latest.estimatedEndDate = est;
    if (end) latest.endDate = end;
    if (type) latest.typeId = type;
  }
  if (latest) e.leave = latest;
}

/**
 * The worker's manager: the nearest manager up the supervisory chain who is not the worker
 * (a manager's own org lists them as its manager). Workday orders the chain top-down.
 */
function managerOf(job: XNode, ownWid: string | undefined): string | undefined {
  const chain = children(
    path(job, 'Position_Management_Chains_Data', 'Position_Supervisory_Management_Chain_Data') ?? emptyNode,
    'Management_Chain_Data',
  );
  for (let i = chain.length - 1; i >= 0; i--) {
    for (const m of children(chain[i]!, 'Manager_Reference')) {
      const wid = refId(m, 'WID')?.toLowerCase();
      if (wid && wid !== ownWid) return wid;
    }
  }
  const last = children(
    child(job, 'Position_Data') ?? emptyNode,
    'Manager_as_of_last_detected_manager_change_Reference',
  );
  const wid = refId(last[last.length - 1], 'WID')?.toLowerCase();
  return wid && wid !== ownWid ? wid : undefined;
}

function mapEmployment(
  ed: XNode,
  ownWid: string | undefined,
  family: SchemaFamily,
): NonNullable<NormalizedWorker['employment']> {
  const status = child(ed, 'Worker_Status_Data');
  if (!status) throw new MappingError('Employment_Data has no Worker_Status_Data');
  const active = parseBool(text(child(status, 'Active')), 'Worker_Status_Data/Active');
  const hireDate = parseDate(text(child(status, 'Hire_Date')), 'Worker_Status_Data/Hire_Date');
  const terminationDate = parseDate(
    text(child(status, 'Termination_Date')),
    'Worker_Status_Data/Termination_Date',
  );
  const terminated =
    parseBool(text(child(status, 'Terminated')), 'Worker_Status_Data/Terminated') ??
    terminationDate !== undefined;
  if (active === undefined) throw new MappingError('Worker_Status_Data/Active is missing');
  if (hireDate === undefined) throw new MappingError('Worker_Status_Data/Hire_Date is missing');

  const e: Employment = { active, hireDate, terminated };
  if (terminationDate) e.terminationDate = terminationDate;
  const job = primaryJob(ed, family);
  const pos = job && child(job, 'Position_Data');
  if (pos) {
    Object.assign(e, mapPosition(pos));
    const workerTypeId = refId(child(pos, 'Worker_Type_Reference'));
    if (workerTypeId !== undefined) e.workerTypeId = workerTypeId;
  }
  if (job) {
    const manager = managerOf(job, ownWid);
    if (manager) e.managerWid = manager;
  }
  if (parseBool(text(child(status, 'Hire_Rescinded')), 'Worker_Status_Data/Hire_Rescinded'))
    e.hireRescinded = true;
  // Workday's conversion subcategories (Hire_Employee_Convert_Contingent_…) say "Convert".
  const reason = child(status, 'Hire_Reason_Reference');
  const reasonId = refId(reason, 'General_Event_Subcategory_ID') ?? '';
  if (/convert/i.test(reasonId)) e.converted = true;
  mapLeave(status, e);
  const jobs = allPositions(ed, family);
  if (jobs.length > 1) e.positions = jobs.map((j) => ({ primary: j.primary, ...mapPosition(j.pos) }));
  return e;
}

function mapCompensation(cd: XNode): NormalizedWorker['compensation'] {
  const pay = child(cd, 'Salary_and_Hourly_Data');
  // No salary or hourly plan (common for contingent workers): no compensation, not an error.
  if (!pay) return undefined;
  const amount = parseAmount(text(child(pay, 'Amount')), 'Salary_and_Hourly_Data/Amount');
  const currencyRef = child(pay, 'Currency_Reference');
  const currency = refId(currencyRef, 'Currency_ID') ?? refId(currencyRef);
  const freqRef = child(pay, 'Frequency_Reference');
  const frequency = refId(freqRef, 'Frequency_ID') ?? refId(freqRef) ?? attr(freqRef, 'Descriptor');
  if (amount === undefined) throw new MappingError('Salary_and_Hourly_Data/Amount is missing');
  if (!currency) throw new MappingError('Salary_and_Hourly_Data/Currency_Reference is missing');
  if (!frequency) throw new MappingError('Salary_and_Hourly_Data/Frequency_Reference is missing');
  return { amount, currency, frequency };
}

const orgKind = (v: string | undefined) => v?.toUpperCase().replace(/[\s-]+/g, '_');

function mapOrganizations(od: XNode): NonNullable<NormalizedWorker['organizations']> {
  const out: NonNullable<NormalizedWorker['organizations']> = {};
  for (const wo of children(od, 'Worker_Organization_Data')) {
    const data = child(wo, 'Organization_Data');
    const typeRef = child(data ?? emptyNode, 'Organization_Type_Reference');
    const kind = orgKind(refId(typeRef, 'Organization_Type_ID') ?? attr(typeRef, 'Descriptor'));
    const ref = child(wo, 'Organization_Reference');
    const id =
      text(child(data ?? emptyNode, 'Organization_Reference_ID')) ??
      refId(ref, 'Organization_Reference_ID') ??
      refId(ref);
    if (!id) continue;
    // First of each kind wins: Workday lists the primary assignment first.
    if (kind === 'SUPERVISORY' && out.supervisoryOrgId === undefined) {
      out.supervisoryOrgId = id;
      const name = text(child(data ?? emptyNode, 'Organization_Name')) ?? attr(ref, 'Descriptor');
      if (name) out.supervisoryOrgName = name;
    } else if (kind === 'COST_CENTER' && out.costCenterId === undefined) {
      out.costCenterId = id;
    } else if (kind === 'COMPANY' && out.companyId === undefined) {
      out.companyId = id;
    }
  }
  return out;
}

/** The response groups a request asked for: a section not asked for is not read. */
export interface RequestedSections {
  includePersonalInformation: boolean;
  includeEmploymentInformation: boolean;
  includeCompensation: boolean;
  includeOrganizations: boolean;
}
const EVERY_SECTION: RequestedSections = {
  includePersonalInformation: true,
  includeEmploymentInformation: true,
  includeCompensation: true,
  includeOrganizations: true,
};

/**
 * Maps one Worker element, in the shape of `family` (the configured WORKDAY_VERSION's), to a
 * validated record, or says why it cannot. Never throws. Workday still sends part of a section
 * the request left out (an Employment_Data holding only the job's organizations, without
 * Worker_Status_Data): that part is not read, so the sinks keep what they hold for the section.
 */
export function mapWorker(
  worker: XNode,
  family: SchemaFamily = 'v31',
  requested: RequestedSections = EVERY_SECTION,
): MapResult {
  const ref = child(worker, 'Worker_Reference');
  const data = child(worker, 'Worker_Data');
  const wid = refId(ref, 'WID')?.toLowerCase();
  const employeeId = refId(ref, 'Employee_ID');
  const contingentId = refId(ref, 'Contingent_Worker_ID');
  const workerId = employeeId ?? contingentId ?? text(child(data ?? emptyNode, 'Worker_ID'));
  try {
    let workerType: NormalizedWorker['workerType'] | undefined = employeeId
      ? 'Employee'
      : contingentId
        ? 'Contingent_Worker'
        : undefined;
    if (!workerType) {
      // No typed reference (Include_Reference off): the worker type reference still tells.
      const ed = child(data ?? emptyNode, 'Employment_Data');
      const job = ed && primaryJob(ed, family);
      const wt = path(job, 'Position_Data', 'Worker_Type_Reference');
      const t = wt?.children.map((c) => attr(c, 'type')).find((t) => t !== 'WID');
      workerType =
        t === 'Employee_Type_ID'
          ? 'Employee'
          : t === 'Contingent_Worker_Type_ID'
            ? 'Contingent_Worker'
            : undefined;
    }
    if (!wid) throw new MappingError('Worker_Reference has no ID of type WID (request Include_Reference)');
    if (!workerType)
      throw new MappingError(
        'cannot tell an employee from a contingent worker: no Employee_ID or Contingent_Worker_ID reference',
      );
    const candidate: Record<string, unknown> = {
      wid,
      workerId,
      workerType,
      descriptor: text(child(worker, 'Worker_Descriptor')) ?? attr(ref, 'Descriptor') ?? '',
    };
    if (data) {
      const userId = text(child(data, 'User_ID'));
      if (userId) candidate.userId = userId;
      const pd = child(data, 'Personal_Data');
      // Worker_Data/Universal_ID; the schema also allows it in Personal_Data (v30.0 and v31.2).
      const personId = text(child(data, 'Universal_ID')) ?? (pd && text(child(pd, 'Universal_ID')));
      if (personId) candidate.personId = personId;
      if (pd && requested.includePersonalInformation) candidate.personal = mapPersonal(pd, family);
      const ed = child(data, 'Employment_Data');
      if (ed && requested.includeEmploymentInformation) candidate.employment = mapEmployment(ed, wid, family);
      const cd = child(data, 'Compensation_Data');
      const comp = cd && requested.includeCompensation && mapCompensation(cd);
      if (comp) candidate.compensation = comp;
      const od = child(data, 'Organization_Data');
      if (od && requested.includeOrganizations) candidate.organizations = mapOrganizations(od);
    }
    const parsed = NormalizedWorker.safeParse(candidate);
    if (!parsed.success) {
      const reason = parsed.error.issues
        .map((i) => `${i.path.join('.') || 'record'}: ${i.message}`)
        .join('; ');
      return { ok: false, reason: `invalid record: ${reason}`, wid, workerId };
    }
    return { ok: true, record: parsed.data };
  } catch (err) {
    const reason = err instanceof MappingError ? err.message : `unmappable worker: ${(err as Error).message}`;
    return { ok: false, reason, wid, workerId };
  }
}
