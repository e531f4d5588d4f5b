import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DEFAULT_CONNECTION } from '../config/config';
import { TASK_QUEUES } from '../workflows/activity-options';
import { connectionQueues, type WorkdayConnectionId } from '../workflows/connection';

const { TaskQueueType, TaskQueueKind } = temporal.api.enums.v1;

interface Queue {
  name: string;
  type: (typeof TaskQueueType)[keyof typeof TaskQueueType];
  role: 'workflows' | 'workday' | 'sinks';
}

/** Each queue a run of the connection needs, with the kind of poller that serves it. */
function queuesOf(connection: WorkdayConnectionId | undefined): Queue[] {
  const own = connectionQueues(connection);
  return [
    { name: TASK_QUEUES.workflows, type: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, role: 'workflows' },
    { name: own.workday, type: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY, role: 'workday' },
    { name: own.sinks, type: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY, role: 'sinks' },
  ];
}

/** The queues no worker polls, as Temporal's DescribeTaskQueue tells (pollers seen lately). */
export async function queuesWithoutPollers(
  client: Client,
  connection?: WorkdayConnectionId,
): Promise<Queue[]> {
  const missing: Queue[] = [];
  for (const q of queuesOf(connection)) {
    const r = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: q.name, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: q.type,
    });
    if (!r.pollers?.length) missing.push(q);
  }
  return missing;
}

export function noPollerMessage(
  missing: Queue[],
  address: string,
  namespace: string,
  connection?: WorkdayConnectionId,
): string {
  const queues = missing.map((q) => q.name).join(', ');
  const roles =
    missing.length === queuesOf(connection).length
      ? ''
      : ` (or one with --roles ${missing.map((q) => q.role).join(' ')})`;
  const tenant = connection && connection.name !== DEFAULT_CONNECTION ? ` --tenant ${connection.name}` : '';
  const forWhom = connection
    ? `, configured for Workday connection ${connection.name} (tenant ${connection.tenant} at ${connection.host})`
    : '';
  return (
    `no worker is polling task queue${missing.length > 1 ? 's' : ''} ${queues}, so the run waits: ` +
    `start \`wdsync worker${tenant}\`${roles} against Temporal ${address}, namespace ${namespace}${forWhom}`
  );
}

/**
 * Says once, through `say`, when the queues of a run have no worker, and again if they lose it
 * later; an absence is confirmed twice a few seconds apart, so a worker still starting up is not
 * reported. Returns a stop function.
 */
export function watchPollers(
  client: Client,
  say: (line: string) => void,
  o: {
    address: string;
    namespace: string;
    connection?: WorkdayConnectionId;
    intervalMs?: number;
    confirmMs?: number;
  },
): () => void {
  let stopped = false;
  let reported = false;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());
  void (async () => {
    while (!stopped) {
      try {
        let missing = await queuesWithoutPollers(client, o.connection);
        if (missing.length) {
          await sleep(o.confirmMs ?? 2000);
          if (stopped) return;
          missing = await queuesWithoutPollers(client, o.connection);
        }
        if (missing.length && !reported && !stopped)
          say(noPollerMessage(missing, o.address, o.namespace, o.connection));
        reported = missing.length > 0;
      } catch {
        // Visibility is advice here; the wait itself reports a lost Temporal.
      }
      await sleep(o.intervalMs ?? 10_000);
    }
  })();
  return () => {
    stopped = true;
  };
}
