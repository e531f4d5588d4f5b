import { selectSinks } from '../sinks/names';
import { randomBytes } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { connectionOf, type WdsyncConfig } from '../config/config';
import { TASK_QUEUES } from '../workflows/activity-options';
import { replayIdProblem, replayWorkflowId, runIdProblem } from '../workflows/ids';
import type { replayRun } from '../workflows/replay-run';
import type { ReplayInput, ReplayTarget } from '../workflows/replay-types';
import type { ActivityTuning, PageRequestSpec, SyncRunInput } from '../workflows/types';
import { RUN_ID } from '../workflows/search-attributes';

export interface ReplayOptions {
  runId: string;
  target: ReplayTarget;
  sinks?: string[];
  refetch?: boolean;
  /** Re-using the id of a running replay attaches to it. */
  replayId?: string;
  concurrency?: number;
  tuning?: ActivityTuning;
}

/** Replay ids sort by start time: 20261122-013005-3f9a. */
export function newReplayId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${randomBytes(2).toString('hex')}`;
}

/** Starts a replay workflow (id `<runId>/replay-<replayId>`) on the workflows task queue. */
export async function startReplay(
  client: Client,
  cfg: WdsyncConfig,
  opts: ReplayOptions,
): Promise<{ replayId: string; workflowId: string; handle: WorkflowHandle<typeof replayRun> }> {
  selectSinks(
    cfg.sinks.map((s) => s.name),
    opts.sinks,
  );
  const replayId = opts.replayId ?? newReplayId();
  const problem = runIdProblem(opts.runId) ?? replayIdProblem(replayId, 'replay id');
  if (problem) throw new Error(problem);
  const input: ReplayInput = {
    replayId,
    runId: opts.runId,
    target: opts.target,
    sinks: opts.sinks?.length ? opts.sinks : undefined,
    refetch: Boolean(opts.refetch),
    concurrency: opts.concurrency,
    tuning: opts.tuning,
    historySpec: await specFromHistory(client, opts.runId),
    connection: connectionOf(cfg),
  };
  const workflowId = replayWorkflowId(opts.runId, replayId);
  const what =
    'pages' in opts.target
      ? `pages ${opts.target.pages.join(', ')}`
      : 'failed' in opts.target
        ? 'failed pages'
        : `workers ${opts.target.workerIds.join(', ')}`;
  const handle = await client.workflow.start<typeof replayRun>('replayRun', {
    taskQueue: TASK_QUEUES.workflows,
    workflowId,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    typedSearchAttributes: [{ key: RUN_ID, value: opts.runId }],
    staticSummary: `wdsync replay of ${opts.runId}: ${what}${opts.refetch ? ' (refetch)' : ''}`,
  });
  return { replayId, workflowId, handle };
}

/**
 * The syncRun's own start input, from the first event of its Temporal history (one event, not the
 * whole history): the fallback for runs older than run_specs. Undefined when the history is gone.
 */
async function specFromHistory(client: Client, runId: string): Promise<PageRequestSpec | undefined> {
  try {
    const res = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId: runId },
      maximumPageSize: 1,
    });
    const started = res.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
    const payload = started?.input?.payloads?.[0];
    if (!payload) return undefined;
    const input = defaultPayloadConverter.fromPayload(payload) as SyncRunInput | undefined;
    if (!input?.pageSize) return undefined;
    return {
      runId,
      tenant: input.tenant,
      pageSize: input.pageSize,
      asOf: input.carry?.asOf ?? input.asOf ?? { entryMoment: '', effectiveDate: '' },
      scope: input.scope,
      window: input.window,
    };
  } catch {
    return undefined;
  }
}
