import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Command } from 'commander';
import { formatUsageError } from '../../src/cli/errors';
import { buildProgram } from '../../src/cli/program';
import { freePort } from '../../src/devserver/ports';
import { startSync } from '../../src/runs/start';
import { runWdsync } from '../helpers/cli';
import { createHarness, type Harness } from '../helpers/harness';

const wdsync = runWdsync;

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
    assertOneLineError(
      await wdsync(['start', '--bogus']),
      /^wdsync: error: unknown option '--bogus'; see `wdsync start --help`$/,
    );
    // A near miss keeps commander's suggestion on the same line.
    assertOneLineError(
      await wdsync(['start', '--pag-size', '3']),
      /unknown option '--pag-size' \(did you mean --page-size\?\); see `wdsync start --help`$/,
    );
  });

  test('usage errors point at the help of the command at hand', () => {
    assert.equal(
      formatUsageError("error: unknown option '--zzz'\n", 'schedule create'),
      "wdsync: error: unknown option '--zzz'; see `wdsync schedule create --help`\n",
    );
    assert.equal(
      formatUsageError("error: unknown command 'strat'\n(Did you mean start?)\n", ''),
      "wdsync: error: unknown command 'strat' (did you mean start?); see `wdsync --help`\n",
    );
    assert.equal(
      formatUsageError("error: too many arguments for 'status'. Expected 1 argument but got 2.\n", 'status'),
      "wdsync: error: too many arguments for 'status'. Expected 1 argument but got 2; see `wdsync status --help`\n",
    );
    // Bad values already say what to do; they get no help pointer.
    assert.equal(
      formatUsageError(
        "error: option '--page-size <n>' argument '0' is invalid. --page-size must be 1..999\n",
        'start',
      ),
      "wdsync: error: option '--page-size <n>' argument '0' is invalid. --page-size must be 1..999\n",
    );
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

    test('start --json without --wait ends with the contract object of the running run', async () => {
      const r = await h.cli(['start', '--json', '--page-size', '100', '--concurrency', '1']);
      assert.equal(r.code, 0, r.stderr);
      const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
      assert.equal(last.status, 'RUNNING');
      assert.match(last.runId, /\S/);
      for (const k of ['pagesTotal', 'pagesFailed', 'workersFetched', 'skippedUnchanged'])
        assert.equal(typeof last[k], 'number', `--json has a number ${k}`);
      assert.equal(typeof last.delivered, 'object', '--json has delivered (per sink)');
      const summary = (await h.client.workflow.getHandle(last.runId).result()) as { status: string };
      assert.equal(summary.status, 'COMPLETED');
      // status --json of a running run carries the same fields; of a finished one, the summary.
      const done = JSON.parse(
        (await h.cli(['status', last.runId, '--json'])).stdout.trim().split('\n').pop()!,
      );
      assert.equal(done.status, 'COMPLETED');
    });

    test('runs lists a run that continued as new once', async () => {
      const { runId, handle } = await startSync(h.client, h.cfg, { pageSize: 100, pagesPerExecution: 1 });
      const summary = await handle.result();
      assert.ok(summary.executions > 1, `the run continued as new (${summary.executions} executions)`);
      const r = await h.cli(['runs', '--json', '--limit', '100']);
      assert.equal(r.code, 0, r.stderr);
      const rows = JSON.parse(r.stdout.trim().split('\n').pop()!) as { runId: string; status: string }[];
      const mine = rows.filter((x) => x.runId === runId);
      assert.equal(mine.length, 1, `${runId} listed once, got ${JSON.stringify(mine)}`);
      assert.equal(mine[0]!.status, 'COMPLETED');
      assert.ok(!rows.some((x) => x.status === 'CONTINUED_AS_NEW'), 'no ContinuedAsNew executions listed');
      assert.equal(new Set(rows.map((x) => x.runId)).size, rows.length, 'every run once');
    });
  });
});
