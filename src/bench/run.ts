import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ConfigSchema, type WdsyncConfig } from '../config/config';
import { openDb } from '../db/open';
import type { Db } from '../db/types';
import { startDevServer } from '../devserver/dev-server';
import { startSync } from '../runs/start';
import { waitForRun } from '../runs/status';
import { startBroker } from '../kafka/broker';
import { createPostgresSink } from '../sinks/postgres';
import { stagingCipher } from '../deps';
import { createFsStaging } from '../staging/fs';
import { createWorkdayClient, parseWorkdayConfig } from '../workday';
import type { StatsSnapshot } from '../simulator/stats';
import type { ActivityTuning, RunSummary } from '../workflows/types';
import type { AsOf } from '../domain/as-of';
import { DEFAULT_BACKLOG } from '../workflows/page-slots';
import { type BaselineResult, runBaseline } from './baseline';
import { type BenchOptions, DEPLOYED_WORKER, JEMALLOC, type Scenario, simulatorArgs } from './options';
import { compareParsers, type ParseComparison, soapParserFromUrl } from './parse';
import { type CliProcess, cpuMsOf, memOf, resetPeak, sampleRss, startCli } from './procs';
import { sameRows, slowSink } from './slow-sink';
import { compareStartup } from './startup';

/** What the bench reads of the simulator's admin API stats. */
type SimStats = Pick<
  StatsSnapshot,
  | 'requests'
  | 'maxInFlight'
  | 'byOutcome'
  | 'faultsInjected'
  | 'faultsByType'
  | 'workersSent'
  | 'bytesSent'
  | 'serveMs'
  | 'clientStallMs'
  | 'inFlightMs'
>;

/** How long Workday's C slots were all busy, one short (a page between its end and the next start), or more than one short. */
export interface SlotTime {
  fullMs: number;
  oneShortMs: number;
  fewerMs: number;
}

export function slotTime(inFlightMs: number[], concurrency: number): SlotTime {
  const t: SlotTime = { fullMs: 0, oneShortMs: 0, fewerMs: 0 };
  inFlightMs.forEach((ms, level) => {
    if (level >= concurrency) t.fullMs += ms;
    else if (level === concurrency - 1) t.oneShortMs += ms;
    else t.fewerMs += ms;
  });
  return t;
}

export interface WdsyncRunResult {
  runId: string;
  status: string;
  wallMs: number;
  workers: number;
  pages: number;
  workersPerSec: number;
  /** Simulator's own serving time of the run's requests, summed (ms). */
  serveMs: number;
  clientStallMs: number;
  /** serveMs / concurrency: no client at this concurrency can finish sooner. */
  idealMs: number;
  ratioToIdeal: number;
  requests: number;
  maxInFlight: number;
  /** From the run's start to its end as the simulator saw it (ramp-up and tail in `fewerMs`). */
  slots: SlotTime;
  bytes: number;
  perSink: { inserted: number; updated: number; unchanged: number };
  /** Every sink of the run (scenario 8 runs two). */
  allSinks?: Record<string, { inserted: number; updated: number; unchanged: number }>;
  pagesFailed: number;
  /** CPU used during the run by each process (ms): what bounds the run when wall ≈ CPU. */
  cpuMs: { worker: number; simulator: number; temporal: number; bench: number };
  faultsInjected: number;
  faultsByType: Record<string, number>;
}

export interface BenchResults {
  benchmark: 'wdsync';
  version: string;
  at: string;
  command: string;
  complete: boolean;
  machine: {
    cpus: number;
    cpuModel: string;
    memGb: number;
    node: string;
    platform: string;
    loadAvgStart: number[];
    loadAvgEnd: number[];
  };
  params: {
    workers: number;
    pageSize: number;
    concurrency: number;
    workerProcesses: number;
    pages: number;
    latency: BenchOptions['latency'];
    faultRate: number;
    churn: number;
    quick: boolean;
    scenarios: Scenario[];
    database: string;
  };
  scenarios: Partial<Record<Scenario, Record<string, unknown>>>;
  targets: { scenario: Scenario; name: string; value: number; target: string; met: boolean }[];
  durationMs: number;
  errors: string[];
  /** The worker's CPU profile (--profile), for chrome://inspect or speedscope. */
  profile?: string;
}

