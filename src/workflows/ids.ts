/** Deterministic workflow ids, so a page's child is findable and a restarted run attaches. */
export const pageWorkflowId = (runId: string, page: number): string => `${runId}/page-${page}`;
export const replayWorkflowId = (runId: string, label: string): string => `${runId}/replay-${label}`;
export const releaseWorkflowId = (releaseId: string): string => `release-${releaseId}`;
/** The ledger key a released dead letter is delivered under: its own, never the original page's. */
export const releaseLedgerRunId = (runId: string, releaseId: string, letterId: number): string =>
  `${runId}/release-${releaseId}-${letterId}`;
