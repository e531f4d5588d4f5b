import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program';
import { freePort } from '../../src/devserver/ports';
import { startSync } from '../../src/runs/start';
import { createHarness, type Harness } from '../helpers/harness';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'wdsync.cjs');

function wdsync(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Bad input gets one line saying what is wrong and what to do, a non-zero exit, no stack trace. */
function assertOneLineError(r: { code: number; stderr: string }, pattern: RegExp) {
  assert.notEqual(r.code, 0);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

describe('CLI: clear errors for bad input', { timeout: 180_000 }, () => {
  test('unknown flag', async () => {
    assertOneLineError(await wdsync(['start', '--bogus']), /unknown option '--bogus'/);
  });

  test('bad numbers', async () => {
    assertOneLineError(
      await wdsync(['start', '--page-size', '1000']),
      /--page-size must be a whole number from 1 to 999/,
    );
    assertOneLineError(
      await wdsync(['start', '--concurrency', 'lots']),
      /--concurrency must be a whole number/,
    );
  });

  test('unreachable Temporal', async () => {
    const port = await freePort();
    const r = await wdsync(['start'], { ...process.env, TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
    assertOneLineError(
      r,
      new RegExp(`cannot reach Temporal at 127.0.0.1:${port}; start it with \`npx wdsync dev\``),
    );
  });

  test('bad configuration', async () => {
    const r = await wdsync(['start'], { ...process.env, WORKDAY_USERNAME: 'no-tenant' });
    assertOneLineError(r, /WORKDAY_USERNAME must be user@tenant/);
  });

  test('every command and subcommand has --help with a description', async () => {
    const r = await wdsync(['schedule', 'create', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: wdsync schedule create/);
    const walk = (cmd: Command, prefix: string): string[] =>
      cmd.commands.flatMap((c) => [`${prefix}${c.name()}`, ...walk(c, `${prefix}${c.name()} `)]);
    const program = buildProgram();
    const names = walk(program, '');
    for (const expected of [
      'demo',
      'dev',
      'worker',
      'simulator',
      'start',
      'status',
      'pause',
      'resume',
      'cancel',
      'concurrency',
      'runs',
      'replay',
      'audit worker',
      'audit run',
      'dead-letters list',
      'schedule create',
      'schedule backfill',
      'staging cleanup',
    ]) {
      assert.ok(names.includes(expected), `command ${expected} exists`);
    }
    const check = (cmd: Command, name: string) => {
      assert.ok(cmd.description().length > 10, `${name} has a description`);
      assert.match(cmd.helpInformation(), /Usage:/);
      for (const c of cmd.commands) check(c, `${name} ${c.name()}`);
    };
    for (const c of program.commands) check(c, c.name());
  });

  describe('against a running stack', () => {
    let h: Harness;
    before(async () => {
      h = await createHarness({ workers: 300 });
      await h.startInProcessWorkers();
    });
    after(async () => h?.close());

    test('wrong Workday credentials: start --wait fails at once with one clear line', async () => {
      await h.close();
      h = await createHarness({ workers: 300, config: {} });
      // Workers with a wrong password, so the run itself meets Workday's authentication fault.
      const bad = await h.spawnWorker({ WORKDAY_PASSWORD: 'wrong' });
      const r = await h.cli(['start', '--wait'], { WORKDAY_PASSWORD: 'wrong' });
      assertOneLineError(
        {
          code: r.code,
          stderr: r.stderr
            .split('\n')
            .filter((l) => !l.startsWith('['))
            .join('\n'),
        },
        /invalid username or password/,
      );
      assert.equal(h.sim.admin.stats().requests, 1, 'never retried');
      bad.kill('SIGKILL');
    });

    test('status --json of a finished run ends with the summary object', async () => {
      await h.startInProcessWorkers();
      const { runId, handle } = await startSync(h.client, h.cfg, { pageSize: 100 });
      await handle.result();
      const r = await h.cli(['status', runId, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
      for (const k of [
        'runId',
        'status',
        'pagesTotal',
        'pagesFailed',
        'workersFetched',
        'delivered',
        'skippedUnchanged',
      ]) {
        assert.ok(k in last, `--json has ${k}`);
      }
      assert.equal(last.status, 'COMPLETED');
      assert.equal(last.workersFetched, 300);
      const bad = await h.cli(['status', 'no-such-run']);
      assertOneLineError(bad, /no such run|not found/i);
    });
  });
});
