import type { syncRun } from '../../src/workflows/sync-run';
import type { WorkflowHandle } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { activitiesByQueue } from '../../src/activities';
import type { ActivityDeps } from '../../src/activities/ports';
import { failureMapping } from '../../src/activities/failures';
import { findTemporalBinary } from '../../src/devserver/temporal-binary';
import { workflowBundle } from '../../src/worker';
import { TASK_QUEUES } from '../../src/workflows/activity-options';
import { connectionQueues, type WorkdayConnectionId } from '../../src/workflows/connection';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import type { SyncRunInput } from '../../src/workflows/types';

/*
 * Fast workflow tests: the real workflows and activities on a local Temporal server started by
 * @temporalio/testing, over in-memory ports (test/helpers/fake-ports.ts). The time-skipping test
 * server would be downloaded from temporal.download, which this machine cannot reach, so the
 * environment is createLocal on the project's own Temporal CLI (the one `wdsync dev` runs), and
 * tests keep their timers short instead of skipping them.
 */

export interface WorkflowEnv {
  env: TestWorkflowEnvironment;
  /**
   * Runs fn with workers for every task queue, the activities built over the ports' deps; then
   * unblocks held calls so the workers can stop.
   */
  withWorkers<T>(
    ports: {
      deps: ActivityDeps;
      unblock?: () => void;
      /** Poll this connection's queues instead of those of deps.connection (a misrouted worker). */
      queuesOf?: WorkdayConnectionId;
    },
    fn: () => Promise<T>,
  ): Promise<T>;
  close(): Promise<void>;
}

export async function createWorkflowEnv(): Promise<WorkflowEnv> {
  // The tests fail activities on purpose; the SDK logs each one. Errors only.
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Installed already by this process.
  }
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: findTemporalBinary({ install: true }) },
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      log: { format: 'pretty', level: 'error' },
    },
  });
  const bundle = await workflowBundle();
  return {
    env,
    async withWorkers({ deps, unblock, queuesOf }, fn) {
      const activities = activitiesByQueue(deps);
      const queues = connectionQueues(queuesOf ?? deps.connection);
      const common = {
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        interceptors: { activity: [failureMapping] },
        // Activities a test left held are cancelled at shutdown instead of waited for.
        shutdownGraceTime: 1000,
      };
      const workers = [
        await Worker.create({ ...common, taskQueue: TASK_QUEUES.workflows, workflowBundle: bundle }),
        await Worker.create({ ...common, taskQueue: queues.workday, activities: activities.workday }),
        await Worker.create({ ...common, taskQueue: queues.sinks, activities: activities.sinks }),
      ];
      const running = workers.map((w) => w.run());
      try {
        return await fn();
      } finally {
        unblock?.();
        for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
        await Promise.allSettled(running);
      }
    },
    close: () => env.teardown(),
  };
}

const ASOF = { entryMoment: '2026-11-01T08:00:00.000Z', effectiveDate: '2026-11-01' };

/** A small run over the fake ports: 10 workers a page, one page at a time, quick retries. */
export function runInput(runId: string, over: Partial<SyncRunInput> = {}): SyncRunInput {
  return {
    runId,
    mode: 'full',
    tenant: 'acme',
    pageSize: 10,
    concurrency: 1,
    sinks: ['memory'],
    asOf: ASOF,
    recovery: { passes: 1, cooldownSeconds: 1 },
    tuning: {
      workdayInitialIntervalMs: 50,
      workdayMaximumAttempts: 1,
      sinkInitialIntervalMs: 50,
      sinkMaximumAttempts: 2,
    },
    ...over,
  };
}

/** A fresh run id for a test, so runs of one file never attach to each other. */
export const newRunId = (label: string) => `${label}-${randomBytes(3).toString('hex')}`;

/** Starts syncRun on the environment's workflows queue, under its own run id. */
export const startSyncRun = (w: WorkflowEnv, input: SyncRunInput): Promise<WorkflowHandle<typeof syncRun>> =>
  w.env.client.workflow.start<typeof syncRun>('syncRun', {
    taskQueue: TASK_QUEUES.workflows,
    workflowId: input.runId!,
    args: [input],
  });
