// Issue 14 on a real Temporal dev server, PostgreSQL and both simulators: a full sync into the
// Salesforce simulator through the example mapping leaves exactly the in-scope workers as
// Contacts with their mapped fields (read back with jsforce's SOQL); a delta after churn writes
// exactly the changed ones. The PostgreSQL sink, fed by the same runs, is the ground truth.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Connection } from 'jsforce';
import type { AsOf } from '../../src/domain/as-of';
import { loadMapping, type MappedRecord } from '../../src/mapping/mapping-file';
import { type StartOptions, startSync } from '../../src/runs/start';
import {
  type SalesforceSimulatorHandle,
  startSalesforceSimulator,
} from '../../src/targets/salesforce/simulator';
import { createHarness, type Harness } from '../helpers/harness';
import {
  assertManagersLinked,
  assertTouchedExactly,
  type MappedTruth,
  mappedTruth,
} from '../helpers/salesforce';

const WORKERS = 400;
const EXAMPLE = path.resolve(__dirname, '..', '..', 'examples', 'salesforce-contact.json');
const TZ_MS = 8 * 3_600_000;
const mapping = loadMapping(EXAMPLE);
const FIELDS = [
  ...Object.keys(mapping.file.fields),
  ...Object.keys(mapping.file.onCreate),
  'Termination_Date__c',
];

