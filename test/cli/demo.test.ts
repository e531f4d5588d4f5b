import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { freePort } from '../../src/devserver/ports';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'wdsync.cjs');

/**
 * `npm start` twice on a fresh WDSYNC_HOME, as real processes: the first run lands the simulated
 * tenant in the embedded database, the second sees the same dataset (the demo pins the
 * simulator's clock start in its home) and skips every unchanged record. Ports are chosen here so
 * the demo never clashes with a Temporal server on 7233/8233 or with tests running alongside.
 */
describe('wdsync demo', { timeout: 170_000 }, () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'wdsync-demo-'));
  const pids: number[] = [];

  after(() => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(home, { recursive: true, force: true });
  });

  function env(): NodeJS.ProcessEnv {
    // Nothing configured, as on a fresh clone: no database server, no Temporal address, no Workday.
    const e: NodeJS.ProcessEnv = { ...process.env, WDSYNC_HOME: home };
    for (const k of Object.keys(e)) {
      if (/^(WORKDAY_|TEMPORAL_|DATABASE_URL$|WDSYNC_(?!HOME$|TEMPORAL_BIN$))/.test(k)) delete e[k];
    }
    return e;
  }

  function demo(args: string[]) {
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'demo', ...args], {
        env: env(),
        cwd: home,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
  }

  const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

  test('a second run sees the same tenant and skips every unchanged record', async () => {
    const args = [
      '--workers',
      '300',
      '--page-size',
      '100',
      '--json',
      '--temporal-port',
      String(await freePort()),
      '--ui-port',
      String(await freePort()),
    ];
    const first = await demo(args);
    const a = lastJson(first.stdout);
    if (a.temporal?.pid) pids.push(a.temporal.pid);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(a.status, 'COMPLETED');
    assert.equal(a.workersFetched, 300);
    assert.equal(a.rows, 300);
    assert.equal(a.temporal.startedDevServer, true, 'the demo started its own dev server');
    const pinned = JSON.parse(readFileSync(path.join(home, 'demo.json'), 'utf8'));
    assert.ok(pinned.clockStart, 'the simulator clock start is pinned in WDSYNC_HOME');
    assert.ok(existsSync(path.join(home, 'db')), 'the embedded database lives in WDSYNC_HOME');

    const second = await demo(args);
    assert.equal(second.code, 0, second.stderr);
    const b = lastJson(second.stdout);
    assert.equal(b.status, 'COMPLETED');
    assert.notEqual(b.runId, a.runId);
    assert.equal(b.temporal.startedDevServer, false, 'the second run reuses the dev server');
    assert.equal(b.workersFetched, 300);
    assert.equal(b.skippedUnchanged, 300);
    assert.equal(b.rows, 300);
    assert.deepEqual(JSON.parse(readFileSync(path.join(home, 'demo.json'), 'utf8')), pinned);
  });
});
