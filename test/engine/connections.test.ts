import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSimulator } from '../../src/simulator';
import { type Harness, type Simulator, sinkRows } from '../helpers/harness';
import { assertSinksHoldSnapshot } from '../helpers/snapshot';
import { requestsOf, summaryOf, tenantHarness } from '../helpers/tenants';

/*
 * Issue 12, point 2: several Workday connections in one config file and one PostgreSQL database,
 * a production tenant and its sandbox (same tenant name, same WIDs, the sandbox changed since its
 * refresh), each served by its own `wdsync worker --tenant` process, with its own rate limit and
 * state.
 */

const WORKERS = 300;

describe('several tenants in one deployment', { timeout: 300_000 }, () => {
  let t: Awaited<ReturnType<typeof tenantHarness>>;
  let h: Harness;
  before(async () => {
    t = await tenantHarness(WORKERS);
    h = t.h;
  });
  after(async () => t?.close());

  test('connections in one config file and one database: a tenant and its sandbox with the same WIDs never overwrite each other', async () => {
    // The sandbox: a copy of production (same seed, same WIDs), then changed.
    const prod = await startSimulator({ port: 0, workers: WORKERS, seed: 5 });
    const sandbox = await startSimulator({ port: 0, workers: WORKERS, seed: 5 });
    try {
      const changed = sandbox.admin.churn(40);
      assert.ok(changed.length > 0);
      const dir = t.newDir();
      const secret = (name: string, value: string) => {
        const f = path.join(dir, `${name}.password`);
        writeFileSync(f, value, { mode: 0o600 });
        return f;
      };
      // Each its own Workday rate limit, on its own queue.
      const RPS = { prod: 2, sandbox: 4 } as const;
      const connection = (name: keyof typeof RPS, sim: Simulator) => ({
        workday: {
          endpoint: sim.endpoint,
          username: sim.credentials.username,
          passwordFile: secret(name, sim.credentials.password),
        },
        sinks: [
          { name: 'postgres', type: 'postgres' },
          { name: 'files', type: 'jsonl', dir: path.join(dir, name, 'jsonl') },
        ],
        limits: { workdayRequestsPerSecond: RPS[name] },
      });
      const file = path.join(dir, 'wdsync.config.json');
      writeFileSync(
        file,
        JSON.stringify({
          connections: { prod: connection('prod', prod), sandbox: connection('sandbox', sandbox) },
        }),
      );
      t.schema(`${h.schema}_prod`);
      t.schema(`${h.schema}_sandbox`);
      const env = { WDSYNC_CONFIG: file };
      await Promise.all([
        h.spawnWorker(env, { args: ['--tenant', 'prod'] }),
        h.spawnWorker(env, { args: ['--connection', 'sandbox'] }),
      ]);
      const start = (t: string) =>
        h.cli(['start', '--wait', '--json', '--page-size', '25', '--tenant', t], env);
      const [p, s] = (await Promise.all([start('prod'), start('sandbox')])).map(summaryOf);
      assert.equal(p!.status, 'COMPLETED');
      assert.equal(s!.status, 'COMPLETED');
      // The count request and each page.
      assert.equal(requestsOf(prod, p!), 1 + p!.pagesTotal);
      assert.equal(requestsOf(sandbox, s!), 1 + s!.pagesTotal);
      assert.equal(requestsOf(prod, s!) + requestsOf(sandbox, p!), 0);
      // Both limits held at the same time: the runs overlapped, and each kept to its own rate.
      const times = (sim: Simulator) => sim.admin.requestLog().map((e) => Date.parse(e.receivedAt));
      const [tp, ts] = [times(prod), times(sandbox)];
      assert.ok(tp[0]! < ts.at(-1)! && ts[0]! < tp.at(-1)!, 'the two runs overlapped');
      for (const [name, t] of [
        ['prod', tp],
        ['sandbox', ts],
      ] as const) {
        const spanS = (t.at(-1)! - t[0]!) / 1000;
        // Temporal's limiter lets a burst of about 2 s worth through first (as in workday-limits.test.ts).
        const burst = 2 * RPS[name];
        assert.ok(
          spanS >= (t.length - 1 - burst) / RPS[name],
          `${name}: ${t.length} requests in ${spanS.toFixed(1)} s is faster than ${RPS[name]}/s`,
        );
      }

      await assertSinksHoldSnapshot(
        { ...h, sim: prod, schema: `${h.schema}_prod`, dir: path.join(dir, 'prod') },
        p!,
      );
      await assertSinksHoldSnapshot(
        { ...h, sim: sandbox, schema: `${h.schema}_sandbox`, dir: path.join(dir, 'sandbox') },
        s!,
      );
      const prodRows = await sinkRows(`${h.schema}_prod`);
      const sandboxRows = await sinkRows(`${h.schema}_sandbox`);
      const shared = [...prodRows.keys()].filter((wid) => sandboxRows.has(wid));
      assert.ok(shared.length >= WORKERS - 10, `the same WIDs (${shared.length} shared)`);
      assert.ok(
        changed.some(
          (wid) => JSON.stringify(prodRows.get(wid)?.record) !== JSON.stringify(sandboxRows.get(wid)?.record),
        ),
        'the changed workers differ between the two',
      );

      // Independent commands, at once: each acts for its own connection only.
      const cli = (...args: string[]) => h.cli(args, env);
      const [own, foreign, runs, st, replay, wrongReplay, unknown] = await Promise.all([
        cli('audit', 'run', p!.runId, '--json', '--tenant', 'prod'),
        cli('audit', 'run', s!.runId, '--json', '--tenant', 'prod'),
        cli('runs', '--json', '--tenant', 'sandbox'),
        cli('status', p!.runId, '--tenant', 'sandbox'),
        cli('replay', p!.runId, '--pages', '1', '--wait', '--json', '--tenant', 'prod'),
        cli('replay', p!.runId, '--pages', '1', '--tenant', 'sandbox'),
        cli('runs', '--tenant', 'nope'),
      ]);
      // After the list above, which it would otherwise join.
      const delta = await cli('start', '--mode', 'delta', '--wait', '--json', '--tenant', 'sandbox');
      // State per tenant: each audit store knows only its own run.
      assert.equal(own.code, 0, own.stderr);
      assert.notEqual(foreign.code, 0);
      assert.match(foreign.stderr, /no run \S+ in the audit store/);
      assert.deepEqual(
        (JSON.parse(runs.stdout) as { runId: string }[]).map((r) => r.runId),
        [s!.runId],
      );
      assert.match(
        st.stderr,
        /^wdsync: error: run \S+ belongs to Workday connection prod\/acme\/.*; add --tenant prod\n$/,
      );
      // A replay runs on its connection's workers, against its staging and sinks.
      assert.equal(replay.code, 0, replay.stderr);
      const replayed = JSON.parse(replay.stdout.trim().split('\n').pop()!);
      assert.equal(replayed.status, 'COMPLETED');
      assert.equal(replayed.perSink.postgres.alreadyDelivered, 1, 'the prod ledger already holds page 1');
      assert.match(
        wrongReplay.stderr,
        /^wdsync: error: run \S+ belongs to Workday connection prod\/.*; add --tenant prod\n$/,
      );
      // A delta of the sandbox finds the sandbox's own watermark (none would fail it).
      assert.equal(summaryOf(delta).status, 'COMPLETED');
      assert.notEqual(unknown.code, 0);
      assert.equal(
        unknown.stderr,
        'wdsync: error: unknown tenant "nope"; the configured connections are: default, prod, sandbox\n',
      );
    } finally {
      await prod.close();
      await sandbox.close();
    }
  });
});
