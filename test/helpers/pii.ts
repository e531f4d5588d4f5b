import { sinkRows } from './harness';

/**
 * What must never appear in a log line or a span: every worker's full name, emails, phone and salary,
 * read back from the postgres sink after the run (the data as delivered).
 */
export async function workerPii(schema: string): Promise<string[]> {
  const out = new Set<string>();
  for (const { record } of (await sinkRows(schema)).values()) {
    const r = record as {
      descriptor?: string;
      personal?: {
        legalName?: { formatted?: string };
        workEmail?: string;
        homeEmail?: string;
        phone?: string;
      };
      compensation?: { amount?: number };
    };
    const p = r.personal;
    for (const v of [
      r.descriptor,
      p?.legalName?.formatted,
      p?.workEmail,
      p?.homeEmail,
      p?.phone,
      r.compensation?.amount === undefined ? undefined : String(r.compensation.amount),
    ])
      if (v && v.length >= 4) out.add(v);
  }
  return [...out];
}

/** The values of `pii` that occur in text (salaries as whole numbers, not inside a longer one). */
export function leaks(text: string, pii: string[]): string[] {
  return pii.filter((v) =>
    /^[\d.]+$/.test(v)
      ? new RegExp(`(?<![\\d.])${v.replace('.', '\\.')}(?![\\d])`).test(text)
      : text.includes(v),
  );
}
