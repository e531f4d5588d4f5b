import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ConfigSchema } from '../config/config';
import type { Db } from '../db/types';
import { startSync } from '../runs/start';
import { waitForRun } from '../runs/status';
import type { RequestLogEntry, StatsSnapshot } from '../simulator/stats';
import type { RunSummary } from '../workflows/types';
import { type BenchLatency, DEPLOYED_WORKER, simulatorArgs } from './options';
import { type CliProcess, cpuMsOf, startCli } from './procs';

/**
 * Scenario 10 (issue 17, item 5): scale-out. The same full run served by one `wdsync worker`
 * process, then by two, where each process's Workday activity slots
 * (`limits.workdayConcurrencyPerWorker`, the worker's maxConcurrentActivityTaskExecutions on the
 * Workday queue) are the binding limit: two processes' slots are fewer than the run's C, and the
 * simulator's latency makes a page I/O bound, so a second process should nearly halve the time.
 * Both runs are then held to the limits that must not scale with processes, from the simulator's
 * own stats: requests in flight ≤ C, and the request rate ≤ the cluster-wide
 * `limits.workdayRequestsPerSecond` (a Temporal task-queue rate limit, shared by every worker).
 */

export interface ScaleParams {
  workers: number;
  pageSize: number;
  /** The run's C. */
  concurrency: number;
  /** Workday activity slots per worker process; 2 × this ≤ C, so the processes' slots bind. */
  perWorkerConcurrency: number;
  /** Cluster-wide Workday requests per second, as configured. */
  requestsPerSecond: number;
  latency: BenchLatency;
}

/**
 * 240 pages of 10 workers, each ~3 s to serve (3 s before the first byte, 0-0.2 s jitter, 1 ms
 * per worker), 4 slots per process: the run is 60 rounds of Workday waits for one process and 30
 * for two, while a page costs the processes (worker, Temporal) a few tens of ms of CPU, so even a
 * machine shared with other jobs stays I/O bound (pages of 100 at 1.2 s were CPU bound at a load
 * average of 30 on 2 cores). Many rounds, because a run also has a fixed part that a second
 * process does not shorten (the count request, planning, finalize: about 15 s here). C = 16, not
 * 8: a run's C counts a page until its sinks have it, so at C = 8 the pages being delivered would
 * take slots from Workday and C, not the processes, would bind. Two processes ask for under
 * 3 requests/s against a configured 100/s.
 */
export const SCALE: ScaleParams = {
  workers: 2400,
  pageSize: 10,
  concurrency: 16,
  perWorkerConcurrency: 4,
  requestsPerSecond: 100,
  latency: { baseMs: 3000, perWorkerMs: 1, jitterMs: 200, slowTailRate: 0, slowTailMs: 0 },
};

/** --quick: 20 pages at 0.5 s, so CI keeps the harness working in well under a minute. */
export const SCALE_QUICK: ScaleParams = {
  ...SCALE,
  workers: 200,
  latency: { ...SCALE.latency, baseMs: 500 },
};

export interface ScaleRun {
  processes: number;
  runId: string;
  status: string;
  wallMs: number;
  workers: number;
  pages: number;
  delivered: number;
  requests: number;
  /** Most Get_Workers requests the simulator had in flight at once. */
  maxInFlight: number;
  /** Most requests received in any one-second window (sliding, from the request log). */
  maxRequestsInAnySecond: number;
  /** requests / wall time. */
  meanRequestsPerSec: number;
  serveMs: number;
  /** serveMs / wallMs: Workday requests in flight on average. */
  meanInFlight: number;
  /** CPU used during the run (ms): the worker processes together, the simulator, Temporal. */
  cpuMs: { workers: number; simulator: number; temporal: number };
}

export interface ScaleResult extends ScaleParams {
  one: ScaleRun;
  two: ScaleRun;
  /** one.wallMs / two.wallMs. */
  speedup: number;
  /** Both runs: maxInFlight ≤ C. */
  concurrencyHeld: boolean;
  /** Both runs: maxInFlight ≤ processes × perWorkerConcurrency (the slots held across processes). */
  slotsHeld: boolean;
  /** Both runs: maxRequestsInAnySecond ≤ requestsPerSecond. */
  rateHeld: boolean;
}

export interface ScaleContext {
  temporalAddress: string;
  /** The Temporal server's process, whose CPU is reported beside the workers'. */
  temporalPid?: number;
  databaseUrl: string;
  db: Db;
  /** A folder of the bench's temp dir, removed with it. */
  dir: string;
  /** Schema name prefix, unique to this bench run; its schemas are dropped at the end. */
  schemaPrefix: string;
  seed: number;
  /** Environment for child processes (nothing of the caller's wdsync settings). */
  env: (extra?: Record<string, string>) => NodeJS.ProcessEnv;
  say: (m: string) => void;
}

/** The largest number of moments that fall in one window [t, t + windowMs). */
export function maxInWindow(moments: number[], windowMs: number): number {
  const t = [...moments].sort((a, b) => a - b);
  let best = 0;
  let from = 0;
  for (let i = 0; i < t.length; i++) {
    while (t[i]! - t[from]! >= windowMs) from++;
    best = Math.max(best, i - from + 1);
  }
  return best;
}

