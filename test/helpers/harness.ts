import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ConfigSchema, type WdsyncConfig } from '../../src/config/config';
import { buildDeps, type Deps } from '../../src/deps';
import { type DevServer, type DevServerOptions, startDevServer } from '../../src/devserver/dev-server';
import { startSimulator } from '../../src/simulator';
import { startWorkers, type WorkerHandle } from '../../src/worker';
import { openDb } from '../../src/db/open';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'wdsync.cjs');
export const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type Simulator = Awaited<ReturnType<typeof startSimulator>>;

const workerOutputs = new WeakMap<ChildProcess, () => string>();
/** What a worker started by `spawnWorker` printed so far (stdout and stderr). */
export const workerOutput = (child: ChildProcess): string => workerOutputs.get(child)?.() ?? '';

/**
 * A run's result, failing at once (with the worker's output) if `worker` exits first, and after
 * `ms` at the latest: a run whose only worker died would otherwise wait out the file's timeout.
 */
export async function resultWhileAlive<T>(
  result: Promise<T>,
  worker: ChildProcess,
  ms = 240_000,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const died = new Promise<never>((_, reject) => {
    const fail = (why: string) =>
      reject(new Error(`${why}; its output ends:\n${workerOutput(worker).slice(-6000)}`));
    if (worker.exitCode !== null || worker.signalCode !== null) fail('the worker had already exited');
    worker.once('exit', (code, signal) =>
      fail(`the worker exited (code ${code}, signal ${signal}) before the run ended`),
    );
    timer = setTimeout(() => fail(`the run did not end within ${ms / 1000} s`), ms);
  });
  // The test kills the worker after the run: that later rejection is nobody's business.
  died.catch(() => {});
  try {
    return await Promise.race([result, died]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Everything a real end-to-end test needs: a Temporal dev server (real process), the Workday
 * simulator, a private PostgreSQL schema and a JSONL directory. Workers are started separately so
 * crash tests can run them as child processes instead.
 */
export interface Harness {
  server: DevServer;
  sim: Simulator;
  cfg: WdsyncConfig;
  client: Client;
  schema: string;
  dir: string;
  startInProcessWorkers(): Promise<{ workers: WorkerHandle; deps: Deps }>;
  /** Stops the Temporal server and starts it again on the same port and database file. */
  restartServer(downMs?: number): Promise<void>;
  /** The environment a `wdsync` process needs to act on this harness. */
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /**
   * Starts `wdsync worker [opts.args]` as a real child process (killed on close); `onOutput` sees
   * all it prints.
   */
  spawnWorker(
    extra?: Record<string, string>,
    opts?: { args?: string[]; onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void },
  ): Promise<ChildProcess>;
  /**
   * SIGTERM, then waits for the process to exit (SIGKILL after `graceMs`): a worker left draining
   * would take the next test's tasks from the shared queues.
   */
  stopWorker(child: ChildProcess, graceMs?: number): Promise<void>;
  /** Every worker process still running, stopped as stopWorker does: after a test that failed. */
  stopWorkers(): Promise<void>;
  /** Runs the CLI to completion. */
  cli(
    args: string[],
    extra?: Record<string, string>,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

export async function createHarness(opts: {
  workers: number;
  simulator?: Record<string, unknown>;
  config?: Record<string, unknown>;
  dbFile?: string;
  serverOptions?: Partial<DevServerOptions>;
}): Promise<Harness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wdsync-test-'));
  let server = await startDevServer({
    headless: true,
    dbFile: opts.dbFile,
    logFile: path.join(dir, 'temporal.log'),
    ...opts.serverOptions,
  });
  const sim = await startSimulator({ port: 0, workers: opts.workers, seed: 7, ...(opts.simulator ?? {}) });
  const schema = `t_${randomBytes(4).toString('hex')}`;
  const cfg = ConfigSchema.parse({
    workday: {
      endpoint: sim.endpoint,
      username: sim.credentials.username,
      password: sim.credentials.password,
    },
    temporal: { address: server.address, namespace: 'default' },
    database: { url: PG_URL, schema },
    staging: { kind: 'fs', dir: path.join(dir, 'staging') },
    sinks: [
      { name: 'postgres', type: 'postgres', schema },
      { name: 'files', type: 'jsonl', dir: path.join(dir, 'jsonl') },
    ],
    limits: { workdayRequestsPerSecond: 200, workdayConcurrencyPerWorker: 16, sinkConcurrencyPerWorker: 16 },
    defaults: {},
    notify: {},
    ...(opts.config ?? {}),
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const started: { workers: WorkerHandle; deps: Deps }[] = [];
  const children: ChildProcess[] = [];
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    ...process.env,
    WORKDAY_ENDPOINT: cfg.workday.endpoint,
    WORKDAY_USERNAME: cfg.workday.username,
    WORKDAY_PASSWORD: cfg.workday.password?.reveal(),
    TEMPORAL_ADDRESS: server.address,
    DATABASE_URL: PG_URL,
    WDSYNC_DB_SCHEMA: schema,
    WDSYNC_STAGING: 'fs',
    WDSYNC_STAGING_DIR: cfg.staging.dir,
    WDSYNC_SINKS: `postgres,files=jsonl:${path.join(dir, 'jsonl')}`,
    WDSYNC_WORKDAY_RPS: String(cfg.limits.workdayRequestsPerSecond),
    WDSYNC_WORKDAY_CONCURRENCY: String(cfg.limits.workdayConcurrencyPerWorker),
    ...(cfg.notify.webhookUrl ? { WDSYNC_WEBHOOK_URL: cfg.notify.webhookUrl } : {}),
    ...extra,
  });
  return {
    get server() {
      return server;
    },
    set server(s: DevServer) {
      server = s;
    },
    sim,
    cfg,
    client,
    schema,
    dir,
    async startInProcessWorkers() {
      const deps = await buildDeps(cfg);
      const workers = await startWorkers({ cfg, deps: deps.activities });
      const h = { workers, deps };
      started.push(h);
      return h;
    },
    env,
    async restartServer(downMs = 2000) {
      if (!opts.dbFile) throw new Error('restartServer needs a harness created with dbFile');
      const port = Number(server.address.split(':')[1]);
      await server.stop();
      await new Promise((r) => setTimeout(r, downMs));
      server = await startDevServer({
        headless: true,
        port,
        dbFile: opts.dbFile,
        logFile: path.join(dir, 'temporal.log'),
      });
    },
    async spawnWorker(extra = {}, opts = {}) {
      const child = spawn(process.execPath, [BIN, 'worker', ...(opts.args ?? [])], {
        env: env(extra),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      if (opts.onOutput) {
        child.stdout!.on('data', (d) => opts.onOutput!(String(d), 'stdout'));
        child.stderr!.on('data', (d) => opts.onOutput!(String(d), 'stderr'));
      }
      let out = '';
      const log = path.join(dir, `worker-${child.pid}.log`);
      const keep = (d: Buffer) => {
        out += d;
        appendFileSync(log, d);
      };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      workerOutputs.set(child, () => out);
      // A worker that dies by itself (not killed by the test, not its own crash-point SIGKILL)
      // would otherwise leave a run waiting for ever with no clue; say why in the test output.
      child.once('exit', (code, signal) => {
        if (
          (code !== null && code !== 0) ||
          (signal !== null && signal !== 'SIGTERM' && signal !== 'SIGKILL')
        )
          console.error(
            `wdsync worker ${child.pid} exited (code ${code}, signal ${signal}); its output ends:\n${out.slice(-6000)}`,
          );
      });
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`worker did not start: ${out}`)), 60_000);
        child.stdout!.on('data', () => {
          if (out.includes('worker running')) {
            clearTimeout(t);
            resolve();
          }
        });
        child.once('exit', (code) => {
          clearTimeout(t);
          reject(new Error(`worker exited with ${code}: ${out}`));
        });
      });
      return child;
    },
    async stopWorker(child, graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async stopWorkers() {
      await Promise.all(
        children.map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise<void>((r) => child.once('exit', () => r()));
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(timer);
        }),
      );
    },
    cli(args, extra = {}) {
      return new Promise((resolve) => {
        const child = spawn(process.execPath, [BIN, ...args], {
          env: env(extra),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        // A command that never ends (say, a run no worker serves) fails its test in minutes,
        // with what it printed, instead of holding the whole file until its timeout.
        const timer = setTimeout(() => {
          stderr += `\n[harness] wdsync ${args.join(' ')} still running after 300 s: killed`;
          child.kill('SIGKILL');
        }, 300_000);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve({ code: code ?? 1, stdout, stderr });
        });
      });
    },
    async close() {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      for (const h of started) {
        await h.workers.shutdown().catch(() => {});
        await h.deps.close().catch(() => {});
      }
      await connection.close();
      await sim.close();
      await server.stop();
      const db = await openDb(PG_URL);
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Rows of <schema>.workers as a map wid → record. */
export async function sinkRows(
  schema: string,
): Promise<Map<string, { record: Record<string, unknown>; removed: boolean }>> {
  const db = await openDb(PG_URL);
  try {
    const r = await db.query<{ wid: string; record: Record<string, unknown>; removed_at: Date | null }>(
      `SELECT wid, record, removed_at FROM "${schema}".workers`,
    );
    return new Map(r.rows.map((row) => [row.wid, { record: row.record, removed: row.removed_at !== null }]));
  } finally {
    await db.close();
  }
}
