import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { auditPort } from '../../src/activities/audit-adapter';
import { createAuditStore } from '../../src/audit/store';
import type { Db } from '../../src/db/types';
import { deliver } from '../../src/delivery/deliver';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import { loadMapping } from '../../src/mapping/mapping-file';
import { createDataverseSink, dataverseCredentials } from '../../src/sinks/dynamics';
import { createSalesforceSink, salesforceCredentials } from '../../src/sinks/salesforce';
import type { Sink } from '../../src/sinks/types';
import { createZendeskSink, zendeskCredentials } from '../../src/sinks/zendesk';
import { startDataverseSimulator } from '../../src/targets/dynamics/simulator';
import { startSalesforceSimulator } from '../../src/targets/salesforce/simulator';
import { startZendeskSimulator } from '../../src/targets/zendesk/simulator';
import { dropSchema, openTestDb, randomSchema } from '../storage/helpers';

const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');

const worker = (title: string): NormalizedWorker => ({
  wid: '0000000000000000000000000000abcd',
  workerId: 'W77',
  workerType: 'Employee',
  descriptor: 'Worker 77',
  personal: {
    legalName: { formatted: 'Ada Lovelace', first: 'Ada', last: 'Lovelace' },
    workEmail: 'ada@example.com',
  },
  employment: { businessTitle: title, active: true, hireDate: '2020-01-01', terminated: false },
  organizations: { supervisoryOrgId: 'SUP-1', supervisoryOrgName: 'Org 1', companyId: 'C1' },
});

interface Target {
  name: string;
  start(): Promise<{ sink: Sink; title(): unknown; close(): Promise<void> }>;
}

const TARGETS: Target[] = [
  {
    name: 'salesforce',
    async start() {
      const sf = await startSalesforceSimulator({ port: 0 });
      const sink = createSalesforceSink({
        name: 'crm',
        mapping: loadMapping(path.join(EXAMPLES, 'salesforce-contact.json')),
        credentials: salesforceCredentials({
          loginUrl: sf.loginUrl,
          clientId: sf.clientId,
          clientSecret: sf.clientSecret,
        }),
        sleep: async () => {},
      });
      return { sink, title: () => sf.admin.contacts()[0]?.Title, close: () => sf.close() };
    },
  },
  {
    name: 'zendesk',
    async start() {
      const zd = await startZendeskSimulator({ port: 0 });
      const sink = createZendeskSink({
        name: 'desk',
        mapping: loadMapping(path.join(EXAMPLES, 'zendesk-user.json'), 'zendesk'),
        credentials: zendeskCredentials({}, zd.env),
        sleep: async () => {},
      });
      return { sink, title: () => zd.admin.users()[0]?.details, close: () => zd.close() };
    },
  },
  {
    name: 'dynamics',
    async start() {
      const dv = await startDataverseSimulator({ port: 0 });
      const sink = createDataverseSink({
        name: 'dataverse',
        mapping: loadMapping(path.join(EXAMPLES, 'dynamics-contact.json'), 'dynamics'),
        credentials: dataverseCredentials({}, dv.env),
        sleep: async () => {},
      });
      return { sink, title: () => dv.admin.rows('contacts')[0]?.jobtitle, close: () => dv.close() };
    },
  },
];

/**
 * Issue 19 for the business targets: runs of one tenant overlap, and a record a newer snapshot
 * confirmed unchanged (so never written, and its stamp in the target never moved) must not be
 * replaced by an older run's version that arrives later. Through the delivery core, with the real
 * audit store and each target's simulator.
 */
describe('the newest-snapshot rule in the business targets', () => {
  let db: Db;
  const schema = randomSchema('snap');
  before(async () => {
    db = await openTestDb('postgres');
  });
  after(async () => {
    for (const t of TARGETS) await dropSchema(db, `${schema}_${t.name}`);
    await db.close();
  });

  for (const target of TARGETS) {
    test(`${target.name}: an older run's change after a newer run confirmed the record unchanged writes nothing`, async () => {
      const t = await target.start();
      try {
        await t.sink.init();
        const audit = auditPort(createAuditStore(db, `${schema}_${target.name}`));
        const ports = { sinks: new Map([[t.sink.name, t.sink]]), audit };
        const at = (runId: string, asOfEntry: string, title: string) =>
          deliver(ports, {
            sink: t.sink.name,
            records: [worker(title)],
            ledger: { runId, page: 1 },
            sourceRunId: runId,
            auditRunId: runId,
            asOfEntry,
            whenAlreadyDelivered: 'record-nothing',
          });
        // R0 writes X; X's title changes in Workday (run A pins it, then is held up); it changes
        // back, and run B, the later snapshot, finds X unchanged; then A arrives.
        assert.equal((await at('r0', '2026-03-01T00:00:00.000Z', 'Analyst')).inserted, 1);
        assert.equal((await at('run-b', '2026-03-03T00:00:00.000Z', 'Analyst')).unchanged, 1);
        const a = await at('run-a', '2026-03-02T00:00:00.000Z', 'Stale Title');
        assert.deepEqual([a.inserted, a.updated, a.unchanged], [0, 0, 1], 'held back');
        assert.equal(t.title(), 'Analyst', 'the target keeps the newest snapshot');
        // A later snapshot still gets through.
        assert.equal((await at('run-c', '2026-03-04T00:00:00.000Z', 'Lead')).updated, 1);
        assert.equal(t.title(), 'Lead');
      } finally {
        await t.sink.close();
        await t.close();
      }
    });
  }
});