export async function runScale(ctx: ScaleContext, p: ScaleParams): Promise<ScaleResult> {
  const stops: (() => Promise<unknown>)[] = [];
  const schemas = {
    state: `${ctx.schemaPrefix}_scale`,
    one: `${ctx.schemaPrefix}_scale1`,
    two: `${ctx.schemaPrefix}_scale2`,
  };
  try {
    const sim = await startCli({
      args: simulatorArgs({
        workers: p.workers,
        seed: ctx.seed,
        latency: p.latency,
        // Every request of a run, for the rate check.
        requestLogSize: Math.ceil(p.workers / p.pageSize) * 4 + 100,
      }),
      env: ctx.env(),
      ready: /endpoint\s+(\S+)/,
      timeoutMs: 120_000,
    });
    stops.push(() => sim.stop());
    const endpoint = sim.match[1]!;
    const admin = async <T>(method: 'GET' | 'POST', route: string): Promise<T> => {
      const res = await fetch(`${new URL(endpoint).origin}/__admin/${route}`, { method });
      if (!res.ok) throw new Error(`simulator admin ${method} ${route}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };

    mkdirSync(ctx.dir, { recursive: true });
    const configObject = {
      workday: { endpoint, username: 'isu_wdsync@acme', password: 'wdsync' },
      temporal: { address: ctx.temporalAddress, namespace: 'default' },
      database: { url: ctx.databaseUrl, schema: schemas.state },
      staging: { kind: 'fs', dir: path.join(ctx.dir, 'staging') },
      // A fresh table per run, so the second run writes as much as the first.
      sinks: [
        { name: 'one', type: 'postgres', schema: schemas.one },
        { name: 'two', type: 'postgres', schema: schemas.two },
      ],
      limits: {
        workdayRequestsPerSecond: p.requestsPerSecond,
        workdayConcurrencyPerWorker: p.perWorkerConcurrency,
        sinkConcurrencyPerWorker: 16,
      },
      defaults: { pageSize: p.pageSize, concurrency: p.concurrency },
      notify: {},
    };
    const cfg = ConfigSchema.parse(configObject);
    const cfgFile = path.join(ctx.dir, 'wdsync.scale.json');
    writeFileSync(cfgFile, JSON.stringify(configObject, null, 2));

    const connection = await Connection.connect({ address: ctx.temporalAddress });
    stops.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });

    const workers: CliProcess[] = [];
    const addWorker = async () => {
      const w = await startCli({
        args: ['worker'],
        env: ctx.env({ WDSYNC_CONFIG: cfgFile, ...DEPLOYED_WORKER.env }),
        ready: /worker running/,
        nodeArgs: [...DEPLOYED_WORKER.nodeOptions],
        timeoutMs: 180_000,
      });
      stops.push(() => w.stop(60_000));
      workers.push(w);
    };

    const run = async (sink: 'one' | 'two'): Promise<ScaleRun> => {
      await admin('POST', 'reset-stats');
      const cpu = () => ({
        workers: workers.reduce((sum, w) => sum + cpuMsOf(w.pid), 0),
        simulator: cpuMsOf(sim.pid),
        temporal: cpuMsOf(ctx.temporalPid),
      });
      const cpu0 = cpu();
      const t0 = performance.now();
      const { runId, handle } = await startSync(client, cfg, { sinks: [sink] });
      let said = 0;
      const died = new Promise<never>((_, reject) => {
        for (const w of workers)
          w.child.once('exit', (code, sig) =>
            reject(new Error(`a worker process exited (${code ?? sig}):\n${w.output().slice(-4000)}`)),
          );
      });
      died.catch(() => {});
      const summary: RunSummary = await Promise.race([
        waitForRun(handle, (pr) => {
          if (!pr.pagesTotal || performance.now() - said < 10_000) return;
          said = performance.now();
          ctx.say(`  ${workers.length} process(es): ${pr.pagesDone}/${pr.pagesTotal} pages`);
        }),
        died,
      ]);
      const wallMs = performance.now() - t0;
      const cpu1 = cpu();
      const s = await admin<StatsSnapshot>('GET', 'stats');
      const log = await admin<RequestLogEntry[]>('GET', 'requests');
      const moments = log.map((e) => Date.parse(e.receivedAt));
      const t = summary.perSink[sink];
      return {
        processes: workers.length,
        runId,
        status: summary.status,
        wallMs,
        workers: summary.workersFetched,
        pages: summary.pagesTotal,
        delivered: (t?.inserted ?? 0) + (t?.updated ?? 0) + (t?.unchanged ?? 0),
        requests: s.requests,
        maxInFlight: s.maxInFlight,
        maxRequestsInAnySecond: maxInWindow(moments, 1000),
        meanRequestsPerSec: (s.requests / wallMs) * 1000,
        serveMs: s.serveMs,
        meanInFlight: s.serveMs / wallMs,
        cpuMs: {
          workers: cpu1.workers - cpu0.workers,
          simulator: cpu1.simulator - cpu0.simulator,
          temporal: cpu1.temporal - cpu0.temporal,
        },
      };
    };

    const pages = Math.ceil(p.workers / p.pageSize);
    ctx.say(
      `Scenario 10: scale-out, ${pages} pages at C=${p.concurrency} with ${p.perWorkerConcurrency} Workday slots per worker process: one process ...`,
    );
    await addWorker();
    const one = await run('one');
    ctx.say('  ... and two processes');
    await addWorker();
    const two = await run('two');
    const runs = [one, two];
    return {
      ...p,
      one,
      two,
      speedup: one.wallMs / two.wallMs,
      concurrencyHeld: runs.every((r) => r.maxInFlight <= p.concurrency),
      slotsHeld: runs.every((r) => r.maxInFlight <= r.processes * p.perWorkerConcurrency),
      rateHeld: runs.every((r) => r.maxRequestsInAnySecond <= p.requestsPerSecond),
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    for (const s of Object.values(schemas)) await ctx.db.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  }
}
