// Issue 15 on a real Temporal dev server, PostgreSQL and both simulators: a full sync into the
// Zendesk simulator through the example mapping leaves exactly the in-scope workers as users with
// their mapped fields and organizations (read back with node-zendesk), with 429s, a failed job and
// expired job results on the way; a delta after churn writes exactly the changed ones. The
// PostgreSQL sink, fed by the same runs, is the ground truth.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import { loadMapping, type MappedRecord } from '../../src/mapping/mapping-file';
import type { StartOptions } from '../../src/runs/start';
import { type ZendeskSimulatorHandle, startZendeskSimulator } from '../../src/targets/zendesk/simulator';
import { createHarness, type Harness } from '../helpers/harness';
import { mappedWorkers, mustWrite, runPinned } from '../helpers/mapped-run';
import { zendeskClient, zendeskSink } from '../helpers/targets';

const WORKERS = 300;
const EXAMPLE = path.resolve(__dirname, '..', '..', 'examples', 'zendesk-user.json');
const mapping = loadMapping(EXAMPLE, 'zendesk');

type ZdUser = Record<string, unknown> & {
  external_id: string;
  user_fields: Record<string, unknown>;
  organization_id: number | null;
};

describe('Zendesk sink: full sync and delta into the simulator (issue 15)', { timeout: 300_000 }, () => {
  let h: Harness;
  let zd: ZendeskSimulatorHandle;
  let client: ReturnType<typeof zendeskClient>;

  before(async () => {
    zd = await startZendeskSimulator({ port: 0 });
    h = await createHarness({
      workers: WORKERS,
      simulator: {
        clockFrozen: true,
        clockStart: '2026-11-20T18:00:00.000Z',
        faults: { latency: { baseMs: 2, perWorkerMs: 0, jitterMs: 2 } },
      },
      config: {
        sinks: [{ name: 'postgres', type: 'postgres' }, zendeskSink(zd, 'desk', EXAMPLE)],
      },
    });
    await h.startInProcessWorkers();
    client = zendeskClient(zd);
  });
  after(async () => {
    await h?.close();
    await zd?.close();
  });

  const run = (opts: Omit<StartOptions, 'asOf'> = {}) => runPinned(h, opts);
  const workers = () => mappedWorkers(h, mapping);

  async function users(): Promise<Map<string, ZdUser>> {
    const list = (await client.users.list()) as unknown as ZdUser[];
    return new Map(list.map((u) => [u.external_id, u]));
  }

  async function orgIds(): Promise<Map<number, string>> {
    const list = (await client.organizations.list()) as unknown as { id: number; external_id: string }[];
    return new Map(list.map((o) => [o.id, o.external_id]));
  }

  function assertMapped(u: ZdUser, m: MappedRecord, orgs: Map<number, string>, wid: string): void {
    for (const [f, v] of Object.entries(m.values)) {
      if (f === 'organization.external_id')
        assert.equal(orgs.get(u.organization_id!) ?? null, v, `${wid}.${f}`);
      else if (f === 'organization.name') continue;
      else if (f.startsWith('user_fields.')) assert.deepEqual(u.user_fields[f.slice(12)], v, `${wid}.${f}`);
      else assert.deepEqual(u[f], v, `${wid}.${f}`);
    }
    assert.equal(u.user_fields.workday_id, wid);
  }

  let before1: Map<string, ZdUser>;
  let truth1: Map<string, { record: NormalizedWorker; m: MappedRecord }>;

  test('a full sync leaves exactly the in-scope workers as users with their mapped fields', async (t) => {
    // Throttled twice, one job fails, one job's results expire unread: all retried, no gaps.
    zd.admin.setFaults([
      { type: 'rateLimit', next: 2, retryAfterSec: 1 },
      { type: 'jobFailed', next: 1 },
      { type: 'expireResults', next: 1 },
    ]);
    const summary = await run();
    assert.equal(summary.status, 'COMPLETED', JSON.stringify(summary));
    truth1 = await workers();
    assert.equal(truth1.size, WORKERS);
    const inScope = [...truth1].filter(([, w]) => w.m.inScope && !w.m.terminated);
    assert.ok(inScope.length > 50 && inScope.length < WORKERS, `in scope: ${inScope.length}`);
    before1 = await users();
    assert.deepEqual([...before1.keys()].sort(), inScope.map(([wid]) => wid).sort());
    const orgs = await orgIds();
    for (const [wid, w] of inScope) assertMapped(before1.get(wid)!, w.m, orgs, wid);
    const stats = zd.admin.stats();
    assert.equal(stats.rateLimited, 2);
    assert.ok(stats.expiredReads >= 1, 'an expired job was read and the page sent again');
    assert.ok(stats.batchSizes.every((n) => n <= 100));
    assert.equal(
      new Set(
        zd.admin
          .writes()
          .filter((x) => x.action === 'created')
          .map((x) => x.external_id),
      ).size,
      inScope.length,
    );
    t.diagnostic(
      `${WORKERS} workers, ${inScope.length} in scope, ${stats.batchSizes.length} bulk jobs, ${orgs.size} organizations`,
    );
  });

  test('a delta after churn updates exactly the changed ones', async (t) => {
    const changed = new Set(h.sim.admin.churn(40));
    const writesBefore = zd.admin.writes().length;
    const summary = await run({ mode: 'delta' });
    assert.equal(summary.status, 'COMPLETED', JSON.stringify(summary));
    const truth2 = await workers();
    const after2 = await users();

    const expectTouched = mustWrite(truth1, truth2, before1, changed);
    const written = zd.admin
      .writes()
      .slice(writesBefore)
      .map((x) => x.external_id!);
    assert.deepEqual([...new Set(written)].sort(), [...expectTouched].sort());
    assert.equal(written.length, expectTouched.size, 'each changed worker written once');

    const orgs = await orgIds();
    for (const [wid, w] of truth2) {
      const u = after2.get(wid);
      if (w.m.terminated) {
        if (!before1.has(wid)) assert.equal(u, undefined, `${wid}: a leaver never in Zendesk gets no user`);
        else if (expectTouched.has(wid)) assert.equal(u!.suspended, true, `${wid} suspended`);
      } else if (w.m.inScope) assertMapped(u!, w.m, orgs, wid);
      else if (!before1.has(wid)) assert.equal(u, undefined, `${wid} is out of scope`);
    }
    t.diagnostic(`churned ${changed.size}; ${expectTouched.size} written to Zendesk`);
  });

  test('wdsync explain says what a delivery would do, with the user Zendesk holds, writing nothing', async () => {
    const truth = await workers();
    const held = await users();
    const [wid, w] = [...truth].find(([id, x]) => x.m.inScope && !x.m.terminated && held.has(id))!;
    const out = [...truth].find(([id, x]) => !x.m.inScope && !x.m.terminated && !held.has(id))!;
    const writesBefore = zd.admin.writes().length;
    // The CLI reads its sinks and credentials from the environment, as a user's shell would.
    const env = { WDSYNC_SINKS: `postgres,desk=zendesk:${EXAMPLE}`, ...zd.env };
    const r = await h.cli(['explain', w.record.workerId, '--sink', 'desk', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout).sinks[0];
    assert.equal(report.action, 'unchanged', report.reason);
    assert.equal(report.key, wid);
    assert.equal(report.current.external_id, wid);
    assert.equal(report.current.email, w.m.values.email);
    const o = await h.cli(['explain', out[1].record.workerId, '--sink', 'desk', '--json'], env);
    assert.equal(o.code, 0, o.stderr);
    const outReport = JSON.parse(o.stdout).sinks[0];
    assert.deepEqual([outReport.action, outReport.current], ['out of scope', null]);
    assert.equal(zd.admin.writes().length, writesBefore, 'explain writes nothing');
  });
});
