import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { SCENARIOS } from '../../src/bench/options';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'wdsync.cjs');

/**
 * Keeps the benchmark harness working (issue 6): `wdsync bench --quick --json` must produce a
 * complete result, every scenario with every figure a finite number. Timings are never asserted:
 * CI machines are noisy and the quick dataset is too small to say anything about speed.
 */

/** The figures each scenario must report (dotted paths into its object). */
const REQUIRED: Record<(typeof SCENARIOS)[number], string[]> = {
  startup: ['runs', 'compiledMs', 'sourceMs', 'speedup'],
  parse: ['pageBytes', 'workers', 'wdsync.mbPerSecCpu', 'wdsync.msPerPage', 'soap.mbPerSecCpu', 'ratio'],
  wdsync: [
    'wallMs',
    'workers',
    'pages',
    'workersPerSec',
    'serveMs',
    'idealMs',
    'ratioToIdeal',
    'parseBoundMs',
    'requests',
    'bytes',
    'cpuMs.worker',
    'cpuMs.simulator',
    'cpuMs.temporal',
  ],
  rss: ['workers', 'peakMb', 'sampledMaxMb', 'startupPeakMb'],
  batch: ['wallMs', 'workersPerSec', 'sinkMs', 'speedup', 'speedupTarget'],
  pool: ['wallMs', 'workersPerSec', 'idealMs', 'ratioToIdeal', 'overhead'],
  faults: ['wallMs', 'ratioToFaultFree', 'requests', 'requestsPerPage', 'faultsInjected'],
  sink: [
    'rows',
    'insertRowsPerSec',
    'unchangedRowsPerSec',
    'churnChanges',
    'second.wallMs',
    'second.written',
    'second.skipped',
  ],
  events: [
    'aloneWallMs',
    'besideWallMs',
    'ratio',
    'fullEvents',
    'fullEventsPerSec',
    'deltaEvents',
    'deltaEventsPerSec',
  ],
  slowsink: [
    'delayed.wallMs',
    'delayed.ratioToFaultFree',
    'flaky.wallMs',
    'flaky.ratioToFaultFree',
    'flaky.sinkFailedAttempts',
  ],
  scale: [
    'speedup',
    'one.wallMs',
    'two.wallMs',
    'one.maxInFlight',
    'two.maxInFlight',
    'one.maxRequestsInAnySecond',
    'two.maxRequestsInAnySecond',
  ],
};

function at(obj: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

describe('wdsync bench --quick', { timeout: 600_000 }, () => {
  test('produces complete results for every scenario', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wdsync-bench-test-'));
    const out = path.join(dir, 'quick.json');
    try {
      const r = await run(['bench', '--quick', '--json', '--out', out]);
      assert.equal(r.code, 0, `bench exited ${r.code}:\n${r.stderr.slice(-4000)}`);
      const printed = JSON.parse(r.stdout.trim().split('\n').pop()!);
      assert.ok(existsSync(out), 'results file written');
      const results = JSON.parse(readFileSync(out, 'utf8'));
      assert.deepEqual(printed, results, 'stdout and the results file agree');

      assert.equal(results.complete, true, `incomplete: ${JSON.stringify(results.errors)}`);
      assert.deepEqual(results.errors, []);
      assert.deepEqual([...results.params.scenarios].sort(), [...SCENARIOS].sort());
      for (const s of SCENARIOS) {
        const sc = results.scenarios[s];
        assert.ok(sc, `scenario ${s} present`);
        for (const field of REQUIRED[s]) {
          const v = at(sc, field);
          assert.equal(typeof v, 'number', `${s}.${field} is a number (got ${JSON.stringify(v)})`);
          assert.ok(Number.isFinite(v), `${s}.${field} is finite (got ${v})`);
        }
      }
      // Sanity, not speed: the runs moved the whole tenant, and the targets were all evaluated.
      assert.equal(results.scenarios.wdsync.status, 'COMPLETED');
      assert.equal(results.scenarios.wdsync.workers, results.params.workers);
      assert.equal(results.scenarios.batch.workers, results.params.workers);
      assert.equal(results.scenarios.pool.workers, results.params.workers);
      assert.equal(results.scenarios.faults.status, 'COMPLETED');
      // Every page's first two attempts were refused, and both slow sinks still ended exact (errors: []).
      assert.equal(results.scenarios.slowsink.flaky.sinkFailedAttempts, 2 * results.scenarios.wdsync.pages);
      assert.equal(results.scenarios.slowsink.flaky.status, 'COMPLETED');
      assert.ok(results.scenarios.sink.second.written > 0, 'churn produced writes');
      assert.ok(results.scenarios.sink.second.skipped > 0, 'unchanged rows were skipped');
      for (const r of [results.scenarios.scale.one, results.scenarios.scale.two]) {
        assert.equal(r.status, 'COMPLETED');
        assert.equal(r.delivered, r.workers, 'every worker of the scale-out runs delivered');
      }
      assert.deepEqual(
        [results.scenarios.scale.one.processes, results.scenarios.scale.two.processes],
        [1, 2],
      );
      const targetScenarios = new Set(results.targets.map((t: { scenario: string }) => t.scenario));
      for (const s of ['parse', 'wdsync', 'rss', 'batch', 'pool', 'faults', 'slowsink', 'scale'])
        assert.ok(targetScenarios.has(s), `target of ${s} evaluated`);
      for (const t of results.targets) assert.ok(Number.isFinite(t.value), `target ${t.name} has a value`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
