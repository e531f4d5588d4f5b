import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSimulator } from '../../src/simulator';
import { connectionQueues } from '../../src/workflows/connection';
import type { Harness, Simulator } from '../helpers/harness';
import { assertSinksHoldSnapshot } from '../helpers/snapshot';
import { requestsOf, summaryOf, tenantHarness } from '../helpers/tenants';

/*
 * Issue 12, point 1, as an operator met it: one Temporal namespace, two `wdsync worker` processes
 * for two Workdays of the same tenant name "acme" (a production tenant and its sandbox) with
 * different data, runs started through the CLI at the same time. Point 2 (several connections in
 * one config file and one database) is test/engine/connections.test.ts.
 */

const WORKERS = 300;

describe('runs bound to their Workday connection', { timeout: 300_000 }, () => {
  let t: Awaited<ReturnType<typeof tenantHarness>>;
  let h: Harness;
  let simB: Simulator;
  before(async () => {
    t = await tenantHarness(WORKERS);
    h = t.h;
    // Same tenant name, other data: what the issue saw mix.
    simB = await startSimulator({ port: 0, workers: WORKERS, seed: 99 });
  });
  after(async () => {
    await simB?.close();
    await t?.close();
  });

  test('two workers for two Workdays of tenant acme: each run reaches only its own Workday, each sink exact', async () => {
    const schemaB = t.schema(`t_${randomBytes(4).toString('hex')}`);
    const dirB = t.newDir();
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
});
