import { z } from 'zod';

/** xsd:dateTime with an explicit zone: a moment without one would be read in the tenant's zone. */
export const isoDateTime = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/,
    'expected an ISO dateTime with a zone, e.g. 2024-05-01T12:00:00Z',
  )
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not a real date and time');

export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not a real date');

/**
 * The pinned snapshot: every page and every retry of a run asks Workday for exactly this moment.
 * Required on every page: without it each page sees "now" and workers shift between pages while
 * Workday changes underneath.
 */
export const AsOf = z.object({
  /** As_Of_Entry_DateTime, ISO-8601 with offset. */
  entryMoment: isoDateTime,
  /** As_Of_Effective_Date, YYYY-MM-DD. */
  effectiveDate: isoDate,
});
export type AsOf = z.infer<typeof AsOf>;
