import type { NormalizedWorker } from '../domain/worker-record';
import { JOB_PROFILES } from './catalog';
import type { RequestedGroups } from './render';
import { formatDay } from './time';
import type { WorkerView } from './view';

/**
 * The ground truth: the record a correct client must build from the Worker element the
 * simulator sends for this view (same sections, same fields). Computed from the model, never by
 * reading XML back, so tests can compare sink contents with what Workday "holds".
 */
export function toNormalized(v: WorkerView, groups: RequestedGroups): NormalizedWorker {
  const st = v.st;
  const rec: NormalizedWorker = {
    wid: v.wid,
    workerId: v.workerId,
    workerType: v.isEmployee ? 'Employee' : 'Contingent_Worker',
    descriptor: v.descriptor,
    userId: v.userId,
  };
  if (st.universalId) rec.personId = st.universalId;
  if (groups.personal) {
    const preferred = v.preferredFirst ?? v.first;
    rec.personal = {
      legalName: { formatted: `${v.first} ${v.last}`, first: v.first, last: v.last },
      preferredName: { formatted: `${preferred} ${v.last}`, first: preferred, last: v.last },
      workEmail: v.workEmail,
      homeEmail: v.homeEmail,
      phone: v.phone.formatted,
      address: {
        lines: v.home.lines,
        city: v.location.city,
        region: v.location.regionName,
        postalCode: v.location.postal,
        country: v.country.alpha2,
      },
    };
  }
  if (groups.employment) {
    rec.employment = {
      positionId: v.positionId,
      positionTitle: v.job.name,
      businessTitle: st.businessTitle,
      workerTypeId: v.workerTypeId,
      jobProfileId: v.job.id,
      jobProfileName: v.job.name,
      locationId: v.location.id,
      locationName: v.location.name,
      active: st.active,
      hireDate: formatDay(st.hireDay),
      terminated: st.terminated,
    };
    if (v.manager) rec.employment.managerWid = v.manager.wid;
    if (st.terminated && st.termDay !== undefined) rec.employment.terminationDate = formatDay(st.termDay);
    if (st.hireRescinded) rec.employment.hireRescinded = true;
    if (st.conversion && !st.rehire) rec.employment.converted = true;
    if (st.leave) {
      rec.employment.onLeave = st.onLeave;
      rec.employment.leave = {
        startDate: formatDay(st.leave.start),
        estimatedEndDate: formatDay(st.leave.estimatedEnd),
        ...(st.leave.end !== undefined ? { endDate: formatDay(st.leave.end) } : {}),
        typeId: 'Personal_Leave',
      };
    }
    if (st.additionalJobs.length) {
      const position = (primary: boolean, id: string, title: string, job: (typeof JOB_PROFILES)[number]) => ({
        primary,
        positionId: id,
        positionTitle: job.name,
        businessTitle: title,
        jobProfileId: job.id,
        jobProfileName: job.name,
        locationId: v.location.id,
        locationName: v.location.name,
      });
      rec.employment.positions = [
        position(true, v.positionId, st.businessTitle, v.job),
        ...st.additionalJobs.map((a) => {
          const job = JOB_PROFILES[a.job];
          return position(false, `${v.positionId}-${a.n}`, job.name, job);
        }),
      ];
    }
  }
  if (groups.compensation)
    rec.compensation = { amount: st.pay, currency: v.currency, frequency: v.frequency };
  if (groups.organizations) {
    rec.organizations = {
      supervisoryOrgId: v.org.id,
      supervisoryOrgName: v.org.name,
      costCenterId: v.costCenter.id,
      companyId: v.companyId,
    };
  }
  return rec;
}
