import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { auditPort } from '../../src/activities/audit-adapter';
import type { AuditPort, RecordEvent } from '../../src/activities/ports';
import { createAuditStore } from '../../src/audit/store';
import type { Db } from '../../src/db/types';
import { createMetrics, type WdsyncMetrics } from '../../src/observe/metrics';
import { instrumentAudit } from '../../src/observe/instrument';
import { dropSchema, openTestDb, randomSchema, widOf } from '../storage/helpers';

/**
 * The record counters over a real audit store: an activity that Temporal retries after its
 * events were written (a crash, a lost heartbeat) records them again, and the counters must not
 * move, or a dashboard would show more records than the run's summary and `wdsync audit`.
 */
describe('record counters follow the audit trail, not the calls', () => {
  let db: Db;
  let port: AuditPort;
  let m: WdsyncMetrics;
  const schema = randomSchema();
  before(async () => {
    db = await openTestDb('pglite');
    const store = createAuditStore(db, schema);
    await store.init();
    m = createMetrics({ tenant: 'acme', sinks: ['pg', 'crm'] });
    port = instrumentAudit(auditPort(store), m);
  });
  after(async () => {
    await dropSchema(db, schema);
    await db.close();
  });

  const value = async (name: string, labels: Record<string, string>) => {
    const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
    const v = metric?.values.find((x) => Object.entries(labels).every(([k, want]) => x.labels[k] === want));
    return v?.value;
  };

  test('a retried delivery adds nothing to wdsync_records_total', async () => {
    const events: RecordEvent[] = Array.from({ length: 10 }, (_, i) => ({
      runId: 'run-1',
      page: 1,
      wid: widOf(i),
      sink: 'pg',
      action: i < 7 ? 'inserted' : 'updated',
      hash: `h${i}`,
    }));
    await port.recordEvents(events);
    await port.recordEvents(events);
    assert.equal(await value('wdsync_records_total', { sink: 'pg', action: 'inserted' }), 7);
    assert.equal(await value('wdsync_records_total', { sink: 'pg', action: 'updated' }), 3);
    // A later page of the same run moves them again.
    await port.recordEvents([{ ...events[0]!, page: 2, hash: 'h0b' }]);
    assert.equal(await value('wdsync_records_total', { sink: 'pg', action: 'inserted' }), 8);
  });

  test("a sink's refusals count as dead-lettered records of that sink, once", async () => {
    assert.equal(await value('wdsync_records_total', { sink: 'crm', action: 'dead-lettered' }), 0);
    const refused = [
      { wid: widOf(1), code: 'INVALID_EMAIL_ADDRESS', message: 'Email: invalid email address' },
      { wid: widOf(2), code: 'REQUIRED_FIELD_MISSING', message: 'LastName' },
    ];
    await port.addSinkDeadLetters!('crm', { runId: 'run-1', page: 1 }, 'run-1', refused);
    await port.addSinkDeadLetters!('crm', { runId: 'run-1', page: 1 }, 'run-1', refused);
    assert.equal(await value('wdsync_records_total', { sink: 'crm', action: 'dead-lettered' }), 2);
    // Refused again by a later replay (another audit run): a new refusal, counted.
    await port.addSinkDeadLetters!('crm', { runId: 'run-1', page: 1 }, 'replay-1', refused.slice(0, 1));
    assert.equal(await value('wdsync_records_total', { sink: 'crm', action: 'dead-lettered' }), 3);
    assert.equal(await value('wdsync_records_total', { sink: 'pg', action: 'dead-lettered' }), 0);
  });

  test('a re-fetched page adds nothing to wdsync_records_dead_lettered_total', async () => {
    const letters = [{ wid: widOf(5), reason: 'no Worker_ID', fragment: '<wd:Worker/>' }];
    await port.addDeadLetters('run-1', 3, letters);
    await port.addDeadLetters('run-1', 3, letters);
    assert.equal(await value('wdsync_records_dead_lettered_total', { tenant: 'acme' }), 1);
  });
});
