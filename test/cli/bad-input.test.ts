import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createAuditStore } from '../../src/audit/store';
import { describeError } from '../../src/cli/errors';
import { openDb } from '../../src/db/open';
import { freePort } from '../../src/devserver/ports';
import { startSync } from '../../src/runs/start';
import { connectionOf } from '../../src/config/config';
import { connectionQueues } from '../../src/workflows/connection';
import { createHarness, type Harness, PG_URL, sinkRows } from '../helpers/harness';
import { assertSinksHoldSnapshot } from '../helpers/snapshot';

/**
 * Issue 20: bad input that damaged state, hung a run or got wrong advice. Each gets one line saying
 * what is wrong and what to do, a non-zero exit, and leaves no run behind.
 */

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'wdsync.cjs');

function assertOneLineError(r: { code: number; stderr: string }, pattern: RegExp) {
  assert.notEqual(r.code, 0, 'non-zero exit');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

describe('bad input that damaged state or hung a run (issue 20)', { timeout: 600_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ workers: 300 });
  });
  after(async () => h?.close());

  const runCount = async () => {
    let n = 0;
    for await (const _ of h.client.workflow.list({ query: `WorkflowType = 'syncRun'` })) n++;
    return n;
  };

  test('start --wait with no worker polling says so and what to start (point 6)', async () => {
    const child = spawn(process.execPath, [BIN, 'start', '--wait', '--page-size', '100'], {
      env: h.env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const deadline = Date.now() + 60_000;
    while (!/no worker is polling/.test(stderr) && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill('SIGKILL');
    const own = connectionQueues(connectionOf(h.cfg));
    assert.ok(
      stderr.includes(`no worker is polling task queues wdsync, ${own.workday}, ${own.sinks}`),
      stderr,
    );
    assert.match(stderr, /start `wdsync worker` against Temporal /);
    const runId = /started run (\S+)/.exec(stdout)?.[1];
    assert.ok(runId, stdout);
    await h.client.workflow.getHandle(runId).terminate('test: no worker on purpose');
  });

  test('workers start for the rest', async () => {
    await h.startInProcessWorkers();
  });

  test("--as-of later than Workday's now is refused, and no run is left behind (point 1)", async () => {
    const before = await runCount();
    const r = await h.cli(['start', '--as-of', '2099-01-01T00:00:00Z']);
    assertOneLineError(
      r,
      /--as-of 2099-01-01T00:00:00.000Z is later than Workday's now \(\d{4}-.*\); .*leave --as-of out/,
    );
    // Workday's clock, not this machine's: one minute ahead of the simulator is the future too.
    h.sim.admin.clock.set(new Date(Date.now() - 86_400_000).toISOString());
    const ahead = new Date(Date.parse(h.sim.admin.clock.now()) + 60_000).toISOString();
    assertOneLineError(await h.cli(['start', '--as-of', ahead]), /is later than Workday's now/);
    h.sim.admin.clock.set(new Date().toISOString());
    assert.equal(await runCount(), before, 'no run started');
  });

  test('wdsync watermark reset repairs a watermark and snapshot markers poisoned by a future run (point 1)', async () => {
    const help = await h.cli(['watermark', 'reset', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: wdsync watermark reset/);

    // The poison, as an older wdsync (or a direct API start) let it in: a complete run at 2099.
    const poisoned = await startSync(h.client, h.cfg, {
      pageSize: 100,
      asOf: { entryMoment: '2099-01-01T00:00:00.000Z', effectiveDate: h.sim.admin.clock.now().slice(0, 10) },
    });
    assert.equal((await poisoned.handle.result()).status, 'COMPLETED');
    h.sim.admin.churn(40);
    const stuck = await (await startSync(h.client, h.cfg, { pageSize: 100 })).handle.result();
    assert.equal(stuck.perSink.postgres?.updated ?? 0, 0, 'while poisoned, a full run writes nothing');
    assert.equal(stuck.perSink.postgres?.inserted ?? 0, 0);

    const reset = await h.cli(['watermark', 'reset', '--json']);
    assert.equal(reset.code, 0, reset.stderr);
    const report = JSON.parse(reset.stdout.trim().split('\n').pop()!);
    assert.equal(report.watermark.was, '2099-01-01T00:00:00.000Z');
    assert.equal(report.watermark.now, undefined, 'the watermark is removed');
    const pg = report.sinks.find((s: { sink: string }) => s.sink === 'postgres');
    assert.equal(pg.snapshotWas, '2099-01-01T00:00:00.000Z');
    assert.equal(pg.records, 300, 'every row the future run wrote or confirmed');
    const files = report.sinks.find((s: { sink: string }) => s.sink === 'files');
    assert.equal(files.snapshotWas, '2099-01-01T00:00:00.000Z');
    const db = await openDb(PG_URL);
    try {
      const audit = createAuditStore(db, h.schema);
      assert.equal(await audit.getWatermark('acme', 'all'), undefined);
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${h.schema}".workers WHERE as_of_entry > now() + interval '1 day'`,
      );
      assert.equal(rows[0].n, 0, 'no row marker left in the future');
    } finally {
      await db.close();
    }

    // Repaired: a full run brings the sinks to the snapshot, and delta runs work again.
    const full = await (await startSync(h.client, h.cfg, { pageSize: 100 })).handle.result();
    assert.equal(full.status, 'COMPLETED');
    assert.ok((full.perSink.postgres?.updated ?? 0) + (full.perSink.postgres?.inserted ?? 0) > 0);
    await assertSinksHoldSnapshot(h, full);
    h.sim.admin.churn(5);
    const delta = await (await startSync(h.client, h.cfg, { pageSize: 100, mode: 'delta' })).handle.result();
    assert.equal(delta.status, 'COMPLETED');
    assert.ok((await sinkRows(h.schema)).size >= 300);

    assertOneLineError(
      await h.cli(['watermark', 'reset', '--to', '2099-01-01T00:00:00Z']),
      /--to 2099-01-01T00:00:00.000Z is later than Workday's now/,
    );
    assertOneLineError(
      await h.cli(['watermark', 'reset', '--to', '2026-02-31T00:00:00Z']),
      /--to must be a real/,
    );
  });

  test('impossible dates, and --effective-date without --as-of, are refused (point 2)', async () => {
    const before = await runCount();
    assertOneLineError(
      await h.cli(['start', '--as-of', '2026-02-31T08:00:00Z']),
      /--as-of must be a real ISO-8601 moment .*got "2026-02-31T08:00:00Z"/,
    );
    assertOneLineError(
      await h.cli(['start', '--as-of', '2026-01-10T08:00:00Z', '--effective-date', '2026-13-45']),
      /--effective-date must be a real calendar date .*got "2026-13-45"/,
    );
    assertOneLineError(
      await h.cli(['start', '--effective-date', '2026-12-01']),
      /--effective-date needs --as-of/,
    );
    assertOneLineError(await h.cli(['start', '--as-of', '2026-11-22T25:00:00Z']), /--as-of must be a real/);
    assert.equal(await runCount(), before, 'no run started');
  });

  test('with the database down, wdsync worker names the database, not Temporal (point 4)', async () => {
    const port = await freePort();
    const r = await h.cli(['worker'], { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/nothing` });
    assertOneLineError(r, new RegExp(`PostgreSQL at 127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
    assert.doesNotMatch(r.stderr, /Temporal/);
    // A raw refusal is pinned on whatever the address belongs to.
    const ctx = {
      temporalAddress: '127.0.0.1:7233',
      databaseUrl: 'postgres://u@127.0.0.1:5432/db',
      workdayEndpoint: 'https://wd2-impl-services1.workday.com/ccx/service/acme/Human_Resources/v44.0',
    };
    assert.match(
      describeError(new Error('connect ECONNREFUSED 127.0.0.1:5432'), ctx),
      /^cannot reach the database at 127\.0\.0\.1:5432 \(ECONNREFUSED\); start PostgreSQL or fix DATABASE_URL$/,
    );
    assert.match(
      describeError(new Error('connect ECONNREFUSED 10.1.2.3:443'), {
        ...ctx,
        workdayEndpoint: 'https://10.1.2.3/ccx/service/acme/Human_Resources/v44.0',
      }),
      /^cannot reach Workday at 10\.1\.2\.3:443/,
    );
    assert.match(
      describeError(new Error('connect ECONNREFUSED 127.0.0.1:7233'), ctx),
      /^cannot reach Temporal at/,
    );
  });

  test('start checks DATABASE_URL, the config file and sink names (point 5)', async () => {
    const before = await runCount();
    assertOneLineError(
      await h.cli(['start'], { DATABASE_URL: 'notaurl' }),
      /DATABASE_URL must be postgres:\/\/user@host:5432\/db or pglite:<dir>, got "notaurl"/,
    );
    const port = await freePort();
    assertOneLineError(
      await h.cli(['start'], { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/x` }),
      new RegExp(`cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}.*; start it or set DATABASE_URL`),
    );
    assertOneLineError(
      await h.cli(['start'], { DATABASE_URL: PG_URL.replace(/\/[^/]*$/, '/no_such_db') }),
      /database "no_such_db" does not exist.*create the database/,
    );
    for (const [content, what] of [
      ['[1,2]', 'an array'],
      ['null', 'null'],
      ['"x"', 'a string'],
    ]) {
      const file = path.join(h.dir, `bad-${what.replace(' ', '-')}.json`);
      writeFileSync(file, content);
      assertOneLineError(
        await h.cli(['start'], { WDSYNC_CONFIG: file }),
        new RegExp(`config file .* holds ${what}; it must be one JSON object`),
      );
    }
    assertOneLineError(
      await h.cli(['start'], { WDSYNC_SINKS: 'postgres,postgres' }),
      /sink name "postgres" is used twice; give each sink its own name/,
    );
    assert.equal(await runCount(), before, 'no run started');
  });
});
