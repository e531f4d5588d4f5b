import os from 'node:os';
import type { Logger } from '@temporalio/common';
import {
  type ActivityInterceptorsFactory,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
} from '@temporalio/worker';
import { observingActivities } from './observe/activity-interceptor';
import { instrumentActivityDeps } from './observe/instrument';
import type { WdsyncLogger } from './observe/log';
import type { WdsyncMetrics } from './observe/metrics';
import type { Tracing } from './observe/tracing';
import { diagnoseTemporalTls, temporalConnectionOptions } from './temporal/connection';
import { dataConverterFor } from './temporal/data-converter';
import { activitiesByQueue, type ActivityDeps } from './activities';
import { failureMapping } from './activities/failures';
import { connectionOf, type WdsyncConfig } from './config/config';
import { workflowBundle } from './workflow-bundle';
import { TASK_QUEUES } from './workflows/activity-options';
import { connectionQueues } from './workflows/connection';
import { ALL_ROLES, type WorkerRole } from './worker-roles';

export { workflowBundle };

export { ALL_ROLES, type WorkerRole };

let runtimeInstalled = false;

/**
 * The SDK's runtime, once per process. Without a logger it keeps the SDK's own lines to warnings
 * on stderr so the CLI's progress output stays readable; `wdsync worker` passes its JSON logger.
 * `metricsBindAddress`: the SDK serves its own Prometheus endpoint there (merged into /metrics).
 * Returns the runtime it installed: once installed it keeps the process alive until shut down.
 */
export function installRuntime(
  opts: { logger?: Logger; metricsBindAddress?: string } = {},
): Runtime | undefined {
  if (runtimeInstalled) return undefined;
  runtimeInstalled = true;
  try {
    return Runtime.install({
      logger:
        opts.logger ??
        new DefaultLogger('WARN', (entry) => {
          // Workers are split by task queue (workflows / Workday / sinks), so each one lacks the
          // other kind by design; the SDK's notice about it is noise on every start.
          if (/^No (workflows|activities) registered/.test(entry.message)) return;
          const meta = entry.meta && Object.keys(entry.meta).length ? ` ${JSON.stringify(entry.meta)}` : '';
          process.stderr.write(
            `${new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()} [${entry.level}] ${entry.message}${meta}\n`,
          );
        }),
      telemetryOptions: {
        // With a logger of ours, the Rust core's lines go through it too, not straight to stderr.
        ...(opts.logger ? { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } } : {}),
        ...(opts.metricsBindAddress
          ? {
              metrics: {
                prometheus: {
                  bindAddress: opts.metricsBindAddress,
                  countersTotalSuffix: true,
                  unitSuffix: true,
                  useSecondsForDurations: true,
                },
              },
            }
          : {}),
      },
    });
  } catch {
    // Already installed by the embedding process (tests); keep theirs.
    return undefined;
  }
}

/** What a worker process reports about itself (src/observe): all optional, all injected. */
export interface WorkerObservability {
  log?: WdsyncLogger;
  metrics?: WdsyncMetrics;
  tracing?: Tracing;
}

/** Temporal's activity span (linked to the workflow's through headers), loaded only with tracing on. */
const tracingActivityInterceptors: ActivityInterceptorsFactory = (ctx) => {
  const otel =
    require('@temporalio/interceptors-opentelemetry') as typeof import('@temporalio/interceptors-opentelemetry');
  return {
    inbound: new otel.OpenTelemetryActivityInboundInterceptor(ctx),
    outbound: new otel.OpenTelemetryActivityOutboundInterceptor(ctx),
  };
};

function makeWorkflowExporter(
  ...args: Parameters<typeof import('@temporalio/interceptors-opentelemetry').makeWorkflowExporter>
) {
  const otel =
    require('@temporalio/interceptors-opentelemetry') as typeof import('@temporalio/interceptors-opentelemetry');
  return otel.makeWorkflowExporter(...args);
}

export interface WorkerHandle {
  /** Resolves when every worker has stopped. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Starts one worker per role on a shared connection. Workday calls get their own task queue with
 * a server-side rate limit that holds across every worker of the cluster, plus a per-process cap.
 */
/** The worker's connection, with the same TLS and API key as the CLI, and a clear error when TLS fails. */
async function connectNative(cfg: WdsyncConfig): Promise<NativeConnection> {
  const options = temporalConnectionOptions(cfg.temporal);
  try {
    return await NativeConnection.connect(options);
  } catch (err) {
    const tlsProblem = await diagnoseTemporalTls(options);
    throw new Error(
      tlsProblem ?? `cannot connect to Temporal at ${options.address}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

export async function startWorkers(opts: {
  cfg: WdsyncConfig;
  deps: ActivityDeps;
  roles?: readonly WorkerRole[];
  identity?: string;
  observe?: WorkerObservability;
}): Promise<WorkerHandle> {
  installRuntime();
  const { cfg } = opts;
  const observe = opts.observe ?? {};
  const tracing = observe.tracing;
  const deps = instrumentActivityDeps(opts.deps, observe.metrics);
  const roles = opts.roles ?? ALL_ROLES;
  const connection = await connectNative(cfg);
  const activities = activitiesByQueue(deps);
  const identity = opts.identity ?? `wdsync@${os.hostname()}:${process.pid}`;
  const common = {
    connection,
    namespace: cfg.temporal.namespace,
    identity,
    interceptors: {
      // Outermost first: Temporal's span, then wdsync's context (inside the span), then the
      // mapping of errors to typed failures.
      activity: [
        ...(tracing ? [tracingActivityInterceptors] : []),
        observingActivities({ log: observe.log, metrics: observe.metrics }),
        failureMapping,
      ],
    },
    ...(tracing
      ? { sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) } }
      : {}),
    dataConverter: dataConverterFor(cfg),
  };
  // Workday and sink work of this worker's connection only (src/workflows/connection.ts).
  const queues = connectionQueues(connectionOf(cfg));
  const workers: Worker[] = [];
  if (roles.includes('workflows')) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: TASK_QUEUES.workflows,
        workflowBundle: await workflowBundle({
          traced: tracing !== undefined,
          failureConverterPath: common.dataConverter?.failureConverterPath,
        }),
      }),
    );
  }
  if (roles.includes('workday')) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: queues.workday,
        activities: activities.workday,
        maxConcurrentActivityTaskExecutions: cfg.limits.workdayConcurrencyPerWorker,
        maxTaskQueueActivitiesPerSecond: cfg.limits.workdayRequestsPerSecond,
      }),
    );
  }
  if (roles.includes('sinks')) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: queues.sinks,
        activities: activities.sinks,
        maxConcurrentActivityTaskExecutions: cfg.limits.sinkConcurrencyPerWorker,
      }),
    );
  }
  const done = Promise.all(workers.map((w) => w.run())).then(async () => {
    await connection.close();
  });
  return {
    done,
    shutdown: async () => {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done;
    },
  };
}
