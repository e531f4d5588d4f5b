import { type ActivityOptions, proxyActivities } from '@temporalio/workflow';
import type { BookkeepingActivities, SinkActivities, WorkdayActivities } from '../activities';
import {
  bookkeepingActivityOptions,
  sinkActivityOptions,
  tuned,
  workdayActivityOptions,
} from './activity-options';
import type { ActivityTuning } from './types';

/*
 * The only place workflows build activity proxies. Each proxy is typed with its own group's
 * activities and bound to that group's task queue, so calling a sink activity on the Workday
 * queue (where no worker registers it) does not type-check.
 */

type Retry = NonNullable<ActivityOptions['retry']>;
const withRetry = (base: ActivityOptions, retry?: Partial<Retry>): ActivityOptions =>
  retry ? { ...base, retry: { ...base.retry, ...retry } } : base;

/** Workday → staging, on the rate-limited Workday queue. */
export const workdayActivities = (tuning?: ActivityTuning) =>
  proxyActivities<WorkdayActivities>(tuned(workdayActivityOptions, 'workday', tuning));

/** Staging → sinks, on the sinks queue. */
export const sinkActivities = (tuning?: ActivityTuning) =>
  proxyActivities<SinkActivities>(tuned(sinkActivityOptions, 'sink', tuning));

/** Run records, watermarks, notifications, replay and release planning. */
export const bookkeepingActivities = (retry?: Partial<Retry>) =>
  proxyActivities<BookkeepingActivities>(withRetry(bookkeepingActivityOptions, retry));

/**
 * Bookkeeping with a sink-style tuned policy: replay and release planning historically ran with
 * the sink options (a run's tuning shortens them in tests); same queue, same group.
 */
export const tunedBookkeepingActivities = (tuning?: ActivityTuning, retry?: Partial<Retry>) =>
  proxyActivities<BookkeepingActivities>(withRetry(tuned(sinkActivityOptions, 'sink', tuning), retry));

export type WorkdayProxy = ReturnType<typeof workdayActivities>;
export type SinkProxy = ReturnType<typeof sinkActivities>;
export type BookkeepingProxy = ReturnType<typeof bookkeepingActivities>;
