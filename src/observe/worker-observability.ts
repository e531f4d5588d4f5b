import type { WdsyncConfig } from '../config/config';
import type { Deps } from '../deps';
import { freePort } from '../devserver/ports';
import { tenantOf } from '../workday/config';
import { createLogger, temporalLogger, type WdsyncLogger } from './log';
import { createMetrics, type WdsyncMetrics } from './metrics';
import { type MetricsServer, startMetricsServer } from './metrics-server';
import { startTracing, type Tracing } from './tracing';

type Settings = WdsyncConfig['observability'];

export interface WorkerObservabilitySetup {
  log: WdsyncLogger;
  metrics?: WdsyncMetrics;
  tracing?: Tracing;
  /** Starts /metrics (when a port is set) over the worker's stores; returns its URL. */
  serveMetrics(deps: Deps): Promise<string | undefined>;
  /**
   * Stops /metrics, flushes spans and logs, and shuts the SDK runtime down: after a failed start
   * (the database down) it would otherwise keep the process alive with nothing to do.
   */
  close(): Promise<void>;
}

/**
 * What `wdsync worker` reports about itself: the JSON logger (also the SDK's), traces when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set, and Prometheus metrics when a port is set. The SDK runtime
 * is installed here, before any worker exists, since its logger and metrics are fixed at install.
 */
export async function startObservability(
  cfg: WdsyncConfig,
  settings: Settings,
  installRuntime: (opts: {
    logger: ReturnType<typeof temporalLogger>;
    metricsBindAddress?: string;
  }) => { shutdown(): Promise<void> } | undefined,
): Promise<WorkerObservabilitySetup> {
  const log = createLogger({ level: settings.logLevel });
  const sdkPort = settings.metricsPort === undefined ? undefined : await freePort();
  const sdkBind = sdkPort === undefined ? undefined : `127.0.0.1:${sdkPort}`;
  const runtime = installRuntime({ logger: temporalLogger(log), metricsBindAddress: sdkBind });
  const tracing = startTracing();
  let server: MetricsServer | undefined;
  let metrics: WdsyncMetrics | undefined;
  let deps: Deps | undefined;
  if (settings.metricsPort !== undefined) {
    metrics = createMetrics({
      tenant: tenantOf(cfg.workday),
      sinks: cfg.sinks.map((s) => s.name),
      sources: {
        stagedPages: async () => (await deps!.activities.staging.listRuns()).reduce((n, r) => n + r.pages, 0),
        runsByState: () => deps!.runsByState(),
      },
    });
  }
  return {
    log,
    metrics,
    tracing,
    async serveMetrics(d) {
      deps = d;
      if (!metrics || settings.metricsPort === undefined) return undefined;
      server = await startMetricsServer({
        registry: metrics.registry,
        host: settings.metricsHost,
        port: settings.metricsPort,
        sdkUrl: `http://${sdkBind}/metrics`,
      });
      return server.url;
    },
    async close() {
      await server?.close();
      await tracing?.shutdown();
      await runtime?.shutdown();
      log.flush();
    },
  };
}
