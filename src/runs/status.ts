import { innermostMessage } from '../errors/causes';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { progressQuery } from '../workflows/messages';
import type { RunProgress, RunSummary } from '../workflows/types';

export type RunStatus =
  | { runId: string; temporalStatus: string; running: true; progress: RunProgress }
  | { runId: string; temporalStatus: string; running: false; summary?: RunSummary; failure?: string };

/** The part of the run records status reconciles (the audit store). */
export interface RunRecords {
  getRun(runId: string): Promise<{ status: string } | undefined>;
  recordRunEnd(run: { runId: string; status: string; summary?: Record<string, unknown> }): Promise<void>;
}

/** How wdsync.runs names the ways Temporal closes a run without a summary. */
const CLOSED_STATUS: Record<string, string> = {
  FAILED: 'FAILED',
  TERMINATED: 'TERMINATED',
  CANCELLED: 'CANCELLED',
  CANCELED: 'CANCELLED',
  TIMED_OUT: 'TIMED_OUT',
};

/**
 * A terminated run (or one whose own closing record failed) cannot say it ended: its row in
 * wdsync.runs would stay RUNNING for ever. Temporal's state is the truth; the row follows it.
 * Returns the status written, if any.
 */
export async function reconcileRunRecord(
  records: RunRecords,
  runId: string,
  temporalStatus: string,
  failure?: string,
): Promise<string | undefined> {
  const closed = CLOSED_STATUS[temporalStatus];
  if (!closed) return undefined;
  const row = await records.getRun(runId);
  if (row?.status !== 'RUNNING') return undefined;
  await records.recordRunEnd({
    runId,
    status: closed,
    summary: { error: failure ?? `the run's workflow was ${temporalStatus.toLowerCase()} in Temporal` },
  });
  return closed;
}

/** Live progress from the query while running; the recorded summary once closed. */
export async function getRunStatus(client: Client, runId: string): Promise<RunStatus> {
  const handle = client.workflow.getHandle(runId);
  const d = await handle.describe();
  if (d.status.name === 'RUNNING') {
    return {
      runId,
      temporalStatus: d.status.name,
      running: true,
      progress: await handle.query(progressQuery),
    };
  }
  if (d.status.name === 'COMPLETED') {
    return {
      runId,
      temporalStatus: d.status.name,
      running: false,
      summary: (await handle.result()) as RunSummary,
    };
  }
  let failure: string | undefined;
  try {
    await handle.result();
  } catch (err) {
    failure = rootMessage(err);
  }
  return { runId, temporalStatus: d.status.name, running: false, failure };
}

export const rootMessage = innermostMessage;

/** Polls progress until the run closes, then returns its summary (or throws its failure). */
export async function waitForRun(
  handle: WorkflowHandle,
  onProgress: (p: RunProgress) => void,
  intervalMs = 1000,
): Promise<RunSummary> {
  const result = handle.result() as Promise<RunSummary>;
  let closed = false;
  result.then(
    () => (closed = true),
    () => (closed = true),
  );
  while (!closed) {
    try {
      onProgress(await handle.query(progressQuery));
    } catch {
      // Queries fail briefly during continue-as-new and while no worker polls; keep waiting.
    }
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, intervalMs))]);
  }
  return result;
}
