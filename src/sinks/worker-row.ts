import type { NormalizedWorker } from '../domain/worker-record';

/** The flat columns of wdsync.workers, derived from a record (the full record is kept in `record`). */
export const WORKER_COLUMNS = [
  'wid',
  'worker_id',
  'worker_type',
  'descriptor',
  'first_name',
  'last_name',
  'preferred_name',
  'work_email',
  'active',
  'hire_date',
  'terminated',
  'termination_date',
  'position_title',
  'business_title',
  'supervisory_org_id',
  'manager_wid',
] as const;

/** SQL types for the unnest() arrays, in WORKER_COLUMNS order. Everything travels as text[]. */
export const WORKER_COLUMN_TYPES: Record<(typeof WORKER_COLUMNS)[number], string> = {
  wid: 'text',
  worker_id: 'text',
  worker_type: 'text',
  descriptor: 'text',
  first_name: 'text',
  last_name: 'text',
  preferred_name: 'text',
  work_email: 'text',
  active: 'boolean',
  hire_date: 'date',
  terminated: 'boolean',
  termination_date: 'date',
  position_title: 'text',
  business_title: 'text',
  supervisory_org_id: 'text',
  manager_wid: 'text',
};

export function workerColumns(r: NormalizedWorker): (string | null)[] {
  const p = r.personal;
  const e = r.employment;
  const bool = (b: boolean | undefined) => (b === undefined ? null : String(b));
  return [
    r.wid,
    r.workerId,
    r.workerType,
    r.descriptor,
    p?.legalName.first ?? null,
    p?.legalName.last ?? null,
    p?.preferredName?.formatted ?? null,
    p?.workEmail ?? null,
    bool(e?.active),
    e?.hireDate ?? null,
    bool(e?.terminated),
    e?.terminationDate ?? null,
    e?.positionTitle ?? null,
    e?.businessTitle ?? null,
    r.organizations?.supervisoryOrgId ?? null,
    e?.managerWid ?? null,
  ];
}
