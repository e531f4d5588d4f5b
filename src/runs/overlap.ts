import type { Client } from '@temporalio/client';
import { CONNECTION, STATE, TENANT } from '../workflows/search-attributes';

/** Memo key holding a run's scope key (src/activities/scope-key.ts), set by start and schedules. */
export const SCOPE_MEMO = 'wdsyncScope';

export interface RunningRun {
  runId: string;
  state?: string;
}

/** Temporal's list-filter string literal: double quotes, with quotes and backslashes escaped. */
const literal = (v: string) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/**
 * A sync run of the same tenant and scope that Temporal's visibility holds as running, other than
 * `runId` itself (re-using a running run's id attaches to it). A run without the scope memo (one
 * started by another client) counts as the same scope: refusing is the safe side, and
 * `--allow-overlap` remains.
 */
export async function findOverlappingRun(
  client: Client,
  o: { tenant: string; scopeKey: string; runId: string; connection?: string },
): Promise<RunningRun | undefined> {
  // A sandbox shares its production tenant's name: runs overlap only on the same connection.
  const same = o.connection
    ? `${CONNECTION.name} = ${literal(o.connection)}`
    : `${TENANT.name} = ${literal(o.tenant)}`;
  const query = `WorkflowType = 'syncRun' AND ExecutionStatus = 'Running' AND ${same}`;
  for await (const w of client.workflow.list({ query })) {
    if (w.workflowId === o.runId) continue;
    const scope = w.memo?.[SCOPE_MEMO];
    if (scope !== undefined && scope !== o.scopeKey) continue;
    return { runId: w.workflowId, state: w.typedSearchAttributes.get(STATE) };
  }
  return undefined;
}

/** The one line `wdsync start` answers with when it refuses an overlap. */
export function overlapMessage(running: RunningRun, tenant: string): string {
  const state = running.state ? ` (${running.state})` : '';
  return (
    `run ${running.runId}${state} of tenant ${tenant} and the same scope is still running; ` +
    `see \`wdsync status ${running.runId}\`, wait for it or cancel it, or start anyway with --allow-overlap`
  );
}
