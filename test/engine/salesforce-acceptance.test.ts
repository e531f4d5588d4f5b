// Issue 14's acceptance, on a real Temporal dev server, PostgreSQL, real `wdsync worker` processes
// and both simulators: a full sync of 3,000 workers through examples/salesforce-contact.json
// leaves exactly the in-scope workers as Contacts with their mapped fields and managers (read
// back with jsforce's SOQL), under 10% Salesforce faults and a SIGKILL of the worker mid-run;
// a delta after churn updates exactly the changed ones; `wdsync explain` says what a sink would
// do with one worker and --apply does it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Connection } from 'jsforce';
import { explainWorker } from '../../src/explain/explain';
import { loadMapping } from '../../src/mapping/mapping-file';
import { type StartOptions, startSync } from '../../src/runs/start';
import {
  type SalesforceSimulatorHandle,
  startSalesforceSimulator,
} from '../../src/targets/salesforce/simulator';
import { progressQuery } from '../../src/workflows/messages';
import { createHarness, type Harness } from '../helpers/harness';
import {
  assertManagersLinked,
  assertTouchedExactly,
  type MappedTruth,
  mappedTruth,
} from '../helpers/salesforce';
import { until } from '../helpers/snapshot';

const WORKERS = 3000;
const EXAMPLE = path.resolve(__dirname, '..', '..', 'examples', 'salesforce-contact.json');
const mapping = loadMapping(EXAMPLE);
const FIELDS = [
  ...Object.keys(mapping.file.fields),
  ...Object.keys(mapping.file.onCreate),
  'Termination_Date__c',
];
const FAST: StartOptions = {
  pageSize: 100,
  concurrency: 4,
  tuning: { workdayInitialIntervalMs: 200, sinkInitialIntervalMs: 200, heartbeatTimeoutMs: 5000 },
  recovery: { passes: 1, cooldownSeconds: 1 },
};
/** About one request or record in ten meets a fault; every one of them is transient. */
const SF_FAULTS = [
  { type: 'lock' as const, rate: 0.04 },
  { type: 'expireToken' as const, rate: 0.03 },
  { type: 'serverError' as const, rate: 0.03 },
];

