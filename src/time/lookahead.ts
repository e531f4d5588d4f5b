import { tenantDate } from './tenant-date';

/** A termination look-ahead as the CLI and config take it: minutes, hours or days, at most 7 days. */
const LOOKAHEAD = /^(\d{1,4})(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export const MAX_LOOKAHEAD_MS = 7 * 86_400_000;

/** Milliseconds of "24h", "90m", "2d"; undefined when it is not such a duration or over 7 days. */
export function lookaheadMs(value: string): number | undefined {
  const m = LOOKAHEAD.exec(value);
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return ms > 0 && ms <= MAX_LOOKAHEAD_MS ? ms : undefined;
}

/**
 * The last tenant-local day whose terminations a run acts on early: the day of the pinned entry
 * moment plus the look-ahead. Pure, so the workflow computes it the same way on every replay.
 */
export function terminationsDueBy(entryMoment: string, lookahead: number, tz?: string): string {
  return tenantDate(new Date(Date.parse(entryMoment) + lookahead), tz);
}

/** Whether a run's pages look ahead: a due-by day after the pinned effective date. */
export const looksAhead = (spec: { terminationsDueBy?: string; asOf: { effectiveDate: string } }): boolean =>
  !!spec.terminationsDueBy && spec.terminationsDueBy > spec.asOf.effectiveDate;
