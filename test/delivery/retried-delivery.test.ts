import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { auditPort } from '../../src/activities/audit-adapter';
import { createAuditStore } from '../../src/audit/store';
import type { Db } from '../../src/db/types';
import { deliver, deliveryTotals } from '../../src/delivery/deliver';
import { createPostgresSink } from '../../src/sinks/postgres';
import { dropSchema, openTestDb, randomSchema, worker } from '../storage/helpers';

/**
 * A sync run's delivery that Temporal retries after the sink committed (the worker died, or the
 * heartbeat was lost, before the activity reported) finds its page in the sink's ledger. The page
 * was delivered under this run, so the run's summary must count what that delivery did, or the
 * summary says fewer records moved than the sink and the audit trail hold.
 */
describe('a retried delivery', () => {
  let db: Db;
  const schema = randomSchema();
  before(async () => {
    db = await openTestDb('pglite');
  });
  after(async () => {
    await dropSchema(db, schema);
    await db.close();
  });

  test("counts what the committed delivery did (sync runs), and nothing for another run's (replays)", async () => {
    const sink = createPostgresSink({ name: 'pg', db, schema });
    await sink.init();
    const store = createAuditStore(db, schema);
    await store.init();
    const ports = { sinks: new Map([['pg', sink]]), audit: auditPort(store) };
    const delivery = (
      records: ReturnType<typeof worker>[],
      when: 'record-previous' | 'record-nothing',
      page = 1,
    ) =>
      deliver(ports, {
        sink: 'pg',
        records,
        ledger: { runId: 'run-1', page },
        sourceRunId: 'run-1',
        auditRunId: 'run-1',
        asOfEntry: '2026-03-01T00:00:00.000Z',
        whenAlreadyDelivered: when,
      });
    await delivery([worker(1), worker(2)], 'record-previous');
    // Page 2 of the same run: one new worker, one changed.
    const page2 = [worker(3), worker(1, 2)];
    const first = deliveryTotals(await delivery(page2, 'record-previous', 2));
    assert.deepEqual([first.inserted, first.updated, first.unchanged], [1, 1, 0]);
    const retried = deliveryTotals(await delivery(page2, 'record-previous', 2));
    assert.equal(retried.alreadyDelivered, true);
    assert.deepEqual(
      [retried.inserted, retried.updated, retried.unchanged],
      [1, 1, 0],
      'the retry reports it',
    );
    // A delivery whose key belongs to an earlier delivery that audited itself counts nothing.
    const replayed = deliveryTotals(await delivery([worker(1), worker(2)], 'record-nothing'));
    assert.deepEqual([replayed.inserted, replayed.updated, replayed.unchanged], [0, 0, 0]);
    await sink.close?.();
  });
});
