import type { Client } from '@temporalio/client';
import { scopeKey } from '../activities/scope-key';
import { DEFAULT_CONNECTION, type WdsyncConfig } from '../config/config';
import { TASK_QUEUES } from '../workflows/activity-options';
import { runIdProblem, scheduledWorkflowId } from '../workflows/ids';
import { MODE, STATE, TENANT } from '../workflows/search-attributes';
import type { syncRun } from '../workflows/sync-run';
import { SCOPE_MEMO } from './overlap';
import { buildRunInput, connectionAttribute, type StartOptions } from './start';

export interface ScheduleOptions extends Omit<StartOptions, 'runId' | 'asOf'> {
  name: string;
  every?: string;
  cron?: string;
  overlap?: 'SKIP' | 'BUFFER_ONE';
  catchupWindow?: string;
  pauseOnFailure?: boolean;
}

/** Temporal appends `-<RFC 3339 time>` (21 characters) to the action's workflow id. */
const SCHEDULED_SUFFIX = '-2006-01-02T15:04:05Z';

/**
 * Why a schedule name cannot be used, or undefined. Its runs' ids are `wdsync-<name>-<time>`, and
 * run ids become file names, so they must pass the run id rule whole.
 */
export function scheduleNameProblem(name: string): string | undefined {
  const base = runIdProblem(name, 'schedule name');
  if (base) return base;
  if (runIdProblem(`wdsync-${name}${SCHEDULED_SUFFIX}`)) {
    return `schedule name "${name}" is too long: at most ${128 - 'wdsync-'.length - SCHEDULED_SUFFIX.length} characters, since its runs are named wdsync-<name>-<time>`;
  }
  return undefined;
}

/** Memo key of a schedule: the connection whose runs it starts (`schedule list` shows only its own). */
export const SCHEDULE_CONNECTION_MEMO = 'wdsyncConnection';

/**
 * The schedule id of `name` for the configured connection: the name itself for the default
 * connection, `<connection>-<name>` for a named one, so a tenant and its sandbox can each have a
 * schedule "nightly".
 */
export function scheduleIdFor(cfg: Pick<WdsyncConfig, 'connection'>, name: string): string {
  return cfg.connection === DEFAULT_CONNECTION ? name : `${cfg.connection}-${name}`;
}

/** Whether a listed schedule belongs to the configured connection (schedules without the memo: the default). */
export function isScheduleOf(
  cfg: Pick<WdsyncConfig, 'connection'>,
  memo: Record<string, unknown> | undefined,
) {
  return (memo?.[SCHEDULE_CONNECTION_MEMO] ?? DEFAULT_CONNECTION) === cfg.connection;
}

/**
 * A Temporal Schedule that starts syncRun. Each scheduled run's id is Temporal's
 * `wdsync-<name>-<timestamp>`, which syncRun uses as its run id, so scheduled runs carry the same
 * search attributes and show up in the Web UI and `wdsync runs` like CLI-started ones.
 */
export async function createSchedule(client: Client, cfg: WdsyncConfig, o: ScheduleOptions) {
  if (!o.every === !o.cron) throw new Error('give exactly one of --every or --cron');
  const scheduleId = scheduleIdFor(cfg, o.name);
  const problem = scheduleNameProblem(scheduleId);
  if (problem) throw new Error(problem);
  const { runId: _fixed, ...input } = buildRunInput(cfg, o);
  return client.schedule.create({
    scheduleId,
    memo: { [SCHEDULE_CONNECTION_MEMO]: cfg.connection },
    spec: o.every ? { intervals: [{ every: o.every as `${number}m` }] } : { cronExpressions: [o.cron!] },
    action: {
      type: 'startWorkflow',
      workflowType: 'syncRun',
      taskQueue: TASK_QUEUES.workflows,
      workflowId: scheduledWorkflowId(scheduleId),
      args: [input] as Parameters<typeof syncRun>,
      // Lets `wdsync start` see a scheduled run of the same scope (the schedule's own overlap
      // policy governs its runs among themselves).
      memo: { [SCOPE_MEMO]: scopeKey(input.scope) },
      typedSearchAttributes: [
        { key: MODE, value: input.mode },
        { key: TENANT, value: input.tenant },
        ...connectionAttribute(input),
        { key: STATE, value: 'Running' },
      ],
      staticSummary: `wdsync scheduled ${input.reconcile ? 'reconcile' : input.mode} sync "${o.name}" of ${input.tenant}`,
    },
    policies: {
      overlap: o.overlap ?? 'SKIP',
      catchupWindow: (o.catchupWindow ?? '1h') as `${number}h`,
      pauseOnFailure: o.pauseOnFailure ?? true,
    },
    state: { note: `created by wdsync schedule create` },
  });
}
