import { type Client, ScheduleAlreadyRunning, ScheduleNotFoundError } from '@temporalio/client';
import { connectionOf, type WdsyncConfig } from '../config/config';
import { TASK_QUEUES } from '../workflows/activity-options';
import type { stagingRetention } from '../workflows/staging-retention';
import { scheduleIdFor } from './schedules';

/** One per connection (each has its own staging): every worker of it keeps the same schedule. */
export const STAGING_RETENTION_SCHEDULE = 'wdsync-staging-retention';

/** The retention schedule's id for the configured connection (`<connection>-…` for a named one). */
export const stagingRetentionScheduleId = (cfg: Pick<WdsyncConfig, 'connection'>) =>
  scheduleIdFor(cfg, STAGING_RETENTION_SCHEDULE);
/** Often enough that pages outlive their retention by at most this; cheap when nothing expired. */
const EVERY = '1h';

type Outcome = 'created' | 'updated' | 'removed' | 'off';

/**
 * Makes the namespace's staging-retention Schedule match the config: created when missing,
 * updated when the retention changed, deleted when retention is 0. Idempotent, so each worker
 * calls it at start; two workers starting together settle on the same schedule.
 */
export async function ensureStagingRetention(client: Client, cfg: WdsyncConfig): Promise<Outcome> {
  const days = cfg.staging.retentionDays;
  const id = stagingRetentionScheduleId(cfg);
  const handle = client.schedule.getHandle(id);
  if (days === 0) {
    try {
      await handle.delete();
      return 'removed';
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return 'off';
      throw err;
    }
  }
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'stagingRetention',
    taskQueue: TASK_QUEUES.workflows,
    workflowId: id,
    args: [{ olderThanDays: days, connection: connectionOf(cfg) }] as Parameters<typeof stagingRetention>,
    staticSummary: `wdsync staging retention of connection ${cfg.connection}: delete staged pages older than ${days} days`,
  };
  try {
    await client.schedule.create({
      scheduleId: id,
      spec: { intervals: [{ every: EVERY }] },
      action,
      policies: { overlap: 'SKIP' },
      state: { note: 'kept by wdsync worker (staging.retentionDays)' },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await handle.update((prev) => ({ ...prev, spec: { intervals: [{ every: EVERY }] }, action }));
  return 'updated';
}
