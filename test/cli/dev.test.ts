import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../src/devserver/ports';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'wdsync.cjs');

/** Starts `wdsync dev` as a real process and resolves once it prints its Web UI line. */
function startDev(args: string[]): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, [BIN, 'dev', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`wdsync dev did not start: ${out}`)), 90_000);
    child.stdout!.on('data', () => {
      if (out.includes('Web UI:')) {
        clearTimeout(t);
        resolve({ child, out: () => out });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`wdsync dev exited with ${code}: ${out}`));
    });
  });
}

const stop = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });

/**
 * `wdsync dev`: a dev server whose state survives a restart (SQLite file), with the Web UI, the
 * project's search attributes and the retention asked for.
 */
describe('wdsync dev', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wdsync-dev-'));
  const dbFile = path.join(dir, 'temporal.db');
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('serves gRPC and the Web UI, registers search attributes and retention, and keeps state across a restart', async () => {
    const port = await freePort();
    const uiPort = await freePort();
    const args = [
      '--port',
      String(port),
      '--ui-port',
      String(uiPort),
      '--db-file',
      dbFile,
      '--retention',
      '240h',
    ];
    let dev = await startDev(args);
    const address = `127.0.0.1:${port}`;
    try {
      assert.match(dev.out(), new RegExp(`Temporal dev server at ${address}`));
      const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
      assert.equal(ui.status, 200, 'the Web UI answers');

      const connection = await Connection.connect({ address });
      try {
        const ns = await connection.workflowService.describeNamespace({ namespace: 'default' });
        assert.equal(Number(ns.config?.workflowExecutionRetentionTtl?.seconds), 240 * 3600, 'retention');
        const sa = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
        for (const key of ALL_SEARCH_ATTRIBUTES) {
          assert.ok(sa.customAttributes?.[key.name] !== undefined, `search attribute ${key.name} registered`);
        }
        // A workflow nobody serves stays open: it must still be there after the restart.
        await new Client({ connection }).workflow.start('syncRun', {
          taskQueue: 'nobody-listens',
          workflowId: 'survives-restart',
          args: [],
        });
      } finally {
        await connection.close();
      }
      assert.equal(await stop(dev.child), 0, 'SIGTERM stops it cleanly');
      assert.ok(existsSync(dbFile), 'state is in the SQLite file');

      dev = await startDev(args);
      const again = await Connection.connect({ address });
      try {
        const d = await new Client({ connection: again }).workflow.getHandle('survives-restart').describe();
        assert.equal(d.status.name, 'RUNNING', 'the workflow started before the restart is still there');
      } finally {
        await again.close();
      }
    } finally {
      if (dev.child.exitCode === null) await stop(dev.child);
    }
  });
});
