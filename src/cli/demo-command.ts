import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { WdsyncConfig } from '../config/config';
import { buildDeps } from '../deps';
import { startDevServer, waitForTemporal } from '../devserver/dev-server';
import { freePort, isListening } from '../devserver/ports';
import { STATE_DIR } from '../devserver/temporal-binary';
import { PRIVATE_FILE_MODE, mkdirPrivate } from '../paths/private';
import { startWorkers } from '../worker';
import { startSync } from '../runs/start';
import { waitForRun } from '../runs/status';
import { startSimulator } from '../simulator';
import { action } from './action';
import { intArg } from './errors';
import { createProgressRenderer, formatSummary, summaryJson } from './progress';
import { connectClient } from './temporal';

/**
 * `npm start`: the whole product on one machine with nothing configured. Uses the Temporal server
 * at TEMPORAL_ADDRESS if one answers, otherwise starts a dev server that stays up afterwards so
 * the run can be inspected in the Web UI. Workday is the simulator; the sink is the embedded
 * database unless DATABASE_URL says otherwise.
 */
export function registerDemoCommand(program: Command) {
  program
    .command('demo')
    .description(
      'run a full sync end to end: dev server, simulator, worker, embedded database (what `npm start` runs)',
    )
    .option('--workers <n>', 'workers in the simulated tenant', intArg('--workers', 1, 2_000_000), 20_000)
    .option('--page-size <n>', 'workers per page', intArg('--page-size', 1, 999), 500)
    .option('--concurrency <c>', 'pages in flight', intArg('--concurrency', 1, 64), 4)
    .option(
      '--temporal-port <port>',
      'port of the Temporal server to use, or of the dev server to start (default: TEMPORAL_ADDRESS or 7233)',
      intArg('--temporal-port', 1, 65535),
    )
    .option(
      '--ui-port <port>',
      'Web UI port of a dev server the demo starts (default 8233, or a free port if taken)',
      intArg('--ui-port', 1, 65535),
    )
    .option('--json', 'print one JSON object as the last line')
    .action(
      action(
        async (
          baseCfg,
          o: {
            workers: number;
            pageSize: number;
            concurrency: number;
            temporalPort?: number;
            uiPort?: number;
            json?: boolean;
          },
        ) => {
          const say = (m: string) => process.stderr.write(`${m}\n`);
          const temporal = await ensureTemporal(baseCfg, say, o);
          // The simulated dataset is anchored on the simulator's clock start, so the demo pins it
          // once (in .wdsync/) and every later demo sees the same tenant: a rerun, even on
          // another day, skips unchanged records instead of rewriting everyone.
          const clockStart = demoClockStart();
          const sim = await startSimulator({ port: 0, workers: o.workers, seed: 42, clockStart });
          say(
            `Simulated Workday tenant "${sim.credentials.tenant}" with ${o.workers} workers at ${sim.endpoint}`,
          );
          const cfg: WdsyncConfig = {
            ...baseCfg,
            temporal: { ...baseCfg.temporal, address: temporal.address },
            workday: {
              ...baseCfg.workday,
              endpoint: sim.endpoint,
              username: sim.credentials.username,
              password: sim.credentials.password,
            },
            // The demo's own rate limit: generous, the simulator is local.
            limits: { ...baseCfg.limits, workdayRequestsPerSecond: 100 },
          };
          const deps = await buildDeps(cfg);
          const workers = await startWorkers({ cfg, deps: deps.activities });
          try {
            const client = await connectClient(cfg);
            const { runId, handle } = await startSync(client, cfg, {
              pageSize: o.pageSize,
              concurrency: o.concurrency,
            });
            say(`Started run ${runId}`);
            const r = createProgressRenderer();
            const summary = await waitForRun(handle, (p) => r.update(p)).finally(() => r.stop());
            const uiUrl = temporal.uiUrl
              ? `${temporal.uiUrl}/namespaces/${cfg.temporal.namespace}/workflows/${encodeURIComponent(runId)}`
              : undefined;
            const rows = await deps.countWorkerRows();
            if (o.json) {
              console.log(
                JSON.stringify({
                  ...summaryJson(summary),
                  webUi: uiUrl,
                  database: deps.describeDatabase(),
                  rows,
                  temporal: {
                    address: temporal.address,
                    startedDevServer: temporal.started,
                    ...(temporal.started ? { pid: temporal.pid } : {}),
                  },
                }),
              );
            } else {
              console.log(formatSummary(summary));
              if (uiUrl) console.log(`\nWeb UI:    ${uiUrl}`);
              console.log(
                `Data:      ${rows} rows in ${cfg.database.schema}.workers of ${deps.describeDatabase()}`,
              );
              if (temporal.started) {
                console.log(
                  `Temporal:  dev server left running at ${temporal.address} (state in ${temporal.dbFile}); stop it with: kill ${temporal.pid}`,
                );
              }
              console.log('Run `npm start` again: unchanged records are skipped.');
            }
            if (summary.status !== 'COMPLETED') process.exitCode = 2;
          } finally {
            await workers.shutdown();
            await deps.close();
            await sim.close();
          }
        },
      ),
    );
}

/** The demo simulator's clock start: read from .wdsync/demo.json, or pinned there on first use. */
export function demoClockStart(stateDir = STATE_DIR): string {
  const file = path.join(stateDir, 'demo.json');
  if (existsSync(file)) {
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { clockStart?: unknown };
      if (typeof saved.clockStart === 'string' && !Number.isNaN(Date.parse(saved.clockStart)))
        return saved.clockStart;
    } catch {
      // Unreadable: pin a new one below.
    }
  }
  const clockStart = new Date().toISOString();
  mkdirPrivate(stateDir);
  writeFileSync(file, `${JSON.stringify({ clockStart }, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
  return clockStart;
}

async function ensureTemporal(
  cfg: WdsyncConfig,
  say: (m: string) => void,
  o: { temporalPort?: number; uiPort?: number },
) {
  const [configuredHost, portText] = cfg.temporal.address.split(':');
  const host = o.temporalPort ? '127.0.0.1' : configuredHost!;
  const port = o.temporalPort ?? Number(portText);
  const address = `${host}:${port}`;
  if (await isListening(host, port)) {
    await waitForTemporal(address, 10_000);
    const uiPort = o.uiPort ?? port + 1000;
    const ui = (await isListening(host, uiPort)) ? `http://${host}:${uiPort}` : undefined;
    return { address, uiUrl: ui, started: false as const };
  }
  if (process.env.TEMPORAL_ADDRESS && !o.temporalPort) {
    throw new Error(
      `cannot reach Temporal at ${cfg.temporal.address} (TEMPORAL_ADDRESS); start it or unset TEMPORAL_ADDRESS`,
    );
  }
  const dbFile = path.join(STATE_DIR, 'temporal.db');
  const uiPort = o.uiPort ?? ((await isListening('127.0.0.1', 8233)) ? await freePort() : 8233);
  say('Starting a Temporal dev server (first run installs the Temporal CLI into .wdsync/) ...');
  const server = await startDevServer({
    port,
    uiPort,
    dbFile,
    detached: true,
    logFile: path.join(STATE_DIR, 'temporal.log'),
  });
  return {
    address: server.address,
    uiUrl: server.uiUrl,
    started: true as const,
    dbFile,
    pid: server.process.pid,
  };
}
