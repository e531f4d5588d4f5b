import type { ActivityOptions } from '@temporalio/workflow';
import type { ActivityTuning } from './types';

/**
 * Task queues. Workflows share one queue (their code touches neither Workday nor a sink). Workday
 * calls and sink writes run on queues of the run's connection (connectionQueues in
 * ./connection.ts), so only workers configured for that connection take them, and one
 * server-side rate limit (maxTaskQueueActivitiesPerSecond) protects each tenant across every
 * worker process. `workday` and `sinks` here are the shared queues of runs started before runs
 * were bound to a connection.
 */
export const TASK_QUEUES = {
  workflows: 'wdsync',
  workday: 'wdsync-workday',
  sinks: 'wdsync-sinks',
} as const;

/**
 * Workday fetches: a 999-worker page can take minutes on a slow tenant, so the attempt timeout is
 * generous while the heartbeat timeout notices a dead worker within a minute. Auth, validation and
 * config faults are thrown non-retryable by the activity; throttles carry their own nextRetryDelay.
 */
export const workdayActivityOptions: ActivityOptions = {
  taskQueue: TASK_QUEUES.workday,
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '20 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    maximumAttempts: 6,
  },
};

export const sinkActivityOptions: ActivityOptions = {
  taskQueue: TASK_QUEUES.sinks,
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '20 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 8,
  },
};

/**
 * Bookkeeping (audit rows, run records): cheap, retried while the database is away, but not for
 * ever: 12 attempts span about three and a half minutes of an outage, then the run fails with the database's
 * own error instead of hanging silently. Refused data is non-retryable (see failures.ts).
 * Served on the sinks queue, whose workers hold the state store.
 */
export const bookkeepingActivityOptions: ActivityOptions = {
  taskQueue: TASK_QUEUES.sinks,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 12 },
};

/** Applies a run's tuning on top of the defaults. */
export function tuned(
  base: ActivityOptions,
  kind: 'workday' | 'sink',
  t: ActivityTuning | undefined,
): ActivityOptions {
  if (!t) return base;
  const initial = kind === 'workday' ? t.workdayInitialIntervalMs : t.sinkInitialIntervalMs;
  const attempts = kind === 'workday' ? t.workdayMaximumAttempts : t.sinkMaximumAttempts;
  return {
    ...base,
    heartbeatTimeout: t.heartbeatTimeoutMs ?? base.heartbeatTimeout,
    retry: {
      ...base.retry,
      ...(initial !== undefined
        ? { initialInterval: initial, maximumInterval: Math.max(initial * 8, 1000) }
        : {}),
      // 0 would mean unlimited to Temporal: every activity keeps a bound.
      ...(attempts !== undefined && attempts >= 1 ? { maximumAttempts: attempts } : {}),
    },
  };
}
