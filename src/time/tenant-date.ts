/**
 * Workday effective dates are days in the tenant's time zone: at 17:00 in San Francisco it is
 * already tomorrow in UTC, and a hire dated tomorrow must not show as active yet. Pure and
 * deterministic, so workflow code may call it.
 */

const OFFSET = /^([+-])(\d{2}):(\d{2})$/;

/** Accepts an IANA zone ("America/Los_Angeles"), "UTC", or a fixed offset ("-08:00"). */
export function isTimeZone(tz: string): boolean {
  if (OFFSET.test(tz)) return true;
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The calendar day (YYYY-MM-DD) of an instant in a time zone. */
export function tenantDate(instant: Date, tz = 'UTC'): string {
  const m = OFFSET.exec(tz);
  if (m) {
    const minutes = (Number(m[2]) * 60 + Number(m[3])) * (m[1] === '-' ? -1 : 1);
    return new Date(instant.getTime() + minutes * 60_000).toISOString().slice(0, 10);
  }
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(instant);
}
