import { z } from 'zod';
import { tenantDate } from '../time/tenant-date';
import { DATE_HEADER_RESOLUTION_MS, workdayNow } from '../workday/now';
import type { AsOf } from '../domain/as-of';
import { UserError } from './errors';

// Calendar-checked (zod's ISO forms know month lengths and leap years): 2026-02-31 never rolls over.
const Moment = z.union([z.iso.datetime({ offset: true }), z.iso.datetime({ offset: true, precision: -1 })]);
const Day = z.iso.date();

/** A moment flag, calendar-checked. */
export function parseMoment(value: unknown, flag: string): Date {
  if (!Moment.safeParse(value).success) {
    throw new UserError(
      `${flag} must be a real ISO-8601 moment with offset, e.g. 2026-11-22T08:00:00Z, got "${value}"`,
    );
  }
  return new Date(String(value));
}

/** `--as-of` / `--effective-date` as a pinned snapshot, strictly checked; undefined pins "now". */
export function parseAsOfFlags(
  flags: { asOf?: unknown; effectiveDate?: unknown },
  timezone: string,
): AsOf | undefined {
  const { asOf, effectiveDate } = flags;
  if (effectiveDate !== undefined && !Day.safeParse(effectiveDate).success) {
    throw new UserError(
      `--effective-date must be a real calendar date like 2026-11-22, got "${effectiveDate}"`,
    );
  }
  if (asOf === undefined) {
    if (effectiveDate !== undefined) {
      throw new UserError(
        '--effective-date needs --as-of (the entry moment it pairs with), e.g. --as-of 2026-11-22T08:00:00Z --effective-date 2026-12-01',
      );
    }
    return undefined;
  }
  const moment = parseMoment(asOf, '--as-of');
  return {
    entryMoment: moment.toISOString(),
    effectiveDate: (effectiveDate as string | undefined) ?? tenantDate(moment, timezone),
  };
}

/**
 * Refuses an entry moment later than Workday's now. Workday answers a future moment with today's
 * data, but wdsync would record the future moment as the watermark and the sinks' snapshot
 * marker, and every later run would then look older than that and change nothing.
 */
export async function refuseFutureAsOf(asOf: AsOf, endpoint: string): Promise<void> {
  const now = await workdayNow(endpoint);
  if (Date.parse(asOf.entryMoment) > now.getTime() + DATE_HEADER_RESOLUTION_MS) {
    throw new UserError(
      `--as-of ${asOf.entryMoment} is later than Workday's now (${now.toISOString()}); a snapshot from the future would hold back every later run. Give a moment up to now, or leave --as-of out`,
    );
  }
}