describe('Salesforce acceptance: 3,000 workers, faults, SIGKILL, delta, explain (issue 14)', {
  timeout: 600_000,
}, () => {
  let h: Harness;
  let sf: SalesforceSimulatorHandle;
  let conn: Connection;
  let sfEnv: Record<string, string>;

  before(async () => {
    sf = await startSalesforceSimulator({ port: 0, seed: 14 });
    sfEnv = {
      WDSYNC_SINKS: `postgres,crm=salesforce:${EXAMPLE}`,
      SALESFORCE_LOGIN_URL: sf.loginUrl,
      SALESFORCE_CLIENT_ID: sf.clientId,
      SALESFORCE_CLIENT_SECRET: sf.clientSecret,
    };
    h = await createHarness({
      workers: WORKERS,
      config: {
        sinks: [
          { name: 'postgres', type: 'postgres' },
          {
            name: 'crm',
            type: 'salesforce',
            mapping: EXAMPLE,
            ...{ loginUrl: sf.loginUrl, clientId: sf.clientId, clientSecret: sf.clientSecret },
          },
        ],
      },
    });
    conn = new Connection({
      oauth2: { loginUrl: sf.loginUrl, clientId: sf.clientId, clientSecret: sf.clientSecret },
      version: '62.0',
    });
    await conn.authorize({ grant_type: 'client_credentials' });
  });
  after(async () => {
    await h?.close();
    await sf?.close();
  });

  const truth = () => mappedTruth(h.schema, mapping);

  async function contacts(): Promise<Map<string, Record<string, unknown>>> {
    // Unfaulted reads: the test's own SOQL is not what is under test.
    const rules = sf.admin.faults();
    sf.admin.setFaults([]);
    try {
      const res = await conn
        .query<Record<string, unknown>>(
          `SELECT Workday_ID__c, LastModifiedDate, ReportsTo.Workday_ID__c, ${FIELDS.join(', ')} FROM Contact`,
        )
        .run({ autoFetch: true, maxFetch: 100_000 });
      const byKey = new Map(res.records.map((r) => [r.Workday_ID__c as string, r]));
      assert.equal(byKey.size, res.records.length, 'one Contact per Workday ID: nothing doubled');
      const count = await conn.query('SELECT COUNT() FROM Contact');
      assert.equal(count.totalSize, byKey.size);
      return byKey;
    } finally {
      sf.admin.setFaults(rules);
    }
  }

  function assertHolds(held: Map<string, Record<string, unknown>>, want: MappedTruth, expected: string[]) {
    assert.deepEqual([...held.keys()].sort(), [...expected].sort(), 'exactly the in-scope workers');
    for (const wid of expected) {
      const c = held.get(wid)!;
      const w = want.get(wid)!;
      for (const [f, v] of Object.entries(w.m.values)) assert.deepEqual(c[f], v, `${wid}.${f}`);
      assert.equal(c.Source__c, 'Workday');
    }
    assertManagersLinked(held);
  }

  let held1: Map<string, Record<string, unknown>>;
  let truth1: MappedTruth;

  test('a full sync under 10% Salesforce faults and a SIGKILL of the worker leaves exactly the in-scope workers', async (t) => {
    sf.admin.setFaults(SF_FAULTS);
    h.sim.admin.setFaults({
      rules: [],
      latency: { baseMs: 250, perWorkerMs: 0, jitterMs: 0, slowTailRate: 0 },
    });
    const w1 = await h.spawnWorker(sfEnv);
    const { handle } = await startSync(h.client, h.cfg, FAST);
    await until(async () => (await handle.query(progressQuery)).pagesDone >= 5, 'five pages done');
    w1.kill('SIGKILL');
    h.sim.admin.setFaults({
      rules: [],
      latency: { baseMs: 0, perWorkerMs: 0, jitterMs: 0, slowTailRate: 0 },
    });
    const w2 = await h.spawnWorker(sfEnv);
    const summary = await handle.result();
    assert.equal(summary.status, 'COMPLETED', JSON.stringify(summary));
    assert.equal(summary.workersFetched, WORKERS);
    truth1 = await truth();
    assert.equal(truth1.size, WORKERS);
    const inScope = [...truth1].filter(([, w]) => w.m.inScope && !w.m.terminated).map(([wid]) => wid);
    held1 = await contacts();
    assertHolds(held1, truth1, inScope);
    const s = sf.admin.stats();
    const faults =
      (s.recordFailures.UNABLE_TO_LOCK_ROW ?? 0) +
      (s.requestErrors.SERVER_UNAVAILABLE ?? 0) +
      (s.requestErrors.INVALID_SESSION_ID ?? 0);
    assert.ok(faults > 50, `faults injected: ${faults}`);
    assert.equal(s.created, inScope.length, 'each Contact created once');
    t.diagnostic(
      `${inScope.length} in scope; ${s.requests} Salesforce requests, ${faults} faults (locks ${s.recordFailures.UNABLE_TO_LOCK_ROW ?? 0}, 503s ${s.requestErrors.SERVER_UNAVAILABLE ?? 0}, expired sessions ${s.requestErrors.INVALID_SESSION_ID ?? 0})`,
    );
    await h.stopWorker(w2);
  });

  test('a delta after churn updates exactly the changed ones, under the same faults', async (t) => {
    const changed = new Set(h.sim.admin.churn(150));
    const w = await h.spawnWorker(sfEnv);
    const before = sf.admin.stats();
    const { handle } = await startSync(h.client, h.cfg, { ...FAST, mode: 'delta' });
    const summary = await handle.result();
    assert.equal(summary.status, 'COMPLETED', JSON.stringify(summary));
    const truth2 = await truth();
    const held2 = await contacts();
    const expected = new Set<string>();
    for (const [wid, w2] of truth2) {
      const sameContent = JSON.stringify(truth1.get(wid)?.record) === JSON.stringify(w2.record);
      if (sameContent) continue;
      if (w2.m.terminated ? held1.has(wid) : w2.m.inScope) expected.add(wid);
    }
    assert.ok(expected.size > 10, `changed in scope: ${expected.size}`);
    for (const wid of expected) assert.ok(changed.has(wid), `${wid} changed without churn`);
    // Touched: the changed ones, plus reports relinked to a manager who came into Salesforce.
    assertTouchedExactly(held1, held2, expected);
    assertManagersLinked(held2);
    for (const wid of expected) {
      const w2 = truth2.get(wid)!;
      const c = held2.get(wid)!;
      if (w2.m.terminated) assert.equal(c.Active__c, false, `${wid} deactivated`);
      else for (const [f, v] of Object.entries(w2.m.values)) assert.deepEqual(c[f], v, `${wid}.${f}`);
    }
    const stayed = [...truth2].filter(([wid, w2]) => (w2.m.inScope && !w2.m.terminated) || held1.has(wid));
    assert.deepEqual([...held2.keys()].sort(), stayed.map(([wid]) => wid).sort());
    const s = sf.admin.stats();
    t.diagnostic(
      `churned ${changed.size}; ${expected.size} changed in scope; ${s.created - before.created} created, ${s.updated - before.updated} updated`,
    );
    await h.stopWorker(w);
  });

  test('wdsync explain shows the record, the scope decision, the mapped record and the action; --apply performs it', async () => {
    sf.admin.setFaults([]);
    const all = await truth();
    const held = await contacts();
    const inScope = [...all].find(([wid, w]) => w.m.inScope && !w.m.terminated && held.has(wid))!;
    const outOfScope = [...all].find(([, w]) => !w.m.inScope && !w.m.terminated)!;

    const asked = h.sim.admin.requestLog().length;
    const r1 = await h.cli(['explain', inScope[1].record.workerId, '--sink', 'crm', '--json'], sfEnv);
    assert.equal(r1.code, 0, r1.stderr);
    // One worker, asked by reference: never a page of the tenant.
    const explainRequests = h.sim.admin.requestLog().slice(asked);
    assert.equal(explainRequests.length, 1, JSON.stringify(explainRequests));
    const report = JSON.parse(r1.stdout);
    assert.equal(report.record.wid, inScope[0]);
    assert.equal(report.sinks.length, 1);
    assert.equal(report.sinks[0].action, 'unchanged');
    assert.equal(report.sinks[0].inScope, true);
    assert.equal(report.sinks[0].target.LastName, inScope[1].m.values.LastName);

    // A worker changed in Workday since the last run: explain says update and shows the new
    // values beside Salesforce's; a dry run writes nothing; --apply writes it, audited.
    const churned = h.sim.admin.churn(30);
    // Workday's now comes from its Date header, to the second: let the churn's moment pass.
    await new Promise((r) => setTimeout(r, 1100));
    let pick: { wid: string; target: Record<string, unknown>; current: Record<string, unknown> } | undefined;
    for (const wid of churned) {
      const r = await explainWorker(h.cfg, { workerId: wid, sinks: ['crm'] }).catch(() => undefined);
      const e = r?.sinks[0];
      if (!e) continue;
      if (e.action === 'update') {
        pick = { wid, target: e.target!, current: e.current! };
        break;
      }
    }
    assert.ok(pick, 'a churned worker the sink would update');
    const differs = Object.keys(pick.target).filter(
      (f) =>
        f !== 'Workday_As_Of__c' &&
        JSON.stringify(pick!.target[f]) !== JSON.stringify(pick!.current[f] ?? null),
    );
    assert.ok(differs.length > 0, 'the target record differs from what Salesforce holds');
    const updatedBefore = sf.admin.stats().updated;
    const dry = await h.cli(['explain', pick.wid, '--sink', 'crm'], sfEnv);
    assert.match(dry.stdout, /sink crm \(salesforce\): update/);
    assert.equal(sf.admin.stats().updated, updatedBefore, 'a dry run writes nothing');
    const applied = await h.cli(['explain', pick.wid, '--sink', 'crm', '--apply', '--json'], sfEnv);
    assert.equal(applied.code, 0, applied.stderr);
    const a = JSON.parse(applied.stdout);
    assert.equal(a.sinks[0].applied.updated, 1);
    assert.match(a.appliedRunId, /^explain-/);
    const now = await contacts();
    for (const f of differs) assert.deepEqual(now.get(pick.wid)![f], pick.target[f], f);
    const again = await explainWorker(h.cfg, { workerId: pick.wid, sinks: ['crm'] });
    assert.equal(again.sinks[0]!.action, 'unchanged');

    const r3 = await h.cli(['explain', outOfScope[1].record.workerId, '--json'], sfEnv);
    assert.equal(r3.code, 0, r3.stderr);
    const out = JSON.parse(r3.stdout);
    const crm = out.sinks.find((s: { sink: string }) => s.sink === 'crm');
    assert.equal(crm.action, 'out of scope');
    assert.match(crm.reason, /scope expression is false/);
    assert.match(out.sinks.find((s: { sink: string }) => s.sink === 'postgres').reason, /no mapping/);

    const text = await h.cli(['explain', inScope[1].record.workerId, '--sink', 'crm'], sfEnv);
    assert.match(text.stdout, /sink crm \(salesforce\): unchanged/);
    assert.match(text.stdout, /dry run: nothing was written/);

    const missing = await h.cli(['explain', 'NOPE-1', '--sink', 'crm'], sfEnv);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no worker NOPE-1 in Workday/);
  });
});
