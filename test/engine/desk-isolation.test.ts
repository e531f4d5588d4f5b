// Issue 15, isolation: one run delivers to PostgreSQL, the Kafka event sink (a real broker),
// Salesforce, Zendesk and Dataverse at once while Zendesk answers 429 to every request. The others
// finish their pages, Kafka with exactly one event per worker, while Zendesk is still
// throttled; when the throttle lifts, Zendesk catches up from staging in the same run and ends up
// holding exactly the in-scope workers, and the audit has one outcome per worker per sink.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AsOf } from '../../src/domain/as-of';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import { openDb } from '../../src/db/open';
import { loadMapping } from '../../src/mapping/mapping-file';
import { startSync } from '../../src/runs/start';
import { type DataverseSimulatorHandle, startDataverseSimulator } from '../../src/targets/dynamics/simulator';
import {
  type SalesforceSimulatorHandle,
  startSalesforceSimulator,
} from '../../src/targets/salesforce/simulator';
import { type ZendeskSimulatorHandle, startZendeskSimulator } from '../../src/targets/zendesk/simulator';
import { createHarness, type Harness, PG_URL, sinkRows } from '../helpers/harness';
import { assertValidEvents, readCommitted, startTestBroker, type TestBroker } from '../helpers/kafka';

const WORKERS = 300;
const TOPIC = 'workers.isolation';
const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');
const zdMapping = loadMapping(path.join(EXAMPLES, 'zendesk-user.json'), 'zendesk');
const dvMapping = loadMapping(path.join(EXAMPLES, 'dynamics-contact.json'), 'dynamics');
const sfMapping = loadMapping(path.join(EXAMPLES, 'salesforce-contact.json'));

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a throttled Zendesk never holds back PostgreSQL, Kafka, Salesforce or Dataverse (issue 15)', {
  timeout: 300_000,
}, () => {
  let h: Harness;
  let zd: ZendeskSimulatorHandle;
  let dv: DataverseSimulatorHandle;
  let sf: SalesforceSimulatorHandle;
  let kafka: TestBroker;

  before(async () => {
    kafka = await startTestBroker();
    await kafka.createTopics(TOPIC, `${TOPIC}.wdsync-delivered`);
    zd = await startZendeskSimulator({ port: 0 });
    dv = await startDataverseSimulator({ port: 0 });
    sf = await startSalesforceSimulator({ port: 0 });
    h = await createHarness({
      workers: WORKERS,
      simulator: { clockFrozen: true, clockStart: '2026-11-20T18:00:00.000Z' },
      config: {
        sinks: [
          { name: 'postgres', type: 'postgres' },
          { name: 'events', type: 'kafka', brokers: [kafka.bootstrap], topic: TOPIC },
          {
            name: 'crm',
            type: 'salesforce',
            mapping: path.join(EXAMPLES, 'salesforce-contact.json'),
            loginUrl: sf.loginUrl,
            clientId: sf.clientId,
            clientSecret: sf.clientSecret,
          },
          {
            name: 'desk',
            type: 'zendesk',
            mapping: path.join(EXAMPLES, 'zendesk-user.json'),
            url: zd.url,
            email: zd.email,
            apiToken: zd.apiToken,
          },
          {
            name: 'dataverse',
            type: 'dynamics',
            mapping: path.join(EXAMPLES, 'dynamics-contact.json'),
            url: dv.url,
            authority: dv.authority,
            tenantId: dv.tenantId,
            clientId: dv.clientId,
            clientSecret: dv.clientSecret,
          },
        ],
      },
    });
    await h.startInProcessWorkers();
  });
  after(async () => {
    await h?.close();
    await zd?.close();
    await dv?.close();
    await sf?.close();
    await kafka?.close();
  });

  test('the others complete while Zendesk is throttled, and Zendesk catches up', async (t) => {
    h.sim.admin.clock.advance(60_000);
    const entryMoment = h.sim.admin.clock.now();
    const asOf: AsOf = { entryMoment, effectiveDate: entryMoment.slice(0, 10) };
    // Every Zendesk request is refused (Retry-After 2 s) until the throttle is lifted below; the
    // sink's init ran at worker start, before it.
    zd.admin.setFaults([{ type: 'rateLimit', rate: 1, retryAfterSec: 2 }]);
    const started = Date.now();
    const { handle } = await startSync(h.client, h.cfg, { pageSize: 100, concurrency: 3, asOf });

    const records = async () =>
      [...(await sinkRows(h.schema)).values()].map((r) => r.record as unknown as NormalizedWorker);
    const inScope = async (m: typeof zdMapping) => {
      const out: string[] = [];
      for (const r of await records()) {
        const x = await m.map(r);
        if (x.inScope && !x.terminated) out.push(r.wid);
      }
      return out.sort();
    };
    const events = () => readCommitted(kafka.bootstrap, TOPIC);
    await until(
      'PostgreSQL, Kafka, Salesforce and Dataverse to hold every page',
      async () =>
        (await sinkRows(h.schema)).size === WORKERS &&
        (await events()).length >= WORKERS &&
        dv.admin.rows('contacts').length === (await inScope(dvMapping)).length &&
        sf.admin.contacts().length === (await inScope(sfMapping)).length,
    );
    const othersDoneMs = Date.now() - started;
    assert.equal(zd.admin.users().length, 0, 'Zendesk wrote nothing while throttled');
    assert.ok(zd.admin.stats().rateLimited >= 3, 'every page asked Zendesk and was answered 429');
    // Held for a while longer: the run stays open for Zendesk alone.
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal(zd.admin.users().length, 0);
    zd.admin.setFaults([]);
    const summary = await handle.result();
    assert.equal(summary.status, 'COMPLETED', JSON.stringify(summary));
    const held = zd.admin
      .users()
      .map((u) => u.external_id!)
      .sort();
    assert.deepEqual(held, await inScope(zdMapping));
    assert.deepEqual(
      dv.admin
        .rows('contacts')
        .map((r) => String(r.wd_workdayid))
        .sort(),
      await inScope(dvMapping),
    );
    assert.deepEqual(
      sf.admin
        .contacts()
        .map((c) => String(c.Workday_ID__c))
        .sort(),
      await inScope(sfMapping),
    );
    // Kafka: exactly one committed event per worker, none doubled by the Zendesk retries.
    const committed = await events();
    assertValidEvents(committed);
    const perWid = new Map<string, number>();
    for (const e of committed) {
      const wid = String((e.value as { subject: string }).subject);
      perWid.set(wid, (perWid.get(wid) ?? 0) + 1);
    }
    assert.equal(perWid.size, WORKERS);
    assert.ok(
      [...perWid.values()].every((n) => n === 1),
      'one event per WID',
    );
    // The audit: every worker has exactly one outcome on every sink (written, or seen unchanged).
    const db = await openDb(PG_URL);
    try {
      const { rows } = await db.query<{ sink: string; n: number; wids: number }>(
        `SELECT sink, count(*)::int AS n, count(DISTINCT wid)::int AS wids FROM "${h.schema}".record_events
         WHERE run_id = $1 GROUP BY sink ORDER BY sink`,
        [handle.workflowId],
      );
      assert.deepEqual(
        rows.map((r) => [r.sink, r.n, r.wids]),
        ['crm', 'dataverse', 'desk', 'events', 'postgres'].map((sink) => [sink, WORKERS, WORKERS]),
      );
    } finally {
      await db.close();
    }
    t.diagnostic(
      `PostgreSQL, Kafka, Salesforce and Dataverse done after ${othersDoneMs} ms under a Zendesk throttle (${zd.admin.stats().rateLimited} 429s); Zendesk caught up, run took ${Date.now() - started} ms`,
    );
  });
});
