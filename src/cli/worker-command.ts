import { type Command, Option } from 'commander';
import { ALL_ROLES, type WorkerRole } from '../worker-roles';
import { action } from './action';
import { intArg } from './errors';

export function registerWorkerCommand(program: Command) {
  program
    .command('worker')
    .description(
      'run a wdsync worker (workflows, Workday fetches and sink deliveries) for one Workday connection (--tenant NAME); start more to scale out',
    )
    .addOption(
      new Option('--roles <roles...>', 'run only these roles (e.g. a Workday-only worker host)')
        .choices([...ALL_ROLES])
        .default([...ALL_ROLES]),
    )
    .addOption(
      new Option(
        '--metrics-port <port>',
        'serve Prometheus metrics (wdsync and Temporal SDK) at http://<WDSYNC_METRICS_HOST>:<port>/metrics (or WDSYNC_METRICS_PORT)',
      ).argParser(intArg('--metrics-port', 1, 65535)),
    )
    .addOption(
      new Option(
        '--log-level <level>',
        'JSON log lines at this level and above (or WDSYNC_LOG_LEVEL; default info)',
      ).choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace']),
    )
    .addHelpText(
      'after',
      '\nLogs are JSON lines on stdout. Traces go out over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set.',
    )
    .action(
      action(async (cfg, o: { roles: WorkerRole[]; metricsPort?: number; logLevel?: string }) => {
        const { connectionOf }: typeof import('../config/config') = require('../config/config');
        const { buildDeps, stagingCipher }: typeof import('../deps') = require('../deps');
        const {
          connectionKey,
        }: typeof import('../workflows/connection') = require('../workflows/connection');
        const { installRuntime, startWorkers }: typeof import('../worker') = require('../worker');
        const { connectClient }: typeof import('./temporal') = require('./temporal');
        const {
          ensureStagingRetention,
          stagingRetentionScheduleId,
        }: typeof import('../runs/staging-retention') = require('../runs/staging-retention');
        const {
          startObservability,
        }: typeof import('../observe/worker-observability') = require('../observe/worker-observability');
        const settings = {
          ...cfg.observability,
          ...(o.metricsPort !== undefined ? { metricsPort: o.metricsPort } : {}),
          ...(o.logLevel ? { logLevel: o.logLevel as typeof cfg.observability.logLevel } : {}),
        };
        // Local settings first (the key file), then Temporal: each fails fast with a clear line,
        // before anything is built.
        const cipher = stagingCipher(cfg);
        const client = await connectClient(cfg);
        let retention: Awaited<ReturnType<typeof ensureStagingRetention>> | undefined;
        try {
          // The workers that run workflows keep the connection's staging-retention Schedule.
          if (o.roles.includes('workflows')) retention = await ensureStagingRetention(client, cfg);
        } finally {
          await client.connection.close();
        }
        const observe = await startObservability(cfg, settings, installRuntime);
        if (retention === 'created' || retention === 'updated')
          observe.log.info(
            { schedule: stagingRetentionScheduleId(cfg), retentionDays: cfg.staging.retentionDays },
            `staging retention: pages staged more than ${cfg.staging.retentionDays} days ago are deleted hourly`,
          );
        let deps: Awaited<ReturnType<typeof buildDeps>> | undefined;
        try {
          deps = await buildDeps(cfg, { cipher, log: (m) => observe.log.warn(m) });
          const metricsUrl = await observe.serveMetrics(deps);
          const handle = await startWorkers({ cfg, deps: deps.activities, roles: o.roles, observe });
          const connection = connectionKey(connectionOf(cfg));
          observe.log.info(
            {
              roles: o.roles,
              connection,
              temporal: cfg.temporal.address,
              namespace: cfg.temporal.namespace,
              metricsUrl,
            },
            `wdsync worker running (${o.roles.join(', ')}) for Workday connection ${connection} against ${cfg.temporal.address}, namespace ${cfg.temporal.namespace}; Ctrl+C to stop`,
          );
          await handle.done;
        } finally {
          await deps?.close().catch(() => {});
          await observe.close();
        }
      }),
    );
}
