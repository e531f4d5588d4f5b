import { existsSync } from 'node:fs';
/**
 * What `wdsync bench` runs: the scenarios of issue 6 and the knobs every one of them shares (same
 * run, same dataset, same latency model), so the results are ratios measured side by side.
 */

export const SCENARIOS = [
  'startup',
  'parse',
  'wdsync',
  'rss',
  'batch',
  'pool',
  'faults',
  'sink',
  'events',
  'slowsink',
  'scale',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** What each scenario is, for --help and the printed table. */
export const SCENARIO_TITLES: Record<Scenario, string> = {
  wdsync: '1 wdsync full sync (worker process) vs the ideal bound',
  batch: '2 baseline batch job: sequential page loop, no Temporal',
  pool: '3 baseline no durability: in-process pool, no Temporal',
  parse: '4 parsing MB/s per core vs the soap package',
  sink: '5 PostgreSQL sink upsert rows/s and a 2% churn second sync',
  faults: '6 10% page faults vs fault-free',
  rss: '7 worker peak RSS during scenario 1',
  events: '8 Kafka event sink beside PostgreSQL: events/s, full and after 2% churn',
  startup: '9 CLI start-up: wdsync --help from compiled JavaScript vs transpiled TypeScript',
  slowsink: '10 a sink +300 ms per page, then one failing 2 attempts per page, vs fault-free',
  scale: '11 scale-out: one worker process vs two where per-process Workday slots bind',
};

/**
 * The simulator's latency model (see src/simulator/options.ts). Large pages are slower than small
 * ones, as on Workday: an answer costs baseMs + [0, jitterMs) before the first byte, then
 * perWorkerMs per worker while it streams. The defaults give a 999-worker page ~5.5 s and a
 * 100-worker page ~1 s, the fast end of what Workday tenants show for Get_Workers with all
 * response groups (real pages of 999 full workers commonly take 10-60 s).
 */
export interface BenchLatency {
  baseMs: number;
  perWorkerMs: number;
  jitterMs: number;
  slowTailRate: number;
  slowTailMs: number;
}

export const DEFAULT_LATENCY: BenchLatency = {
  baseMs: 500,
  perWorkerMs: 5,
  jitterMs: 500,
  slowTailRate: 0,
  slowTailMs: 5000,
};

/**
 * The Dockerfile preloads jemalloc (Debian's libjemalloc2) in place of glibc's malloc. On 1M
 * workers it took the worker's peak RSS from 315 to 289 MB and its CPU from 678 to 584 s
 * (bench/results/2026-12-04-1m*.json). Where the library is not installed the bench runs the
 * worker on glibc and says so (scenario 7's `allocator`).
 */
export const JEMALLOC: string | undefined = [
  '/usr/local/lib/libjemalloc.so.2',
  `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/libjemalloc.so.2`,
].find((f) => existsSync(f));

/**
 * How a worker process is run in deployment (Dockerfile, docker-compose.yml), and so in the
 * benchmark: V8's heap capped so it collects before growing (its default, a quarter of RAM, lets
 * garbage from 15 MB pages pile up), and glibc held to two malloc arenas against fragmentation
 * from the zlib and Temporal core threads. At concurrency 8 on 20,000 workers this took the
 * worker's peak RSS from 499 to 421 MB for the same CPU.
 */
export const DEPLOYED_WORKER = {
  nodeOptions: ['--max-old-space-size=384', '--max-semi-space-size=8'],
  env: { MALLOC_ARENA_MAX: '2', ...(JEMALLOC ? { LD_PRELOAD: JEMALLOC } : {}) },
} as const;

/** --quick: a few thousand workers and a light latency model; CI runs it to keep the harness working. */
export const QUICK = {
  workers: 3000,
  pageSize: 250,
  concurrency: 4,
  latency: { baseMs: 50, perWorkerMs: 0.4, jitterMs: 50, slowTailRate: 0, slowTailMs: 1000 },
  parseRuns: 2,
} as const;

export interface BenchOptions {
  workers: number;
  pageSize: number;
  concurrency: number;
  /** `wdsync worker` processes serving the wdsync runs (scale-out); RSS is the first one's. */
  workerProcesses: number;
  latency: BenchLatency;
  scenarios: Scenario[];
  /** Share of Workday requests that fail in the faults scenario. */
  faultRate: number;
  /** Share of workers changed before the second sync of the sink scenario. */
  churn: number;
  /** Pages the sink micro-benchmark re-delivers from staging (0 = all). */
  sinkPages: number;
  parseRuns: number;
  databaseUrl: string;
  /** Write a CPU profile of the worker process (node --cpu-prof) next to the results. */
  profile: boolean;
  /** Where --profile puts the worker's .cpuprofile. */
  profileOut?: string;
  quick: boolean;
  json: boolean;
  /** Results file; default bench/results/<timestamp>.json. */
  out?: string;
  seed: number;
}

/** Scenarios that need scenario 1's run (its time, its sink table, its staged pages). */
export function withDependencies(selected: readonly Scenario[]): Scenario[] {
  const set = new Set(selected);
  if (['rss', 'batch', 'pool', 'faults', 'sink', 'events', 'slowsink'].some((s) => set.has(s as Scenario)))
    set.add('wdsync');
  return SCENARIOS.filter((s) => set.has(s));
}

/** `wdsync simulator` arguments of a bench simulator: a free port, the dataset, the latency model. */
export function simulatorArgs(o: {
  workers: number;
  seed: number;
  latency: BenchLatency;
  requestLogSize: number;
}): string[] {
  const l = o.latency;
  return [
    'simulator',
    '--port',
    '0',
    '--workers',
    String(o.workers),
    '--seed',
    String(o.seed),
    '--latency-base-ms',
    String(l.baseMs),
    '--latency-per-worker-ms',
    String(l.perWorkerMs),
    '--latency-jitter-ms',
    String(l.jitterMs),
    '--slow-tail-rate',
    String(l.slowTailRate),
    '--slow-tail-ms',
    String(l.slowTailMs),
    '--request-log-size',
    String(o.requestLogSize),
  ];
}
