import { z } from 'zod';

/**
 * The normalized worker record: what sinks receive and what staging stores for delivery.
 * One record per Worker element of a Get_Workers page. Sections are optional because
 * Response_Group switches them off; a section that was requested and is present is complete.
 * Bump MAPPING_VERSION whenever the mapping from Workday XML to this shape changes, so content
 * hashes change and sinks rewrite every record once.
 */
export const MAPPING_VERSION = 1;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');

export const PersonName = z.object({
  formatted: z.string(),
  first: z.string(),
  last: z.string(),
});

export const Address = z.object({
  lines: z.array(z.string()),
  city: z.string().optional(),
  region: z.string().optional(),
  postalCode: z.string().optional(),
  country: z.string().optional(),
});

/** What a job says of itself: its position, titles, job profile and location. */
const JobFields = z.object({
  positionId: z.string().optional(),
  positionTitle: z.string().optional(),
  businessTitle: z.string().optional(),
  jobProfileId: z.string().optional(),
  jobProfileName: z.string().optional(),
  locationId: z.string().optional(),
  locationName: z.string().optional(),
});
export type JobFields = z.infer<typeof JobFields>;

/** One of a worker's concurrent jobs (Worker_Job_Data, or before v30 a Position_Data). */
export const Position = JobFields.extend({ primary: z.boolean() });

export const NormalizedWorker = z.object({
  /** Workday ID: 32 lowercase hex characters. The primary key everywhere. */
  wid: z.string().regex(/^[0-9a-f]{32}$/, 'WID must be 32 hex characters'),
  /** Employee_ID or Contingent_Worker_ID. */
  workerId: z.string().min(1),
  workerType: z.enum(['Employee', 'Contingent_Worker']),
  descriptor: z.string(),
  userId: z.string().optional(),
  /**
   * The person across WIDs (Universal_ID), when Workday sends it: a contingent worker converted
   * to an employee has two WIDs and one personId, so a sink can link them.
   */
  personId: z.string().optional(),
  personal: z
    .object({
      legalName: PersonName,
      preferredName: PersonName.optional(),
      workEmail: z.string().optional(),
      homeEmail: z.string().optional(),
      phone: z.string().optional(),
      address: Address.optional(),
    })
    .optional(),
  employment: z
    .object({
      ...JobFields.shape,
      workerTypeId: z.string().optional(),
      managerWid: z.string().optional(),
      active: z.boolean(),
      hireDate: isoDate,
      terminated: z.boolean(),
      terminationDate: isoDate.optional(),
      /** True once the hire was rescinded (Hire_Rescinded): the worker is inactive, never hired. */
      hireRescinded: z.boolean().optional(),
      /** True when hired as the conversion of a contingent worker (Hire_Reason_Reference). */
      converted: z.boolean().optional(),
      /** Present once the worker has had a leave of absence (Leave_Status_Data). */
      onLeave: z.boolean().optional(),
      /** The latest leave of absence: its first day, expected and (once back) actual last day. */
      leave: z
        .object({
          startDate: isoDate,
          estimatedEndDate: isoDate.optional(),
          endDate: isoDate.optional(),
          typeId: z.string().optional(),
        })
        .optional(),
      /**
       * Every concurrent job, primary first and marked, when the worker holds more than one (the
       * fields above are the primary job's).
       */
      positions: z.array(Position).min(2).optional(),
    })
    .optional(),
  compensation: z
    .object({
      amount: z.number().nonnegative(),
      currency: z.string().length(3),
      frequency: z.string(),
    })
    .optional(),
  organizations: z
    .object({
      supervisoryOrgId: z.string().optional(),
      supervisoryOrgName: z.string().optional(),
      costCenterId: z.string().optional(),
      companyId: z.string().optional(),
    })
    .optional(),
});
export type NormalizedWorker = z.infer<typeof NormalizedWorker>;
