import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import {
  type BenchOptions,
  DEFAULT_LATENCY,
  QUICK,
  SCENARIO_TITLES,
  SCENARIOS,
  type Scenario,
  withDependencies,
} from '../bench/options';
import { formatTable, markdownTable } from '../bench/report';
import { num } from '../simulator/command';
import { intArg } from './errors';

const RESULTS_DIR = path.resolve(__dirname, '..', '..', 'bench', 'results');

function scenarioList(v: string): Scenario[] {
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (bad.length || !list.length)
    throw new InvalidArgumentError(`--scenarios: pick from ${SCENARIOS.join(', ')} (got ${bad.join(', ')})`);
  return list as Scenario[];
}

function defaultDatabaseUrl(): string {
  const env = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  return env && /^postgres(ql)?:\/\//.test(env) ? env : 'postgres://postgres@127.0.0.1:5432/test';
}

interface Flags {
  workers?: number;
  pageSize?: number;
  concurrency?: number;
  workerProcesses: number;
  latencyBaseMs?: number;
  latencyPerWorkerMs?: number;
  latencyJitterMs?: number;
  slowTailRate?: number;
  slowTailMs?: number;
  scenarios?: Scenario[];
  faultRate: number;
  churn: number;
  sinkPages: number;
  parseRuns?: number;
  databaseUrl: string;
  profile?: boolean;
  quick?: boolean;
  json?: boolean;
  out?: string;
  seed: number;
}

/**
 * `wdsync bench` (`npm run bench`): issue 6's benchmark. Starts everything it needs (dev server,
 * simulator process, worker process, PostgreSQL schemas), runs the scenarios side by side on one
 * dataset, prints a table and writes bench/results/<timestamp>.json.
 */
export function registerBenchCommand(program: Command) {
  program
    .command('bench')
    .description(
      'benchmark wdsync against the ideal bound and the batch-job baseline (see README, Performance)',
    )
    .option(
      '--workers <n>',
      'workers in the simulated tenant (default 100000)',
      intArg('--workers', 1, 5_000_000),
    )
    .option('--page-size <n>', 'workers per page (default 999)', intArg('--page-size', 1, 999))
    .option('--concurrency <c>', 'Workday fetches in flight (default 8)', intArg('--concurrency', 1, 64))
    .option(
      '--worker-processes <n>',
      'wdsync worker processes serving the runs (default 1; scale-out)',
      intArg('--worker-processes', 1, 16),
      1,
    )
    .option(
      '--latency-base-ms <ms>',
      `simulator: fixed delay before each answer (default ${DEFAULT_LATENCY.baseMs})`,
      num('--latency-base-ms', 0),
    )
    .option(
      '--latency-per-worker-ms <ms>',
      `simulator: delay per worker streamed, so large pages are slower (default ${DEFAULT_LATENCY.perWorkerMs})`,
      num('--latency-per-worker-ms', 0),
    )
    .option(
      '--latency-jitter-ms <ms>',
      `simulator: random extra delay, 0..ms (default ${DEFAULT_LATENCY.jitterMs})`,
      num('--latency-jitter-ms', 0),
    )
    .option(
      '--slow-tail-rate <p>',
      'simulator: share of requests in a slow tail (default 0)',
      num('--slow-tail-rate', 0, 1),
    )
    .option(
      '--slow-tail-ms <ms>',
      'simulator: extra delay of a slow-tail request (default 5000)',
      num('--slow-tail-ms', 0),
    )
    .option(
      '--scenarios <list>',
      `comma-separated subset of ${SCENARIOS.join(', ')} (default all; wdsync is added when another needs it)`,
      scenarioList,
    )
    .option(
      '--fault-rate <p>',
      'share of Workday requests failing in the faults scenario',
      num('--fault-rate', 0, 0.9),
      0.1,
    )
    .option('--churn <p>', 'share of workers changed before the second sync', num('--churn', 0, 1), 0.02)
    .option(
      '--sink-pages <n>',
      'pages the sink micro-benchmark re-delivers from staging (0 = all)',
      intArg('--sink-pages', 0, 1_000_000),
      100,
    )
    .option(
      '--parse-runs <n>',
      'timed parses of the page per parser (default 6)',
      intArg('--parse-runs', 1, 1000),
    )
    .option(
      '--database-url <url>',
      'PostgreSQL for the sinks (a private schema per run, dropped after)',
      defaultDatabaseUrl(),
    )
    .option('--profile', 'write a CPU profile of the worker process (node --cpu-prof) next to the results')
    .option('--quick', `a few thousand workers (${QUICK.workers}) and a light latency model; what CI runs`)
    .option('--json', 'print the results as one JSON object on stdout (the table goes to stderr)')
    .option('--out <file>', 'results file (default bench/results/<timestamp>.json)')
    .option('--seed <n>', 'dataset seed', intArg('--seed', 0, 0xffffffff), 42)
    .addHelpText(
      'after',
      `\nScenarios:\n${SCENARIOS.map((s) => `  ${s.padEnd(7)} ${SCENARIO_TITLES[s]}`).join('\n')}\n\nAt 1M workers: wdsync bench --workers 1000000 (the batch job alone then takes hours at the default latency; add --scenarios wdsync,rss,pool,faults,sink,parse to skip it).`,
    )
    .action(async (f: Flags) => {
      const quick = Boolean(f.quick);
      const latency = {
        ...(quick ? QUICK.latency : DEFAULT_LATENCY),
        ...strip({
          baseMs: f.latencyBaseMs,
          perWorkerMs: f.latencyPerWorkerMs,
          jitterMs: f.latencyJitterMs,
          slowTailRate: f.slowTailRate,
          slowTailMs: f.slowTailMs,
        }),
      };
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const out = path.resolve(f.out ?? path.join(RESULTS_DIR, `${stamp}${quick ? '-quick' : ''}.json`));
      const o: BenchOptions = {
        workers: f.workers ?? (quick ? QUICK.workers : 100_000),
        pageSize: f.pageSize ?? (quick ? QUICK.pageSize : 999),
        concurrency: f.concurrency ?? (quick ? QUICK.concurrency : 8),
        workerProcesses: f.workerProcesses,
        latency,
        scenarios: withDependencies(f.scenarios ?? [...SCENARIOS]),
        faultRate: f.faultRate,
        churn: f.churn,
        sinkPages: f.sinkPages,
        parseRuns: f.parseRuns ?? (quick ? QUICK.parseRuns : 6),
        databaseUrl: f.databaseUrl,
        profile: Boolean(f.profile),
        profileOut: `${out.replace(/\.json$/, '')}-worker.cpuprofile`,
        quick,
        json: Boolean(f.json),
        out,
        seed: f.seed,
      };
      const say = (m: string) => process.stderr.write(`${m}\n`);
      const { runBench }: typeof import('../bench/run') = require('../bench/run');
      const results = await runBench(o, say);
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
      const table = formatTable(results);
      if (o.json) {
        say(table);
        console.log(JSON.stringify(results));
      } else {
        console.log(table);
        console.log(`\nMarkdown:\n\n${markdownTable(results)}\n`);
      }
      say(
        `Results: ${path.relative(process.cwd(), out)}${results.profile ? `; worker CPU profile: ${path.relative(process.cwd(), results.profile)}` : ''}`,
      );
      if (!results.complete) process.exitCode = 1;
    });
}

function strip<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
