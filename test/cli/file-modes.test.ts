/**
 * Every file and directory wdsync creates is owner-only (issue 21 item 7, issue 12 item 3). A
 * demo-sized run as a real process, started with umask 000 so nothing is owed to the caller's
 * umask: the embedded database (PGlite writes 0666 on its own), staging, the JSONL sink, the
 * Temporal dev server's temporal.db and log, and WDSYNC_HOME itself. The library paths are
 * checked too, for code that embeds wdsync without its CLI.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { openPglite } from '../../src/db/pglite';
import { freePort } from '../../src/devserver/ports';
import { createJsonlSink } from '../../src/sinks/jsonl';
import { createFsStaging } from '../../src/staging/fs';
import { syntheticWorker } from '../workday/fixtures/worker-xml';
import { parsePage } from '../../src/workday/parse';
import { envelopeXml, workerXml } from '../workday/fixtures/worker-xml';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'wdsync.cjs');

/** Every entry under root (root included) whose mode lets group or others in. */
function openToOthers(root: string): string[] {
  const bad: string[] = [];
  const check = (p: string) => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return;
    if (st.mode & 0o077) bad.push(`${path.relative(root, p) || '.'} ${(st.mode & 0o777).toString(8)}`);
  };
  check(root);
  for (const e of readdirSync(root, { recursive: true, withFileTypes: true }))
    check(path.join(e.parentPath, e.name));
  return bad;
}

/** Runs fn with the given umask, restoring the old one after. */
async function withUmask<T>(mask: number, fn: () => Promise<T>): Promise<T> {
  const old = process.umask(mask);
  try {
    return await fn();
  } finally {
    process.umask(old);
  }
}

describe('owner-only files', { timeout: 170_000 }, () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'wdsync-modes-'));
  const pids: number[] = [];
  after(() => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(base, { recursive: true, force: true });
  });

  test('a demo run under umask 000 leaves nothing readable by others', async () => {
    const home = path.join(base, 'home');
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) {
      if (/^(WORKDAY_|TEMPORAL_|DATABASE_URL$|WDSYNC_(?!TEMPORAL_BIN$))/.test(k)) delete env[k];
    }
    Object.assign(env, {
      WDSYNC_HOME: home,
      WDSYNC_SINKS: `postgres,files=jsonl:${path.join(home, 'out', 'files')}`,
    });
    const args = ['demo', '--workers', '120', '--page-size', '50', '--json'];
    args.push('--temporal-port', String(await freePort()), '--ui-port', String(await freePort()));
    const r = await withUmask(
      0,
      () =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, [BIN, ...args], {
            env,
            cwd: base,
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d) => (stdout += d));
          child.stderr.on('data', (d) => (stderr += d));
          child.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
        }),
    );
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    if (summary.temporal?.pid) pids.push(summary.temporal.pid);
    assert.equal(summary.status, 'COMPLETED');
    const names = readdirSync(home, { recursive: true }).map(String);
    for (const expected of ['db', 'staging', path.join('out', 'files', 'workers.jsonl'), 'temporal.db'])
      assert.ok(
        names.includes(expected),
        `${expected} was written (have ${names.filter((n) => !n.includes('/')).join(', ')})`,
      );
    assert.deepEqual(openToOthers(home), []);
  });

  test('the library paths are owner-only without the CLI umask', async () => {
    await withUmask(0, async () => {
      const dir = path.join(base, 'lib');
      const staging = createFsStaging({ dir: path.join(dir, 'staging') });
      const parsed = parsePage(
        envelopeXml({ workers: [workerXml(syntheticWorker(1))], page: 1, count: 10, totalResults: 1 }),
      );
      await staging.put(
        { runId: 'r1', page: 1 },
        { rawGzip: Buffer.from('x'), records: parsed.records, deadLetters: [] },
      );
      const sink = createJsonlSink({ name: 'files', dir: path.join(dir, 'jsonl') });
      await sink.init();
      await sink.deliverPage(
        { key: { runId: 'r1', page: 1 }, asOfEntry: '2026-01-01T00:00:00Z' },
        parsed.records,
      );
      await sink.finalizeRun?.({
        runId: 'r1',
        mode: 'full',
        pages: { through: 1 },
        complete: true,
        asOfEntry: '2026-01-01T00:00:00Z',
      });
      const db = await openPglite(path.join(dir, 'db'));
      await db.query('CREATE TABLE t (x int)');
      await db.close();
      assert.deepEqual(openToOthers(dir), []);
    });
  });
  test('a .wdsync made by something else with a looser mode (npm test installing the Temporal CLI) is made owner-only by the next command', async () => {
    const home = path.join(base, 'loose-home');
    mkdirSync(home, { mode: 0o755 });
    chmodSync(home, 0o755);
    const r = spawnSync(process.execPath, [BIN, '--help'], {
      env: { ...process.env, WDSYNC_HOME: home },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(statSync(home).mode & 0o777, 0o700);
  });
});
