import type { Client } from '@temporalio/client';
import { CONNECTION, MODE, STATE } from '../workflows/search-attributes';

export interface RunListing {
  runId: string;
  status: string;
  state?: string;
  mode?: string;
  startTime: string;
  closeTime?: string;
}

/**
 * The most recent sync runs, newest first. A run that continued as new is several executions under
 * one workflow id: it is listed once, with the status of its latest execution and the start time of
 * its first.
 */
export async function listRuns(client: Client, limit: number, connection?: string): Promise<RunListing[]> {
  const byId = new Map<string, RunListing>();
  // Runs of one connection: a tenant and its sandbox share everything else (tenant name, WIDs).
  const ofConnection = connection ? ` AND ${CONNECTION.name} = ${JSON.stringify(connection)}` : '';
  for await (const w of client.workflow.list({ query: `WorkflowType = 'syncRun'${ofConnection}` })) {
    const startTime = w.startTime.toISOString();
    const seen = byId.get(w.workflowId);
    if (seen) {
      if (startTime < seen.startTime) seen.startTime = startTime;
      continue;
    }
    if (w.status.name === 'CONTINUED_AS_NEW') continue;
    if (byId.size >= limit) break;
    byId.set(w.workflowId, {
      runId: w.workflowId,
      status: w.status.name,
      state: w.typedSearchAttributes.get(STATE),
      mode: w.typedSearchAttributes.get(MODE),
      startTime,
      closeTime: w.closeTime?.toISOString(),
    });
  }
  return [...byId.values()];
}
