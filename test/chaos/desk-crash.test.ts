// Issue 15 acceptance under faults: 3,000 workers into Zendesk and Dataverse (configured from the
// environment alone, as a real worker process reads it) while both answer about 10% of requests
// with 429s, 500s, failed jobs or revoked tokens, and the worker is SIGKILLed mid-run. A second
// worker finishes the run; each target then holds exactly the in-scope workers, each created
// once: nothing lost, nothing doubled.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import { loadMapping, type Mapping } from '../../src/mapping/mapping-file';
import { type StartOptions, startSync } from '../../src/runs/start';
import { type DataverseSimulatorHandle, startDataverseSimulator } from '../../src/targets/dynamics/simulator';
import { type ZendeskSimulatorHandle, startZendeskSimulator } from '../../src/targets/zendesk/simulator';
import { progressQuery } from '../../src/workflows/messages';
import { createHarness, type Harness, sinkRows } from '../helpers/harness';
import { until } from '../helpers/snapshot';

const WORKERS = 3000;
const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');
const ZD = path.join(EXAMPLES, 'zendesk-user.json');
const DV = path.join(EXAMPLES, 'dynamics-contact.json');
const FAST: StartOptions = {
  pageSize: 100,
  concurrency: 4,
  tuning: {
    workdayInitialIntervalMs: 200,
    sinkInitialIntervalMs: 200,
    sinkMaximumAttempts: 12,
    heartbeatTimeoutMs: 5000,
  },
};

describe('Zendesk and Dataverse under 10% faults and a worker SIGKILL (issue 15)', {
  timeout: 600_000,
}, () => {
  let h: Harness;
  let zd: ZendeskSimulatorHandle;
  let dv: DataverseSimulatorHandle;
  let env: Record<string, string>;

  before(async () => {
    zd = await startZendeskSimulator({ port: 0, seed: 3 });
    dv = await startDataverseSimulator({ port: 0, seed: 5 });
    h = await createHarness({
      workers: WORKERS,
      config: {
        sinks: [
          { name: 'postgres', type: 'postgres' },
          { name: 'desk', type: 'zendesk', mapping: ZD },
          { name: 'dataverse', type: 'dynamics', mapping: DV },
        ],
      },
    });
    env = { WDSYNC_SINKS: `postgres,desk=zendesk:${ZD},dataverse=dynamics:${DV}`, ...zd.env, ...dv.env };
  });
  after(async () => {
    await h?.close();
    await zd?.close();
    await dv?.close();
  });

  async function inScope(m: Mapping): Promise<string[]> {
    const out: string[] = [];
    for (const [wid, row] of await sinkRows(h.schema)) {
      const x = await m.map(row.record as unknown as NormalizedWorker);
      if (x.inScope && !x.terminated) out.push(wid);
    }
    return out.sort();
  }

  const once = (keys: string[]) => {
    const seen = new Map<string, number>();
    for (const k of keys) seen.set(k, (seen.get(k) ?? 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([k]) => k);
  };

  test('a full sync survives the faults and the crash with exactly the in-scope workers in each', async (t) => {
    h.sim.admin.setFaults({
      rules: [],
      latency: { baseMs: 100, perWorkerMs: 0, jitterMs: 0, slowTailRate: 0 },
    });
    zd.admin.setFaults([
      { type: 'rateLimit', rate: 0.05, retryAfterSec: 1 },
      { type: 'serverError', rate: 0.03 },
      { type: 'jobFailed', rate: 0.05 },
    ]);
    dv.admin.setFaults([
      { type: 'throttle', rate: 0.05, retryAfterSec: 1 },
      { type: 'serverError', rate: 0.03 },
      { type: 'expireToken', rate: 0.02 },
    ]);
    const t0 = Date.now();
    const w1 = await h.spawnWorker(env);
    const t1 = Date.now();
    const { handle } = await startSync(h.client, h.cfg, FAST);
    await until(async () => (await handle.query(progressQuery)).pagesDone >= 5, 'five pages done');
    w1.kill('SIGKILL');
    const t2 = Date.now();
    const w2 = await h.spawnWorker(env);
    const t3 = Date.now();
    const summary = await handle.result();
    t.diagnostic(
      `spawn ${t1 - t0} ms, to 5 pages ${t2 - t1} ms, respawn ${t3 - t2} ms, to the end ${Date.now() - t3} ms`,
    );
    w2.kill('SIGTERM');
    assert.equal(summary.status, 'COMPLETED', JSON.stringify(summary));
    assert.equal((await sinkRows(h.schema)).size, WORKERS);

    const users = zd.admin.users().map((u) => u.external_id!);
    assert.deepEqual(once(users), [], 'no Zendesk user twice');
    assert.deepEqual(users.sort(), await inScope(loadMapping(ZD, 'zendesk')));
    assert.deepEqual(
      once(
        zd.admin
          .writes()
          .filter((w) => w.action === 'created')
          .map((w) => w.external_id!),
      ),
      [],
    );

    const rows = dv.admin.rows('contacts').map((r) => String(r.wd_workdayid));
    assert.deepEqual(once(rows), [], 'no Dataverse row twice');
    assert.deepEqual(rows.sort(), await inScope(loadMapping(DV, 'dynamics')));
    assert.deepEqual(
      once(
        dv.admin
          .writes()
          .filter((w) => w.action === 'created')
          .map((w) => String(w.key)),
      ),
      [],
    );

    const zs = zd.admin.stats();
    const ds = dv.admin.stats();
    assert.ok(zs.rateLimited > 0 && ds.throttled['0x80072322']! > 0, 'throttles happened');
    t.diagnostic(
      `${WORKERS} workers: Zendesk ${users.length} users (${zs.rateLimited} 429s, ${zs.jobs} jobs), Dataverse ${rows.length} contacts (${ds.throttled['0x80072322']} 429s, ${ds.requests} requests)`,
    );
  });
});
