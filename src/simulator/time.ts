/**
 * Date arithmetic on "day numbers" (days since 1970-01-01 in the tenant's local calendar) and
 * rendering in Workday's style: dates carry the tenant offset ("2024-05-01-08:00"), dateTimes are
 * local time with the offset. Hand-rolled because Date formatting is the hot path of a page.
 */

export const DAY_MS = 86_400_000;

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** Civil date from day number (Howard Hinnant's algorithm). */
export function civil(day: number): [number, number, number] {
  const z = day + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return [y, m, d];
}

export function formatDay(day: number): string {
  const [y, m, d] = civil(day);
  return `${y}-${pad2(m)}-${pad2(d)}`;
}

export function parseDay(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (Number.isNaN(ms)) return null;
  const day = Math.floor(ms / DAY_MS);
  return formatDay(day) === `${m[1]}-${m[2]}-${m[3]}` ? day : null;
}

/** "-08:00" → -480 * 60_000 */
export function offsetMs(tz: string): number {
  const sign = tz[0] === '-' ? -1 : 1;
  return sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6))) * 60_000;
}

export class TenantTime {
  readonly offset: number;
  constructor(readonly tz: string) {
    this.offset = offsetMs(tz);
  }

  /** The tenant-local calendar day of an instant. */
  dayOf(ms: number): number {
    return Math.floor((ms + this.offset) / DAY_MS);
  }

  /** The instant of local midnight starting a day. */
  startOf(day: number): number {
    return day * DAY_MS - this.offset;
  }

  private readonly dates = new Map<number, string>();

  /** Memoized: a page renders a dozen dates per worker, drawn from a few thousand days. */
  date(day: number): string {
    let s = this.dates.get(day);
    if (s === undefined) {
      s = formatDay(day) + this.tz;
      if (this.dates.size < 100_000) this.dates.set(day, s);
    }
    return s;
  }

  dateTime(ms: number): string {
    const local = ms + this.offset;
    const day = Math.floor(local / DAY_MS);
    let rest = local - day * DAY_MS;
    const h = Math.floor(rest / 3_600_000);
    rest -= h * 3_600_000;
    const mi = Math.floor(rest / 60_000);
    rest -= mi * 60_000;
    const s = Math.floor(rest / 1000);
    const milli = rest - s * 1000;
    const mss = milli < 10 ? `00${milli}` : milli < 100 ? `0${milli}` : `${milli}`;
    return `${formatDay(day)}T${pad2(h)}:${pad2(mi)}:${pad2(s)}.${mss}${this.tz}`;
  }
}

/** Parses an xsd:dateTime; a value without offset is taken in the tenant's zone, as Workday does. */
export function parseDateTime(s: string, tt: TenantTime): number | null {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.exec(s.trim());
  if (!m) return null;
  const day = parseDay(m[1]);
  if (day === null) return null;
  const h = Number(m[2]);
  const mi = Number(m[3]);
  const sec = Number(m[4]);
  if (h > 24 || mi > 59 || sec > 60) return null;
  const frac = m[5] ? Math.round(Number(m[5]) * 1000) : 0;
  const local = day * DAY_MS + ((h * 60 + mi) * 60 + sec) * 1000 + frac;
  const off = m[6] === undefined ? tt.offset : m[6] === 'Z' ? 0 : offsetMs(m[6]);
  return local - off;
}
