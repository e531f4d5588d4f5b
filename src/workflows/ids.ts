/** Deterministic workflow ids, so a page's child is findable and a restarted run attaches. */
export const pageWorkflowId = (runId: string, page: number): string => `${runId}/page-${page}`;
export const replayWorkflowId = (runId: string, label: string): string => `${runId}/replay-${label}`;
