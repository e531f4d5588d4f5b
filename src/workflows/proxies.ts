import { type ActivityInterfaceFor, type ActivityOptions, proxyActivities } from '@temporalio/workflow';
import type { BookkeepingActivities, SinkActivities, WorkdayActivities } from '../activities';
import {
  bookkeepingActivityOptions,
  sinkActivityOptions,
  tuned,
  workdayActivityOptions,
} from './activity-options';
import { connectionQueues, type WorkdayConnectionId } from './connection';
import type { ActivityTuning } from './types';

/*
 * The only place workflows build activity proxies. Each proxy is typed with its own group's
 * activities and bound to that group's task queue, so calling a sink activity on the Workday
 * queue (where no worker registers it) does not type-check.
 */

type Retry = NonNullable<ActivityOptions['retry']>;
const withRetry = (base: ActivityOptions, retry?: Partial<Retry>): ActivityOptions =>
  retry ? { ...base, retry: { ...base.retry, ...retry } } : base;

// biome-ignore lint/suspicious/noExplicitAny: any activity group
type Group = Record<string, (input: any) => Promise<unknown>>;

/**
 * A group's proxy on the connection's own queue, each call's input carrying the connection, so
 * the worker that takes the task can check it serves that connection (src/activities/index.ts).
 * Without a connection (histories from before runs were bound): the old shared queues, inputs as
 * they were.
 */
function onConnection<T extends Group>(
  options: ActivityOptions,
  queue: 'workday' | 'sinks',
  connection: WorkdayConnectionId | undefined,
): ActivityInterfaceFor<T> {
  const proxy = proxyActivities<T>({ ...options, taskQueue: connectionQueues(connection)[queue] });
  if (!connection) return proxy;
  return new Proxy(proxy, {
    get: (target, name) => {
      const call = Reflect.get(target, name) as ((input: object) => Promise<unknown>) | undefined;
      return typeof call === 'function' ? (input: object) => call({ ...input, connection }) : call;
    },
  });
}

/** Workday → staging, on the connection's rate-limited Workday queue. */
export const workdayActivities = (tuning?: ActivityTuning, connection?: WorkdayConnectionId) =>
  onConnection<WorkdayActivities>(tuned(workdayActivityOptions, 'workday', tuning), 'workday', connection);

/** Staging → sinks, on the connection's sinks queue. */
export const sinkActivities = (tuning?: ActivityTuning, connection?: WorkdayConnectionId) =>
  onConnection<SinkActivities>(tuned(sinkActivityOptions, 'sink', tuning), 'sinks', connection);

/** Run records, watermarks, notifications, replay and release planning (the connection's state store). */
export const bookkeepingActivities = (connection?: WorkdayConnectionId, retry?: Partial<Retry>) =>
  onConnection<BookkeepingActivities>(withRetry(bookkeepingActivityOptions, retry), 'sinks', connection);

/**
 * Bookkeeping with a sink-style tuned policy: replay and release planning historically ran with
 * the sink options (a run's tuning shortens them in tests); same queue, same group.
 */
export const tunedBookkeepingActivities = (
  tuning?: ActivityTuning,
  connection?: WorkdayConnectionId,
  retry?: Partial<Retry>,
) =>
  onConnection<BookkeepingActivities>(
    withRetry(tuned(sinkActivityOptions, 'sink', tuning), retry),
    'sinks',
    connection,
  );

export type WorkdayProxy = ReturnType<typeof workdayActivities>;
export type SinkProxy = ReturnType<typeof sinkActivities>;
export type BookkeepingProxy = ReturnType<typeof bookkeepingActivities>;
