import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WdsyncConfig } from '../config/config';
import { buildDeps } from '../deps';
import { startDevServer, waitForTemporal } from '../devserver/dev-server';
import { freePort, isListening } from '../devserver/ports';
import { STATE_DIR } from '../devserver/temporal-binary';
import { PRIVATE_FILE_MODE, mkdirPrivate } from '../paths/private';
import { startSync } from '../runs/start';
import { waitForRun } from '../runs/status';
import { startSimulator } from '../simulator';
import { Secret } from '../workday/config';
import { startWorkers } from '../worker';
import type { RunProgress, RunSummary } from '../workflows/types';
import { connectClient } from '../cli/temporal';

export interface DemoOptions {
  workers: number;
  pageSize: number;
  concurrency: number;
  temporalPort?: number;
  uiPort?: number;
}

export interface DemoResult {
  summary: RunSummary;
  /** The run's page in the Web UI, when a UI answers. */
  uiUrl?: string;
  /** Live rows in the sink table afterwards. */
  rows: number;
  database: string;
  temporal: Awaited<ReturnType<typeof ensureTemporal>>;
}

/**
 * `npm start`: the whole product on one machine with nothing configured. Uses the Temporal server
 * at TEMPORAL_ADDRESS if one answers, otherwise starts a dev server that stays up afterwards so
 * the run can be inspected in the Web UI. Workday is the simulator; the sink is the embedded
 * database unless DATABASE_URL says otherwise.
 */
export async function runDemo(
  baseCfg: WdsyncConfig,
  o: DemoOptions,
  hooks: { say(message: string): void; progress(p: RunProgress): void; done(): void },
): Promise<DemoResult> {
  const { say } = hooks;
  const temporal = await ensureTemporal(baseCfg, say, o);
  // The simulated dataset is anchored on the simulator's clock start, so the demo pins it
  // once (in .wdsync/) and every later demo sees the same tenant: a rerun, even on
  // another day, skips unchanged records instead of rewriting everyone.
  const clockStart = demoClockStart();
  const sim = await startSimulator({ port: 0, workers: o.workers, seed: 42, clockStart });
  say(`Simulated Workday tenant "${sim.credentials.tenant}" with ${o.workers} workers at ${sim.endpoint}`);
  const cfg: WdsyncConfig = {
    ...baseCfg,
    temporal: { ...baseCfg.temporal, address: temporal.address },
    workday: {
      ...baseCfg.workday,
      endpoint: sim.endpoint,
      username: sim.credentials.username,
      password: new Secret(sim.credentials.password),
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
    const summary = await waitForRun(handle, hooks.progress).finally(hooks.done);
    const uiUrl = temporal.uiUrl
      ? `${temporal.uiUrl}/namespaces/${cfg.temporal.namespace}/workflows/${encodeURIComponent(runId)}`
      : undefined;
    return {
      summary,
      uiUrl,
      rows: await deps.countWorkerRows(),
      database: deps.describeDatabase(),
      temporal,
    };
  } finally {
    await workers.shutdown();
    await deps.close();
    await sim.close();
  }
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
