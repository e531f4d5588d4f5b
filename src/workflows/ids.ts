/** Deterministic workflow ids, so a page's child is findable and a restarted run attaches. */
export const pageWorkflowId = (runId: string, page: number): string => `${runId}/page-${page}`;
/** The run and page a workflow id names: `<runId>/page-<n>` for a page, the run id for a run. */
export function runAndPageOf(workflowId: string): { runId: string; page?: number } {
  const m = /^(.*)\/page-(\d+)$/.exec(workflowId);
  return m ? { runId: m[1]!, page: Number(m[2]) } : { runId: workflowId };
}
export const replayWorkflowId = (runId: string, label: string): string => `${runId}/replay-${label}`;
/** A replay delivers under its own ledger key, so it never reads as the original page's delivery. */
export const replayLedgerRunId = replayWorkflowId;
/** The workflow id a schedule starts its runs under; Temporal appends the scheduled time. */
export const scheduledWorkflowId = (scheduleName: string): string => `wdsync-${scheduleName}`;
export const releaseWorkflowId = (releaseId: string): string => `release-${releaseId}`;
/** The ledger key a released dead letter is delivered under: its own, never the original page's. */
export const releaseLedgerRunId = (runId: string, releaseId: string, letterId: number): string =>
  `${runId}/release-${releaseId}-${letterId}`;

/**
 * What a run id (or a replay id, or a schedule name) may be. Ids become directory and file names in
 * staging and sinks, so "/" and dot segments ("." and "..") are out: `--run-id ..` once put staged
 * pages outside the staging directory and made the JSONL sink delete its whole directory. ":" stays
 * allowed because Temporal names scheduled runs `<workflowId>-<RFC 3339 time>`.
 */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Why `id` is not a valid run id, or undefined when it is. Pure, so workflows can call it too. */
export function runIdProblem(id: unknown, what = 'run id'): string | undefined {
  if (typeof id === 'string' && RUN_ID_PATTERN.test(id)) return undefined;
  // The id is the caller's text: quote a bounded piece of it, never all of it.
  const shown =
    typeof id === 'string' ? JSON.stringify(id.length > 60 ? `${id.slice(0, 60)}…` : id) : String(id);
  return `${what} ${shown} is not allowed: use 1 to 128 letters, digits, ".", "_", ":" and "-", starting with a letter or digit (no "/", "." or "..")`;
}

/** A replay id ends up inside the replay's workflow id (`<runId>/replay-<id>`), so it is kept shorter. */
export const REPLAY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function replayIdProblem(id: unknown, what = '--replay-id'): string | undefined {
  if (typeof id === 'string' && REPLAY_ID_PATTERN.test(id)) return undefined;
  return `${what} takes letters, digits, ".", "_" and "-" (at most 64), starting with a letter or digit`;
}
