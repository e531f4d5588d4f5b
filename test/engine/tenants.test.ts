import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDb } from '../../src/db/open';
import { startSimulator } from '../../src/simulator';
import { connectionQueues } from '../../src/workflows/connection';
import type { RunSummary } from '../../src/workflows/types';
import { createHarness, type Harness, PG_URL, type Simulator, sinkRows } from '../helpers/harness';
import { assertSinksHoldSnapshot } from '../helpers/snapshot';

/*
 * Issue 12, points 1 and 2, as an operator meets them: one Temporal namespace, a production tenant
 * and its sandbox (same tenant name "acme", the sandbox a copy with the same WIDs), real `wdsync
 * worker` processes, runs started through the CLI at the same time.
 */

const WORKERS = 300;

/** The summary a `start --wait --json` printed as its last line. */
function summaryOf(r: { code: number; stdout: string; stderr: string }): RunSummary {
  assert.equal(r.code, 0, `start failed: ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as RunSummary;
}

/** Requests a simulator served for the run pinned at `entryMoment`. */
const requestsOf = (sim: Simulator, s: RunSummary) =>
  sim.admin.requestLog().filter((e) => e.asOfEntryRequested === s.asOf.entryMoment).length;

describe('runs bound to their Workday connection, several tenants in one deployment', {
  timeout: 300_000,
}, () => {
  let h: Harness;
  let simB: Simulator;
  const schemas: string[] = [];
  const dirs: string[] = [];
  before(async () => {
    h = await createHarness({ workers: WORKERS });
    // Same tenant name, other data: what the issue saw mix.
    simB = await startSimulator({ port: 0, workers: WORKERS, seed: 99 });
  });
  after(async () => {
    await simB?.close();
    await h?.close();
    const db = await openDb(PG_URL);
    for (const s of schemas) await db.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await db.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const newDir = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'wdsync-tenant-'));
    dirs.push(d);
    return d;
  };

  test('two workers for two Workdays of tenant acme: each run reaches only its own Workday, each sink exact', async () => {
    const schemaB = `t_${randomBytes(4).toString('hex')}`;
    schemas.push(schemaB);
    const dirB = newDir();
    const envB = {
      WORKDAY_ENDPOINT: simB.endpoint,
      WORKDAY_USERNAME: simB.credentials.username,
      WORKDAY_PASSWORD: simB.credentials.password,
      WDSYNC_DB_SCHEMA: schemaB,
      WDSYNC_STAGING_DIR: path.join(dirB, 'staging'),
      WDSYNC_SINKS: `postgres,files=jsonl:${path.join(dirB, 'jsonl')}`,
    };
    await Promise.all([h.spawnWorker(), h.spawnWorker(envB)]);
    const args = ['start', '--wait', '--json', '--page-size', '50', '--concurrency', '4'];
    const [a, b] = (await Promise.all([h.cli(args), h.cli(args, envB)])).map(summaryOf);
    assert.equal(a!.status, 'COMPLETED');
    assert.equal(b!.status, 'COMPLETED');
    assert.notEqual(a!.asOf.entryMoment, b!.asOf.entryMoment);

    // The count request and every page, each at its own simulator.
    assert.equal(requestsOf(h.sim, a!), 1 + a!.pagesTotal, "run A's requests at A's Workday");
    assert.equal(requestsOf(simB, b!), 1 + b!.pagesTotal, "run B's requests at B's Workday");
    assert.equal(requestsOf(simB, a!), 0, "none of run A's requests at B's Workday");
    assert.equal(requestsOf(h.sim, b!), 0, "none of run B's requests at A's Workday");
    await assertSinksHoldSnapshot(h, a!);
    await assertSinksHoldSnapshot({ ...h, sim: simB, schema: schemaB, dir: dirB }, b!);

    // The pinned connection is in the run's input and in what the Web UI shows, never a secret.
    const d = await h.client.workflow.getHandle(b!.runId).describe();
    const details = await d.staticDetails();
    assert.match(
      details ?? '',
      new RegExp(`Workday: acme at ${new URL(simB.endpoint).host.replace('.', '\\.')} v44\\.0`),
    );
    const started = (await h.client.workflow.getHandle(b!.runId).fetchHistory()).events![0]!;
    const input = JSON.parse(
      Buffer.from(started.workflowExecutionStartedEventAttributes!.input!.payloads![0]!.data!).toString(),
    );
    assert.deepEqual(input.connection, {
      name: 'default',
      host: new URL(simB.endpoint).host,
      tenant: 'acme',
      version: 'v44.0',
    });

    // Each configuration lists its own runs.
    const runsA = JSON.parse((await h.cli(['runs', '--json'])).stdout) as { runId: string }[];
    const runsB = JSON.parse((await h.cli(['runs', '--json'], envB)).stdout) as { runId: string }[];
    assert.deepEqual(
      runsA.map((r) => r.runId),
      [a!.runId],
    );
    assert.deepEqual(
      runsB.map((r) => r.runId),
      [b!.runId],
    );
    // And a run of the other connection is not theirs to act on.
    const st = await h.cli(['status', b!.runId]);
    assert.notEqual(st.code, 0);
    assert.match(
      st.stderr.trim(),
      /^wdsync: error: run \S+ belongs to Workday connection default\/acme\/127\.0\.0\.1:\d+\/v44\.0, not default\/acme\/127\.0\.0\.1:\d+\/v44\.0; use that Workday's configuration \(its WORKDAY_ENDPOINT or config file\)$/,
    );
  });

  test('start says in one line when no worker serves its connection', async () => {
    // A third Workday nobody runs a worker for.
    const r = await h.cli(['start'], {
      WORKDAY_ENDPOINT: simB.endpoint.replace('v44.0', 'v43.0'),
      WORKDAY_VERSION: 'v43.0',
    });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    const queues = connectionQueues({
      name: 'default',
      host: new URL(simB.endpoint).host,
      tenant: 'acme',
      version: 'v43.0',
    });
    assert.equal(
      lines[0],
      `wdsync: warning: no worker is polling task queues ${queues.workday}, ${queues.sinks}, so the run waits: start \`wdsync worker\` (or one with --roles workday sinks) against Temporal ${h.server.address}, namespace default, configured for Workday connection default (tenant acme at ${new URL(simB.endpoint).host})`,
    );
    const runId = /started run (\S+)/.exec(r.stdout)?.[1];
    assert.ok(runId, r.stdout);
    await h.client.workflow.getHandle(runId).terminate('test: no worker on purpose');
  });

  test('connections in one config file and one database: a tenant and its sandbox with the same WIDs never overwrite each other', async () => {
    // The sandbox: a copy of production (same seed, same WIDs), then changed.
    const prod = await startSimulator({ port: 0, workers: WORKERS, seed: 5 });
    const sandbox = await startSimulator({ port: 0, workers: WORKERS, seed: 5 });
    try {
      const changed = sandbox.admin.churn(40);
      assert.ok(changed.length > 0);
      const dir = newDir();
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
      schemas.push(`${h.schema}_prod`, `${h.schema}_sandbox`);
      const env = { WDSYNC_CONFIG: file };
      await Promise.all([
        h.spawnWorker(env, ['--tenant', 'prod']),
        h.spawnWorker(env, ['--connection', 'sandbox']),
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
      const [own, foreign, runs, st, replay, wrongReplay, delta, unknown] = await Promise.all([
        cli('audit', 'run', p!.runId, '--json', '--tenant', 'prod'),
        cli('audit', 'run', s!.runId, '--json', '--tenant', 'prod'),
        cli('runs', '--json', '--tenant', 'sandbox'),
        cli('status', p!.runId, '--tenant', 'sandbox'),
        cli('replay', p!.runId, '--pages', '1', '--wait', '--json', '--tenant', 'prod'),
        cli('replay', p!.runId, '--pages', '1', '--tenant', 'sandbox'),
        cli('start', '--mode', 'delta', '--wait', '--json', '--tenant', 'sandbox'),
        cli('runs', '--tenant', 'nope'),
      ]);
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
