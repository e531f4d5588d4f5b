import { selectSinks } from '../sinks/names';
import { randomBytes } from 'node:crypto';
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import { scopeKey } from '../activities/scope-key';
import { connectionOf, type WdsyncConfig } from '../config/config';
import { lookaheadMs } from '../time/lookahead';
import { tenantOf } from '../workday/config';
import { TASK_QUEUES } from '../workflows/activity-options';
import { runIdProblem } from '../workflows/ids';
import { CONNECTION, MODE, RUN_ID, STATE, TENANT } from '../workflows/search-attributes';
import { connectionKey } from '../workflows/connection';
import type { syncRun } from '../workflows/sync-run';
import type { SyncRunInput } from '../workflows/types';
import { findOverlappingRun, overlapMessage, SCOPE_MEMO } from './overlap';

/** What `wdsync start` may set of a run's input; the rest comes from the configuration. */
export type StartOptions = Partial<
  Pick<
    SyncRunInput,
    | 'runId'
    | 'mode'
    | 'pageSize'
    | 'concurrency'
    | 'backlog'
    | 'sinks'
    | 'asOf'
    | 'scope'
    | 'window'
    | 'fullIfNoWatermark'
    | 'reconcile'
    | 'terminationLookaheadMs'
    | 'pagesPerExecution'
    | 'maxConsecutiveFailures'
    | 'recovery'
    | 'tuning'
  >
>;

/** Run ids sort by start time and say what they are: sync-acme-20261122-013005-3f9a. */
export function newRunId(tenant: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `sync-${tenant}-${stamp}-${randomBytes(2).toString('hex')}`;
}

export function buildRunInput(cfg: WdsyncConfig, opts: StartOptions): SyncRunInput & { runId: string } {
  const sinks = selectSinks(
    cfg.sinks.map((s) => s.name),
    opts.sinks,
  );
  const tenant = tenantOf(cfg.workday);
  const runId = opts.runId ?? newRunId(tenant);
  // The tenant is part of generated ids, so they are checked too.
  const problem = runIdProblem(runId);
  if (problem) throw new Error(problem);
  const configured = cfg.defaults.terminationLookahead;
  const lookahead = opts.terminationLookaheadMs ?? (configured ? lookaheadMs(configured) : undefined);
  if (opts.reconcile && opts.mode === 'delta')
    throw new Error('a reconcile is a full run: drop --mode delta (or --reconcile)');
  return {
    runId,
    mode: opts.mode ?? 'full',
    tenant,
    connection: connectionOf(cfg),
    pageSize: opts.pageSize ?? cfg.defaults.pageSize,
    concurrency: opts.concurrency ?? cfg.defaults.concurrency,
    backlog: opts.backlog ?? cfg.defaults.backlog,
    sinks,
    asOf: opts.asOf,
    timezone: cfg.workday.timezone,
    scope: opts.scope,
    window: opts.window,
    fullIfNoWatermark: opts.fullIfNoWatermark,
    ...(opts.reconcile ? { reconcile: true } : {}),
    ...(lookahead ? { terminationLookaheadMs: lookahead } : {}),
    pagesPerExecution: opts.pagesPerExecution,
    maxConsecutiveFailures: opts.maxConsecutiveFailures,
    recovery: opts.recovery,
    deadLetterThreshold: cfg.notify.deadLetterThreshold,
    tuning: opts.tuning,
  };
}

/** How every run is started: its id, queue, id policies, scope memo and search attributes. */
export function runStartOptions(input: SyncRunInput & { runId: string }) {
  return {
    taskQueue: TASK_QUEUES.workflows,
    workflowId: input.runId,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    // A finished run id is never reused: its staging and sink ledgers belong to that run.
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    memo: { [SCOPE_MEMO]: scopeKey(input.scope) },
    typedSearchAttributes: [
      { key: RUN_ID, value: input.runId },
      { key: MODE, value: input.mode },
      { key: TENANT, value: input.tenant },
      ...connectionAttribute(input),
      { key: STATE, value: 'Running' },
    ],
    staticSummary: `wdsync ${input.reconcile ? 'reconcile' : input.mode} sync of ${connectionLine(input)} (page size ${input.pageSize}, concurrency ${input.concurrency})`,
    staticDetails: `Workday: ${connectionLine(input)}\nSinks: ${input.sinks.join(', ')}`,
  } satisfies WorkflowStartOptions<typeof syncRun>;
}

/** Runs of one connection are found by WdsyncConnection (`wdsync runs --tenant`). */
export const connectionAttribute = (input: Pick<SyncRunInput, 'connection'>) =>
  input.connection ? [{ key: CONNECTION, value: connectionKey(input.connection) }] : [];

/** The pinned connection as the Web UI shows it: name, tenant, host and version. */
const connectionLine = (input: Pick<SyncRunInput, 'connection' | 'tenant'>) =>
  input.connection
    ? `${input.connection.tenant} at ${input.connection.host} ${input.connection.version} (connection ${input.connection.name})`
    : input.tenant;

export class OverlapError extends Error {
  override name = 'OverlapError';
}

/**
 * Starts a sync run, or attaches to the one already running under the same id, so re-running a
 * command after a lost terminal never starts a second run. With `refuseOverlap` (what
 * `wdsync start` does unless --allow-overlap), a run of the same tenant and scope already running
 * under another id makes it throw OverlapError instead: two overlapping snapshots of one
 * population cost Workday twice and buy nothing.
 */
export async function startSync(
  client: Client,
  cfg: WdsyncConfig,
  opts: StartOptions,
  policy: { refuseOverlap?: boolean } = {},
): Promise<{ runId: string; handle: WorkflowHandle<typeof syncRun>; attached: boolean }> {
  const input = buildRunInput(cfg, opts);
  const attached = await isRunning(client, input.runId);
  const scope = scopeKey(input.scope);
  if (policy.refuseOverlap && !attached) {
    const running = await findOverlappingRun(client, {
      tenant: input.tenant,
      scopeKey: scope,
      runId: input.runId,
      connection: input.connection && connectionKey(input.connection),
    });
    if (running) throw new OverlapError(overlapMessage(running, input.tenant));
  }
  try {
    const handle = await client.workflow.start<typeof syncRun>('syncRun', runStartOptions(input));
    return { runId: input.runId, handle, attached };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new Error(
        `run ${input.runId} already finished; pick another --run-id or replay it with \`wdsync replay\``,
      );
    }
    throw err;
  }
}

async function isRunning(client: Client, runId: string): Promise<boolean> {
  try {
    const d = await client.workflow.getHandle(runId).describe();
    return d.status.name === 'RUNNING';
  } catch {
    return false;
  }
}
