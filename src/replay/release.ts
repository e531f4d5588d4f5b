import type { Client, WorkflowHandle } from '@temporalio/client';
import { connectionOf, type WdsyncConfig } from '../config/config';
import { selectSinks } from '../sinks/names';
import { TASK_QUEUES } from '../workflows/activity-options';
import { releaseWorkflowId, runIdProblem } from '../workflows/ids';
import { ErrorType, TypedError } from '../errors/types';
import type { releaseDeadLetters } from '../workflows/release-dead-letters';
import type { ReleaseInput } from '../workflows/release-types';
import type { ReleaseOutcome } from '../workflows/release-types';
import { RUN_ID } from '../workflows/search-attributes';
import { withStores } from '../deps';
import { newReplayId } from './start';

export interface ReleaseOptions {
  ids?: number[];
  runId?: string;
  sinks?: string[];
  /** Re-using the id of a running release attaches to it. */
  releaseId?: string;
  tuning?: ReleaseInput['tuning'];
}

/** Starts a dead-letter release workflow (id `release-<releaseId>`) on the workflows task queue. */
export async function startRelease(
  client: Client,
  cfg: WdsyncConfig,
  opts: ReleaseOptions,
): Promise<{ releaseId: string; workflowId: string; handle: WorkflowHandle<typeof releaseDeadLetters> }> {
  selectSinks(
    cfg.sinks.map((s) => s.name),
    opts.sinks,
  );
  const badRelease = opts.releaseId === undefined ? undefined : runIdProblem(opts.releaseId, 'release id');
  if (badRelease) throw new TypedError(ErrorType.InvalidRunId, badRelease);
  const releaseId = opts.releaseId ?? newReplayId();
  const workflowId = releaseWorkflowId(releaseId);
  const what = opts.ids?.length
    ? `dead letters ${opts.ids.join(', ')}`
    : `open dead letters of ${opts.runId}`;
  const handle = await client.workflow.start<typeof releaseDeadLetters>('releaseDeadLetters', {
    taskQueue: TASK_QUEUES.workflows,
    workflowId,
    args: [
      {
        releaseId,
        ids: opts.ids?.length ? opts.ids : undefined,
        runId: opts.runId,
        sinks: opts.sinks?.length ? opts.sinks : undefined,
        tuning: opts.tuning,
        connection: connectionOf(cfg),
      },
    ],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    ...(opts.runId ? { typedSearchAttributes: [{ key: RUN_ID, value: opts.runId }] } : {}),
    staticSummary: `wdsync dead-letter release: ${what}`,
  });
  return { releaseId, workflowId, handle };
}

/**
 * A still-invalid letter's reason quotes field values, so the release workflow leaves it in the
 * audit store (where planRelease wrote the new one); it is read back here for the operator.
 */
export async function withStillInvalidReasons(
  cfg: WdsyncConfig,
  outcomes: ReleaseOutcome[],
): Promise<ReleaseOutcome[]> {
  if (!outcomes.some((o) => o.result === 'still-invalid')) return outcomes;
  return withStores(cfg, async ({ audit }) => {
    const out: ReleaseOutcome[] = [];
    for (const o of outcomes) {
      out.push(
        o.result === 'still-invalid' ? { ...o, reason: (await audit.getDeadLetter(o.id))?.reason } : o,
      );
    }
    return out;
  });
}
