import type { NormalizedWorker } from '../domain/worker-record';
import type { PageRequestSpec } from '../workflows/types';
import { looksAhead } from '../time/lookahead';
import type { WorkdayPort } from './ports';

/**
 * The termination look-ahead: a worker whose termination is due by `spec.terminationsDueBy` (a
 * future tenant-local day) is delivered terminated now. Workday shows a future-dated termination
 * only as of its effective date, so the page's open workers are asked again, by reference and for
 * employment only, as of that day; only the termination is taken from that answer (the rest of the
 * record stays as of today). Returns the records and how many were terminated early.
 */
export async function applyDueTerminations(
  workday: WorkdayPort,
  spec: PageRequestSpec,
  records: NormalizedWorker[],
  signal?: AbortSignal,
): Promise<{ records: NormalizedWorker[]; early: number }> {
  const dueBy = spec.terminationsDueBy;
  if (!dueBy || !looksAhead(spec)) return { records, early: 0 };
  const open = records.filter((r) => r.employment && !r.employment.terminated);
  if (!open.length) return { records, early: 0 };
  const ahead = await workday.fetchPage(
    {
      runId: spec.runId,
      tenant: spec.tenant,
      pageSize: open.length,
      asOf: { entryMoment: spec.asOf.entryMoment, effectiveDate: dueBy },
      scope: {
        workerIds: open.map((r) => r.wid),
        responseGroups: { personal: false, employment: true, compensation: false, organizations: false },
      },
    },
    1,
    open.length,
    { signal },
  );
  const due = new Map<string, string>();
  for (const r of ahead.records) {
    const date = r.employment?.terminated ? r.employment.terminationDate : undefined;
    if (date && date <= dueBy) due.set(r.wid, date);
  }
  if (!due.size) return { records, early: 0 };
  return {
    records: records.map((r) => {
      const terminationDate = due.get(r.wid);
      return terminationDate && r.employment
        ? { ...r, employment: { ...r.employment, active: false, terminated: true, terminationDate } }
        : r;
    }),
    early: due.size,
  };
}