describe('Salesforce sink: full sync and delta into the simulator (issue 14)', { timeout: 900_000 }, () => {
  let h: Harness;
  let sf: SalesforceSimulatorHandle;
  let conn: Connection;

  before(async () => {
    sf = await startSalesforceSimulator({ port: 0 });
    h = await createHarness({
      workers: WORKERS,
      simulator: {
        clockFrozen: true,
        clockStart: '2026-11-20T18:00:00.000Z',
        faults: { latency: { baseMs: 2, perWorkerMs: 0, jitterMs: 2 } },
      },
      config: {
        sinks: [
          { name: 'postgres', type: 'postgres' },
          {
            name: 'crm',
            type: 'salesforce',
            mapping: EXAMPLE,
            loginUrl: sf.loginUrl,
            clientId: sf.clientId,
            clientSecret: sf.clientSecret,
          },
        ],
      },
    });
    await h.startInProcessWorkers();
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

  async function run(opts: Omit<StartOptions, 'asOf'> = {}) {
    h.sim.admin.clock.advance(60_000);
    const entryMoment = h.sim.admin.clock.now();
    const asOf: AsOf = {
      entryMoment,
      effectiveDate: new Date(Date.parse(entryMoment) - TZ_MS).toISOString().slice(0, 10),
    };
    const { handle } = await startSync(h.client, h.cfg, { pageSize: 100, concurrency: 4, asOf, ...opts });
    return handle.result();
  }

  const workers = () => mappedTruth(h.schema, mapping);

  async function contacts(): Promise<Map<string, Record<string, unknown>>> {
    const res = await conn
      .query<Record<string, unknown>>(
        `SELECT Workday_ID__c, LastModifiedDate, ReportsTo.Workday_ID__c, ${FIELDS.join(', ')} FROM Contact`,
      )
      .run({ autoFetch: true, maxFetch: 100_000 });
    return new Map(res.records.map((r) => [r.Workday_ID__c as string, r]));
  }

  function assertMapped(contact: Record<string, unknown>, m: MappedRecord, wid: string): void {
    for (const [f, v] of Object.entries(m.values)) assert.deepEqual(contact[f], v, `${wid}.${f}`);
    for (const f of Object.keys(mapping.file.fields))
      if (!(f in m.values)) assert.equal(contact[f], null, `${wid}.${f} was never set`);
    assert.equal(contact.Source__c, 'Workday');
  }

  let before1: Map<string, Record<string, unknown>>;
  let truth1: MappedTruth;

  test('a full sync leaves exactly the in-scope workers as Contacts with their mapped fields', async (t) => {
    // Row locks on 40 records and an expired session on the way: retried and refreshed, no gaps.
    sf.admin.setFaults([
      { type: 'lock', next: 40 },
      { type: 'expireToken', next: 1 },
    ]);
    const summary = await run();
    assert.equal(summary.status, 'COMPLETED', JSON.stringify(summary));
    truth1 = await workers();
    assert.equal(truth1.size, WORKERS);
    const inScope = [...truth1].filter(([, w]) => w.m.inScope && !w.m.terminated);
    assert.ok(inScope.length > 50 && inScope.length < WORKERS, `in scope: ${inScope.length}`);
    before1 = await contacts();
    assert.deepEqual([...before1.keys()].sort(), inScope.map(([wid]) => wid).sort());
    for (const [wid, w] of inScope) assertMapped(before1.get(wid)!, w.m, wid);
    const count = await conn.query(`SELECT COUNT() FROM Contact WHERE Active__c = true`);
    assert.equal(count.totalSize, inScope.filter(([, w]) => w.m.values.Active__c === true).length);
    const stats = sf.admin.stats();
    assert.equal(stats.created, inScope.length);
    assert.equal(stats.recordFailures.UNABLE_TO_LOCK_ROW, 40);
    // Pages in flight together all held the token that expired; each refreshed its session.
    assert.ok((stats.requestErrors.INVALID_SESSION_ID ?? 0) >= 1);
    assert.ok(stats.tokensIssued >= 2);
    // Every Contact reports to its manager's Contact when Salesforce holds one, whichever page
    // brought the manager: a report written before its manager is linked afterwards (the only updates).
    const linked = assertManagersLinked(before1);
    assert.ok(linked > 20, `linked ${linked}`);
    assert.ok(stats.updated <= linked, `${stats.updated} updates for ${linked} links`);
    assert.ok(stats.upsertBatchSizes.every((n) => n <= 200));
    t.diagnostic(`${WORKERS} workers, ${inScope.length} in scope, ${stats.upsertBatchSizes.length} upserts`);
  });

  test('a delta after churn updates exactly the changed ones', async (t) => {
    const changed = new Set(h.sim.admin.churn(60));
    assert.ok(changed.size > 0);
    const statsBefore = sf.admin.stats();
    const summary = await run({ mode: 'delta' });
    assert.equal(summary.status, 'COMPLETED', JSON.stringify(summary));
    const truth2 = await workers();
    const after2 = await contacts();

    const expectTouched = new Set<string>();
    for (const [wid, w] of truth2) {
      const was = before1.get(wid);
      const hashChanged = JSON.stringify(truth1.get(wid)?.record) !== JSON.stringify(w.record);
      if (!hashChanged) continue;
      if (w.m.terminated) {
        if (was) expectTouched.add(wid);
      } else if (w.m.inScope) expectTouched.add(wid);
    }
    assert.ok(expectTouched.size > 0, 'the churn changed some in-scope worker');
    for (const wid of expectTouched) assert.ok(changed.has(wid), `${wid} changed without churn`);

    // Touched: the changed ones, and reports of a manager who came into Salesforce (relinked).
    const links = assertTouchedExactly(before1, after2, expectTouched);
    assertManagersLinked(after2);

    for (const [wid, w] of truth2) {
      const c = after2.get(wid);
      if (w.m.terminated) {
        if (!before1.has(wid))
          assert.equal(c, undefined, `${wid}: a leaver never in Salesforce gets no Contact`);
        else if (expectTouched.has(wid)) {
          assert.equal(c!.Active__c, false, `${wid} deactivated`);
          assert.equal(c!.Termination_Date__c, w.record.employment!.terminationDate ?? null);
        }
      } else if (w.m.inScope) assertMapped(c!, w.m, wid);
      else if (!before1.has(wid)) assert.equal(c, undefined, `${wid} is out of scope`);
    }
    const stats = sf.admin.stats();
    const created = stats.created - statsBefore.created;
    const updated = stats.updated - statsBefore.updated;
    assert.ok(created + updated >= expectTouched.size);
    assert.ok(created + updated <= expectTouched.size * 2 + links);
    assert.equal(created, [...expectTouched].filter((w) => !before1.has(w)).length);
    t.diagnostic(`churned ${changed.size}; ${created} created, ${updated} updated in Salesforce`);
  });
});
