import { type Client, ScheduleAlreadyRunning, ScheduleNotFoundError } from '@temporalio/client';
import type { WdsyncConfig } from '../config/config';
import { TASK_QUEUES } from '../workflows/activity-options';
import type { stagingRetention } from '../workflows/staging-retention';

/** One per namespace: every worker of a deployment keeps the same schedule. */
export const STAGING_RETENTION_SCHEDULE = 'wdsync-staging-retention';
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
  const handle = client.schedule.getHandle(STAGING_RETENTION_SCHEDULE);
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
    workflowId: STAGING_RETENTION_SCHEDULE,
    args: [{ olderThanDays: days }] as Parameters<typeof stagingRetention>,
    staticSummary: `wdsync staging retention: delete staged pages older than ${days} days`,
  };
  try {
    await client.schedule.create({
      scheduleId: STAGING_RETENTION_SCHEDULE,
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