const PERCENT = (x: number) => Math.round(x * 1000) / 10;

/** Env for child processes: nothing from the caller's wdsync/Workday/Temporal settings leaks in. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = new Set(['WDSYNC_TEMPORAL_BIN', 'WDSYNC_HOME', 'WDSYNC_DEBUG']);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(WORKDAY_|TEMPORAL_|WDSYNC_)/.test(k) && !keep.has(k)) continue;
    if (k === 'DATABASE_URL' || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

function redact(url: string) {
  return url.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
}

/**
 * Runs the selected scenarios against one dev server, one simulator process (one dataset) and one
 * worker process, in this order: parse, wdsync (+rss), batch, pool, faults, sink (its churn goes
 * last because it changes the dataset). Everything it creates is removed at the end.
 */
export async function runBench(o: BenchOptions, say: (m: string) => void): Promise<BenchResults> {
  const started = performance.now();
  const scenarios: BenchResults['scenarios'] = {};
  const errors: string[] = [];
  const has = (s: Scenario) => o.scenarios.includes(s);
  const tag = randomBytes(3).toString('hex');
  const schemas = {
    sync: `bench_${tag}_sync`,
    faults: `bench_${tag}_faults`,
    batch: `bench_${tag}_batch`,
    pool: `bench_${tag}_pool`,
    delayed: `bench_${tag}_delayed`,
    flaky: `bench_${tag}_flaky`,
    sink: `bench_${tag}_sink`,
    eventsBase: `bench_${tag}_evbase`,
    eventsPg: `bench_${tag}_evpg`,
  };
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'wdsync-bench-'));
  const stagingDir = path.join(tmp, 'staging');
  const profileDir = path.join(tmp, 'profile');
  const results: BenchResults = {
    benchmark: 'wdsync',
    version: require('../../package.json').version,
    at: new Date().toISOString(),
    command: `wdsync bench ${process.argv.slice(3).join(' ')}`.trim(),
    complete: false,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      loadAvgStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
      loadAvgEnd: [],
    },
    params: {
      workers: o.workers,
      pageSize: o.pageSize,
      concurrency: o.concurrency,
      workerProcesses: o.workerProcesses,
      pages: Math.ceil(o.workers / o.pageSize),
      latency: o.latency,
      faultRate: o.faultRate,
      churn: o.churn,
      quick: o.quick,
      scenarios: o.scenarios,
      database: redact(o.databaseUrl),
    },
    scenarios,
    targets: [],
    durationMs: 0,
    errors,
  };

  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch((e) => say(`cleanup: ${(e as Error).message}`));
  };
  let db: Db | undefined;
  try {
    db = await openDb(o.databaseUrl);
    const theDb = db;
    cleanups.push(async () => {
      for (const s of Object.values(schemas)) await theDb.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      await theDb.close();
    });
    cleanups.push(async () => rmSync(tmp, { recursive: true, force: true }));
    // Runs after the worker stopped (cleanups run in reverse), before the temp dir goes.
    cleanups.push(async () => {
      if (o.profile && o.profileOut) results.profile = keepProfile(profileDir, o.profileOut);
    });

    say('Starting the Temporal dev server, the simulator and a worker process ...');
    const server = await startDevServer({ headless: true, logFile: path.join(tmp, 'temporal.log') });
    cleanups.push(() => server.stop());
    // Scenario 8's broker: the project's own single-node KRaft broker, topics created on first use.
    const broker = has('events') ? await startBroker({ dir: path.join(tmp, 'kafka') }) : undefined;
    if (broker) cleanups.push(() => broker.stop());

    const sim = await startCli({
      args: simulatorArgs({ workers: o.workers, seed: o.seed, latency: o.latency, requestLogSize: 100 }),
      env: cleanEnv(),
      ready: /endpoint\s+(\S+)/,
      timeoutMs: 300_000,
    });
    cleanups.push(() => sim.stop());
    const endpoint = sim.match[1]!;
    const adminUrl = `${new URL(endpoint).origin}/__admin`;
    const admin = async <T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${adminUrl}/${route}`, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`simulator admin ${method} ${route}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    const credentials = { username: 'isu_wdsync@acme', password: 'wdsync', tenant: 'acme' };

    const configObject = {
      workday: { endpoint, username: credentials.username, password: credentials.password },
      temporal: { address: server.address, namespace: 'default' },
      database: { url: o.databaseUrl, schema: schemas.sync },
      staging: { kind: 'fs', dir: stagingDir },
      sinks: [
        { name: 'sync', type: 'postgres', schema: schemas.sync },
        { name: 'faults', type: 'postgres', schema: schemas.faults },
        ...(broker
          ? [
              { name: 'evbase', type: 'postgres', schema: schemas.eventsBase },
              { name: 'evpg', type: 'postgres', schema: schemas.eventsPg },
              { name: 'events', type: 'kafka', brokers: [broker.bootstrap], topic: `wd.bench.${tag}` },
            ]
          : []),
        ...(has('slowsink')
          ? [
              { name: 'delayed', type: 'postgres', schema: schemas.delayed },
              { name: 'flaky', type: 'postgres', schema: schemas.flaky },
            ]
          : []),
      ],
      // The default 10 requests/s is a production guard for a real tenant; the simulator is local.
      limits: {
        workdayRequestsPerSecond: 1000,
        workdayConcurrencyPerWorker: Math.max(16, o.concurrency),
        sinkConcurrencyPerWorker: Math.max(16, o.concurrency),
      },
      defaults: { pageSize: o.pageSize, concurrency: o.concurrency, backlog: DEFAULT_BACKLOG },
      notify: {},
    };
    const cfg: WdsyncConfig = ConfigSchema.parse(configObject);
    const cfgFile = path.join(tmp, 'wdsync.bench.json');
    writeFileSync(cfgFile, JSON.stringify(configObject, null, 2));
    const staging = createFsStaging({ dir: stagingDir, cipher: stagingCipher(cfg) });
    cleanups.push(() => staging.close());

    // ---- 4. parsing (nothing else of ours running) -------------------------------------------
    let parse: ParseComparison | undefined;
    if (has('startup')) {
      say('Scenario 9: `wdsync --help` from compiled JavaScript and from TypeScript source ...');
      const st = compareStartup(o.quick ? 3 : 7);
      scenarios.startup = { ...st };
      if (!st.compiledCurrent)
        errors.push('dist/ does not match src/: run `npm run build` (or `npm install`) first');
      results.targets.push({
        scenario: 'startup',
        name: 'CLI start-up (wdsync --help)',
        value: st.compiledMs / 1000,
        target: '≤ 0.4 s',
        met: st.compiledCurrent && st.compiledMs <= 400,
      });
    }

    if (has('parse')) {
      say('Scenario 4: parsing a 999-worker page, wdsync vs the soap package ...');
      const body = await fetchRawPage(endpoint, credentials, Math.min(999, Math.max(1, o.workers)));
      parse = compareParsers(body, await soapParserFromUrl(`${endpoint}?wsdl`), o.parseRuns);
      scenarios.parse = { ...parse, pageMb: body.length / 1e6 };
      results.targets.push({
        scenario: 'parse',
        name: 'parsing vs soap (MB/s per core)',
        value: parse.ratio,
        target: '≥ 5x',
        met: parse.ratio >= 5,
      });
    }

    // ---- 10. scale-out: its own simulator and worker processes, before scenario 1's start ----
    if (has('scale')) {
      const { runScale, SCALE, SCALE_QUICK }: typeof import('./scale') = require('./scale');
      const sc = await runScale(
        {
          temporalAddress: server.address,
          temporalPid: server.process.pid,
          databaseUrl: o.databaseUrl,
          db,
          dir: path.join(tmp, 'scale'),
          schemaPrefix: `bench_${tag}`,
          seed: o.seed,
          env: cleanEnv,
          say,
        },
        o.quick ? SCALE_QUICK : SCALE,
      );
      scenarios.scale = { ...sc };
      for (const r of [sc.one, sc.two])
        if (r.status !== 'COMPLETED' || r.delivered !== r.workers)
          errors.push(
            `scale: run ${r.runId} (${r.processes} process(es)) ended ${r.status}, ${r.delivered}/${r.workers} delivered`,
          );
      results.targets.push(
        {
          scenario: 'scale',
          name: 'scale-out: one worker process / two',
          value: sc.speedup,
          target: '≥ 1.8x',
          met: sc.speedup >= 1.8,
        },
        {
          scenario: 'scale',
          name: 'scale-out: most Workday requests in flight',
          value: Math.max(sc.one.maxInFlight, sc.two.maxInFlight),
          target: `≤ C = ${sc.concurrency}, and ≤ ${sc.perWorkerConcurrency} per process`,
          met: sc.concurrencyHeld && sc.slotsHeld,
        },
        {
          scenario: 'scale',
          name: 'scale-out: most Workday requests in any second',
          value: Math.max(sc.one.maxRequestsInAnySecond, sc.two.maxRequestsInAnySecond),
          target: `≤ ${sc.requestsPerSecond}/s cluster-wide`,
          met: sc.rateHeld,
        },
      );
    }

    const needWorker = o.scenarios.some((s) => s !== 'parse' && s !== 'startup' && s !== 'scale');
    if (!needWorker) return finish();

    // Scale-out is adding worker processes; the first one is the one profiled and whose RSS counts.
    const workerProcs: CliProcess[] = [];
    for (let i = 0; i < o.workerProcesses; i++) {
      const w = await startCli({
        args: ['worker'],
        env: cleanEnv({ WDSYNC_CONFIG: cfgFile, WDSYNC_WORKDAY_RPS: '1000', ...DEPLOYED_WORKER.env }),
        ready: /worker running/,
        nodeArgs: [
          ...DEPLOYED_WORKER.nodeOptions,
          ...(o.profile && i === 0 ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
        ],
        timeoutMs: 180_000,
      });
      cleanups.push(() => w.stop(60_000));
      workerProcs.push(w);
    }
    const worker = workerProcs[0]!;
    const workersCpuMs = () => workerProcs.reduce((sum, w) => sum + cpuMsOf(w.pid), 0);
    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });

    const runWdsync = async (
      label: string,
      sink: string,
      tuning?: ActivityTuning,
      more: { sinks?: string[]; mode?: 'full' | 'delta' } = {},
    ) => {
      await admin('POST', 'reset-stats');
      const pids = { worker: worker.pid, simulator: sim.pid, temporal: server.process.pid };
      const cpu0 = {
        worker: workersCpuMs(),
        simulator: cpuMsOf(pids.simulator),
        temporal: cpuMsOf(pids.temporal),
        bench: process.cpuUsage(),
      };
      const t0 = performance.now();
      const { runId, handle } = await startSync(client, cfg, {
        pageSize: o.pageSize,
        concurrency: o.concurrency,
        sinks: [sink, ...(more.sinks ?? [])],
        mode: more.mode,
        tuning,
      });
      let lastSaid = 0;
      // The only worker dying would leave the run waiting forever: fail the bench instead.
      const workerDied = new Promise<never>((_, reject) => {
        for (const w of workerProcs)
          w.child.once('exit', (code, sig) =>
            reject(
              new Error(
                `a worker process exited (${code ?? sig}) during ${label}:\n${w.output().slice(-4000)}`,
              ),
            ),
          );
      });
      workerDied.catch(() => {});
      const summary: RunSummary = await Promise.race([
        waitForRun(
          handle,
          (p) => {
            if (!p.pagesTotal || performance.now() - lastSaid < 10_000) return;
            lastSaid = performance.now();
            say(`  ${label}: ${p.pagesDone}/${p.pagesTotal} pages, ${p.workersFetched} workers`);
          },
          1000,
        ),
        workerDied,
      ]);
      const wallMs = performance.now() - t0;
      const s = await admin<SimStats>('GET', 'stats');
      const bench = process.cpuUsage(cpu0.bench);
      const idealMs = s.serveMs / o.concurrency;
      const r: WdsyncRunResult = {
        runId,
        status: summary.status,
        wallMs,
        workers: summary.workersFetched,
        pages: summary.pagesTotal,
        workersPerSec: (summary.workersFetched / wallMs) * 1000,
        serveMs: s.serveMs,
        clientStallMs: s.clientStallMs,
        idealMs,
        ratioToIdeal: wallMs / idealMs,
        requests: s.requests,
        maxInFlight: s.maxInFlight,
        slots: slotTime(s.inFlightMs, o.concurrency),
        bytes: s.bytesSent,
        perSink: summary.perSink[sink] ?? { inserted: 0, updated: 0, unchanged: 0 },
        allSinks: summary.perSink,
        pagesFailed: summary.pagesFailed,
        cpuMs: {
          worker: workersCpuMs() - cpu0.worker,
          simulator: cpuMsOf(pids.simulator) - cpu0.simulator,
          temporal: cpuMsOf(pids.temporal) - cpu0.temporal,
          bench: (bench.user + bench.system) / 1000,
        },
        faultsInjected: s.faultsInjected,
        faultsByType: s.faultsByType,
      };
      if (summary.status !== 'COMPLETED' || summary.pagesFailed > 0)
        errors.push(
          `${label}: run ${runId} ended ${summary.status} with ${summary.pagesFailed} failed pages`,
        );
      return r;
    };

    // ---- 1. wdsync full sync, 7. worker peak RSS ----------------------------------------------
    const startupPeak = memOf(worker.pid);
    const peakReset = resetPeak(worker.pid);
    const rssSampler = sampleRss(worker.pid);
    say(`Scenario 1: wdsync full sync of ${o.workers} workers (concurrency ${o.concurrency}) ...`);
    const sync = await runWdsync('wdsync', 'sync');
    const sampledMaxMb = rssSampler.stop();
    const afterRun = memOf(worker.pid);
    // Parsing bounds the run when one core parsing every byte takes longer than the ideal.
    const parseBoundMs = parse ? (sync.bytes / 1e6 / parse.wdsync.mbPerSecCpu) * 1000 : Number.NaN;
    scenarios.wdsync = {
      ...sync,
      parseBoundMs,
      boundBy: parse && parseBoundMs > sync.idealMs ? 'client parse (one core)' : 'Workday serving time',
      ratioToBound: Number.isFinite(parseBoundMs)
        ? sync.wallMs / Math.max(sync.idealMs, parseBoundMs)
        : sync.ratioToIdeal,
      workerCpuShare: sync.cpuMs.worker / sync.wallMs,
    };
    results.targets.push({
      scenario: 'wdsync',
      name: 'wdsync wall / ideal bound',
      value: sync.ratioToIdeal,
      target: '≤ 1.08x',
      met: sync.ratioToIdeal <= 1.08,
    });
    if (has('rss')) {
      const peakMb = peakReset && afterRun ? afterRun.hwmMb : sampledMaxMb;
      scenarios.rss = {
        workers: o.workers,
        peakMb,
        sampledMaxMb,
        startupPeakMb: startupPeak?.hwmMb ?? Number.NaN,
        idleRssMb: startupPeak?.rssMb ?? Number.NaN,
        method: peakReset
          ? 'VmHWM of the worker process, reset (clear_refs) just before scenario 1'
          : 'max of VmRSS sampled every 200 ms during scenario 1',
        // jemalloc as the Dockerfile preloads it; glibc where Debian's libjemalloc2 is not installed.
        allocator: JEMALLOC ? 'jemalloc' : 'glibc',
        ...(JEMALLOC ? { allocatorPath: JEMALLOC } : {}),
      };
      results.targets.push({
        scenario: 'rss',
        name: `worker peak RSS at ${o.workers} workers (MB)`,
        value: peakMb,
        // Issue 17: 300 MB for a 1M-worker run (was 512 MB).
        target: '≤ 300 MB at 1M workers',
        met: peakMb <= 300,
      });
    }

    const asOfNow = (): AsOf => {
      const now = new Date();
      return { entryMoment: now.toISOString(), effectiveDate: now.toISOString().slice(0, 10) };
    };
    const baseEnv = {
      endpoint,
      username: credentials.username,
      password: credentials.password,
      tenant: credentials.tenant,
      db,
      staging,
    };
    const baseline = async (kind: 'batch' | 'pool'): Promise<BaselineResult> => {
      await admin('POST', 'reset-stats');
      let lastSaid = performance.now();
      const r = await runBaseline(
        { ...baseEnv, schema: kind === 'batch' ? schemas.batch : schemas.pool },
        {
          kind,
          pageSize: o.pageSize,
          concurrency: o.concurrency,
          // wdsync's pipeline: the run's backlog, and the worker's sink slots for deliveries.
          backlog: cfg.defaults.backlog,
          deliveryConcurrency: cfg.limits.sinkConcurrencyPerWorker,
          runId: `bench-${tag}-${kind}`,
          asOf: asOfNow(),
        },
        (done, total) => {
          if (performance.now() - lastSaid < 10_000) return;
          lastSaid = performance.now();
          say(`  ${kind}: ${done}/${total} pages`);
        },
      );
      // Its staged pages are not needed again; at 1M workers they are gigabytes.
      await staging.deleteRun(r.runId);
      return r;
    };

    // ---- 2. batch job ------------------------------------------------------------------------
    if (has('batch')) {
      say('Scenario 2: baseline batch job (sequential pages, no Temporal) ...');
      const b = await baseline('batch');
      const s = await admin<SimStats>('GET', 'stats');
      const speedup = b.wallMs / sync.wallMs;
      scenarios.batch = {
        ...b,
        serveMs: s.serveMs,
        ratioToServe: b.wallMs / s.serveMs,
        speedup,
        speedupTarget: 0.8 * o.concurrency,
        sinkInsertRowsPerSec: (b.sinkRows / b.sinkMs) * 1000,
      };
      results.targets.push({
        scenario: 'batch',
        name: 'wdsync speed-up over the batch job',
        value: speedup,
        target: `≥ ${0.8 * o.concurrency}x (0.8 × concurrency)`,
        met: speedup >= 0.8 * o.concurrency,
      });
    }

    // ---- 3. no durability --------------------------------------------------------------------
    if (has('pool')) {
      say(`Scenario 3: baseline in-process pool (concurrency ${o.concurrency}, no Temporal) ...`);
      const p = await baseline('pool');
      const s = await admin<SimStats>('GET', 'stats');
      const overhead = sync.wallMs / p.wallMs;
      scenarios.pool = {
        ...p,
        serveMs: s.serveMs,
        idealMs: s.serveMs / o.concurrency,
        ratioToIdeal: p.wallMs / (s.serveMs / o.concurrency),
        slots: slotTime(s.inFlightMs, o.concurrency),
        overhead,
      };
      results.targets.push({
        scenario: 'pool',
        name: 'durability overhead (wdsync / pool)',
        value: overhead,
        target: '≤ 1.10x',
        met: overhead <= 1.1,
      });
    }

    // ---- 10. a slow sink, then a failing one ---------------------------------------------------
    if (has('slowsink')) {
      say('Scenario 10: wdsync with a sink 300 ms slower per page, then one failing 2 attempts per page ...');
      await slowSink(db, schemas.delayed, { delayMs: 300 });
      const delayed = await runWdsync('sink +300 ms', 'delayed');
      const flakyAttempts = await slowSink(db, schemas.flaky, { failAttempts: 2, pages: sync.pages });
      const flaky = await runWdsync('sink failing 2 attempts', 'flaky');
      const variant = async (r: WdsyncRunResult, schema: string) => ({
        wallMs: r.wallMs,
        ratioToFaultFree: r.wallMs / sync.wallMs,
        ratioToIdeal: r.ratioToIdeal,
        status: r.status,
        inserted: r.perSink.inserted,
        maxInFlight: r.maxInFlight,
        exact: await sameRows(theDb, schema, schemas.sync),
      });
      const slow = {
        delayed: await variant(delayed, schemas.delayed),
        flaky: { ...(await variant(flaky, schemas.flaky)), sinkFailedAttempts: await flakyAttempts() },
      };
      scenarios.slowsink = slow;
      for (const [name, v] of [
        ['a sink +300 ms per page', slow.delayed],
        ['a sink failing 2 attempts per page', slow.flaky],
      ] as const) {
        if (!v.exact.ok) errors.push(`slowsink: ${name} did not end exact: ${v.exact.detail}`);
        results.targets.push({
          scenario: 'slowsink',
          name: `time with ${name} / fault-free`,
          value: v.ratioToFaultFree,
          target: '≤ 1.05x',
          met: v.ratioToFaultFree <= 1.05,
        });
      }
    }

    // ---- 6. faults ---------------------------------------------------------------------------
    if (has('faults')) {
      // Three kinds, equally likely, together failing `faultRate` of requests: a SOAP
      // Processing_Fault, a 503 with Retry-After: 1, and a connection reset halfway through the body.
      const each = 1 - (1 - o.faultRate) ** (1 / 3);
      await admin('POST', 'faults', {
        rules: [
          { type: 'processing', rate: each },
          { type: 'http503', rate: each, retryAfterSec: 1 },
          { type: 'reset', rate: each, atFraction: 0.5 },
        ],
      });
      say(`Scenario 6: wdsync with ${PERCENT(o.faultRate)}% of Workday requests failing ...`);
      let f: WdsyncRunResult;
      try {
        f = await runWdsync('faults', 'faults', {
          workdayInitialIntervalMs: 250,
          workdayMaximumAttempts: 12,
          sinkInitialIntervalMs: 250,
        });
      } finally {
        await admin('POST', 'faults', { rules: [] });
      }
      const ratio = f.wallMs / sync.wallMs;
      // Relative to the fault-free run, which makes one request per page plus one to count: so the
      // figure is requests per page as the issue means it, whatever the page count.
      const requestsPerPage = f.requests / sync.requests;
      scenarios.faults = {
        ...f,
        ratioToFaultFree: ratio,
        requestsPerPage,
        faultFreeRequests: sync.requests,
        faultRateInjected: f.faultsInjected / f.requests,
      };
      results.targets.push(
        {
          scenario: 'faults',
          name: 'time with 10% faults / fault-free',
          value: ratio,
          target: '≤ 1.3x',
          met: ratio <= 1.3,
        },
        {
          scenario: 'faults',
          name: 'Workday requests per page',
          value: requestsPerPage,
          target: '≤ 1.15',
          met: requestsPerPage <= 1.15,
        },
      );
    }

    // ---- 5. sink, then churn (last: it changes the dataset) ----------------------------------
    if (has('sink')) {
      say('Scenario 5: PostgreSQL sink upserts from staging, then a second sync after churn ...');
      const sink = createPostgresSink({ name: 'bench', db, schema: schemas.sink });
      await sink.init();
      const pages = o.sinkPages > 0 ? Math.min(o.sinkPages, sync.pages) : sync.pages;
      let insertMs = 0;
      let skipMs = 0;
      let rows = 0;
      let inserted = 0;
      let unchanged = 0;
      for (let p = 1; p <= pages; p++) {
        const records = await staging.getRecords({ runId: sync.runId, page: p });
        const t0 = performance.now();
        const a = await sink.deliverPage(
          { key: { runId: `bench-${tag}-sink-1`, page: p }, asOfEntry: new Date().toISOString() },
          records,
        );
        const t1 = performance.now();
        const b = await sink.deliverPage(
          { key: { runId: `bench-${tag}-sink-2`, page: p }, asOfEntry: new Date().toISOString() },
          records,
        );
        skipMs += performance.now() - t1;
        insertMs += t1 - t0;
        rows += records.length;
        inserted += a.inserted;
        unchanged += b.unchanged;
      }
      await sink.close();

      const n = Math.max(1, Math.round(o.churn * o.workers));
      const churned = await admin<{ changed: string[] }>('POST', 'churn', { apply: n });
      say(`  churned ${n} changes (${churned.changed.length} workers); second wdsync sync ...`);
      const second = await runWdsync('second sync', 'sync');
      const written = second.perSink.inserted + second.perSink.updated;
      scenarios.sink = {
        pagesMeasured: pages,
        rows,
        inserted,
        unchanged,
        insertMs,
        skipMs,
        insertRowsPerSec: (rows / insertMs) * 1000,
        unchangedRowsPerSec: (rows / skipMs) * 1000,
        churnChanges: n,
        churnedWorkers: churned.changed.length,
        second: {
          wallMs: second.wallMs,
          ratioToFirst: second.wallMs / sync.wallMs,
          workers: second.workers,
          written,
          skipped: second.perSink.unchanged,
          inserted: second.perSink.inserted,
          updated: second.perSink.updated,
          writtenShare: written / Math.max(1, second.workers),
          status: second.status,
        },
      };
    }
    // ---- 8. Kafka event sink beside PostgreSQL (after 5: it churns the dataset again) ---------
    if (broker) {
      say('Scenario 8: full sync to PostgreSQL alone, then to PostgreSQL + the Kafka event sink ...');
      const alone = await runWdsync('postgres alone', 'evbase');
      const beside = await runWdsync('postgres + events', 'evpg', undefined, { sinks: ['events'] });
      const sent = (r: WdsyncRunResult) =>
        (r.allSinks?.events?.inserted ?? 0) + (r.allSinks?.events?.updated ?? 0);
      const n = Math.max(1, Math.round(o.churn * o.workers));
      await admin('POST', 'churn', { apply: n });
      say(`  churned ${n} changes; delta sync to PostgreSQL + events ...`);
      const delta = await runWdsync('events delta', 'evpg', undefined, { sinks: ['events'], mode: 'delta' });
      const ratio = beside.wallMs / alone.wallMs;
      scenarios.events = {
        aloneWallMs: alone.wallMs,
        besideWallMs: beside.wallMs,
        ratio,
        fullEvents: sent(beside),
        fullEventsPerSec: (sent(beside) / beside.wallMs) * 1000,
        churnChanges: n,
        deltaWorkers: delta.workers,
        deltaEvents: sent(delta),
        deltaWallMs: delta.wallMs,
        deltaEventsPerSec: (sent(delta) / delta.wallMs) * 1000,
        workerCpuMs: { alone: alone.cpuMs.worker, beside: beside.cpuMs.worker },
      };
      results.targets.push({
        scenario: 'events',
        name: 'full run with the event sink beside PostgreSQL / without',
        value: ratio,
        target: '≤ 1.1x',
        met: ratio <= 1.1,
      });
    }
    return finish();
  } catch (err) {
    errors.push((err as Error).stack ?? String(err));
    return finish();
  } finally {
    say('Cleaning up (worker, simulator, dev server, schemas, staging) ...');
    await cleanup();
  }

  function finish(): BenchResults {
    results.durationMs = performance.now() - started;
    results.machine.loadAvgEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
    results.complete = errors.length === 0 && o.scenarios.every((s) => scenarios[s] !== undefined);
    return results;
  }
}

/** One raw Get_Workers response body, as the client receives it (decompressed). */
async function fetchRawPage(
  endpoint: string,
  c: { username: string; password: string },
  count: number,
): Promise<Buffer> {
  const client = createWorkdayClient(
    parseWorkdayConfig({ endpoint, username: c.username, password: c.password }),
  );
  const chunks: Buffer[] = [];
  const now = new Date();
  try {
    await client.getWorkersPage(
      {
        page: 1,
        count,
        asOf: { entryMoment: now.toISOString(), effectiveDate: now.toISOString().slice(0, 10) },
      },
      { onRawChunk: (ch) => chunks.push(ch) },
    );
  } finally {
    client.close();
  }
  return Buffer.concat(chunks);
}

/** Moves a worker CPU profile (if one was written) next to the results file. */
export function keepProfile(fromDir: string, toFile: string): string | undefined {
  try {
    const f = readdirSync(fromDir).find((n) => n.endsWith('.cpuprofile'));
    if (!f) return undefined;
    mkdirSync(path.dirname(toFile), { recursive: true });
    copyFileSync(path.join(fromDir, f), toFile);
    return toFile;
  } catch {
    return undefined;
  }
}
