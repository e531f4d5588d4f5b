import type { AuditStore } from '../audit/store';
import type { DeadLetterSummary, PageRow, RunRow } from '../audit/types';

/** What one run's report shows, all read from the audit store: no Temporal and no Workday needed. */
export interface RunReportData {
  run: RunRow;
  pages: PageRow[];
  /** Records per sink and action (inserted, updated, unchanged, dead-lettered, removed). */
  outcomes: { sink: string; action: string; count: number }[];
  deadLetters: DeadLetterSummary[];
}

export class RunNotFoundError extends Error {
  override name = 'RunNotFoundError';
}

export async function loadRunReport(audit: AuditStore, runId: string): Promise<RunReportData> {
  const run = await audit.getRun(runId);
  if (!run) {
    throw new RunNotFoundError(
      `no run ${runId} in the audit store; list runs with \`wdsync runs\` (the report reads the database the workers wrote to)`,
    );
  }
  const [pages, outcomes, deadLetters] = await Promise.all([
    audit.runPages(runId),
    audit.runEventCounts(runId),
    audit.listDeadLetters({ runId, limit: 10_000 }),
  ]);
  return { run, pages, outcomes, deadLetters };
}
