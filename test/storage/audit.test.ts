import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AuditStore, createAuditStore } from '../../src/audit/store';
import type { Db } from '../../src/db/types';
import { BACKENDS, dropSchema, openTestDb, randomSchema, widOf } from './helpers';

const T1 = '2024-01-01T00:00:00.000Z';

for (const backend of BACKENDS) {
  describe(`audit store (${backend})`, () => {
    let db: Db;
    let audit: AuditStore;
    const schema = randomSchema();
    before(async () => {
      db = await openTestDb(backend);
      audit = createAuditStore(db, schema);
      await audit.init();
    });
    after(async () => {
      await dropSchema(db, schema);
      await db.close();
    });

    test('runs: start twice keeps the first start time, end records status and summary', async () => {
      const start = {
        runId: 'run-1',
        mode: 'full',
        tenant: 'acme',
        asOfEntry: T1,
        asOfEffective: '2024-01-01T00:00:00Z',
        scope: { orgs: ['A'] },
      };
      await audit.recordRunStart({ ...start, startedAt: new Date('2024-01-01T00:00:05Z') });
      await audit.recordRunStart({ ...start, startedAt: new Date('2024-01-01T00:09:00Z') });
      let run = await audit.getRun('run-1');
      assert.equal(run?.status, 'RUNNING');
      assert.equal(run?.startedAt.toISOString(), '2024-01-01T00:00:05.000Z');
      assert.equal(run?.asOfEffective, '2024-01-01');
      assert.equal(run?.asOfEntry?.toISOString(), T1);
      assert.deepEqual(run?.scope, { orgs: ['A'] });

      await audit.recordRunEnd({ runId: 'run-1', status: 'COMPLETED', summary: { pages: 2 } });
      await audit.recordRunEnd({ runId: 'run-1', status: 'COMPLETED', summary: { pages: 2 } });
      run = await audit.getRun('run-1');
      assert.equal(run?.status, 'COMPLETED');
      assert.deepEqual(run?.summary, { pages: 2 });
      assert.ok(run?.endedAt);
      await audit.recordRunEnd({ runId: 'orphan', status: 'FAILED' });
      assert.equal((await audit.getRun('orphan'))?.status, 'FAILED');
      assert.deepEqual(
        (await audit.listRuns({ tenant: 'acme' })).map((r) => r.runId),
        ['run-1'],
      );
      assert.equal(await audit.getRun('nope'), undefined);
    });

    test('pages: partial updates keep what they do not mention; attempts follow the activity', async () => {
      await audit.recordPage({ runId: 'run-1', page: 1, status: 'fetching', attempt: 1 });
      await audit.recordPage({ runId: 'run-1', page: 1, status: 'failed', error: 'timeout', attempt: 2 });
      await audit.recordPage({ runId: 'run-1', page: 1, status: 'failed', error: 'timeout', attempt: 2 });
      await audit.recordPage({
        runId: 'run-1',
        page: 1,
        status: 'fetched',
        asOf: T1,
        totalResults: 1500,
        totalPages: 2,
        rows: 999,
        deadLetters: 1,
        checksum: 'abc',
        error: null,
        attempt: 3,
      });
      await audit.recordPage({ runId: 'run-1', page: 1, status: 'delivered', endedAt: new Date() });
      await audit.recordPage({ runId: 'run-1', page: 2, status: 'fetching' });
      await audit.recordPage({ runId: 'run-1', page: 2, status: 'fetching', bumpAttempts: true });
      const pages = await audit.runPages('run-1');
      assert.equal(pages.length, 2);
      const [p1, p2] = pages;
      assert.deepEqual(
        [
          p1.status,
          p1.attempts,
          p1.rows,
          p1.totalResults,
          p1.totalPages,
          p1.deadLetters,
          p1.checksum,
          p1.error,
        ],
        ['delivered', 3, 999, 1500, 2, 1, 'abc', null],
      );
      assert.equal(p1.asOf?.toISOString(), T1);
      assert.ok(p1.endedAt);
      assert.equal(p2.attempts, 2);
    });

    test('record events: batched, and recording the same delivery twice adds nothing', async () => {
      const events = Array.from({ length: 300 }, (_, i) => ({
        runId: 'run-1',
        page: 1,
        wid: widOf(i),
        workerId: `E${i}`,
        sink: 'pg',
        action: i % 3 === 0 ? ('updated' as const) : ('unchanged' as const),
        hash: `h${i}`,
      }));
      // What was new, per sink and action: what the worker's counters add.
      const tally = (await audit.recordEvents(events)).sort((a, b) => a.action.localeCompare(b.action));
      assert.deepEqual(tally, [
        { sink: 'pg', action: 'unchanged', count: 200 },
        { sink: 'pg', action: 'updated', count: 100 },
      ]);
      assert.deepEqual(await audit.recordEvents(events), [], 'a retried activity records nothing new');
      assert.deepEqual(await audit.recordEvents([]), []);
      await audit.recordEvents([
        {
          runId: 'run-1',
          page: 1,
          wid: widOf(1),
          workerId: 'E1',
          sink: 'files',
          action: 'inserted',
          hash: 'h1',
        },
      ]);
      await audit.recordEvents([
        { runId: 'run-2', page: 0, wid: widOf(1), workerId: 'E1', sink: 'pg', action: 'removed' },
      ]);
      assert.deepEqual(await audit.runEventCounts('run-1'), [
        { sink: 'files', action: 'inserted', count: 1 },
        { sink: 'pg', action: 'unchanged', count: 200 },
        { sink: 'pg', action: 'updated', count: 100 },
      ]);

      const byWid = await audit.workerHistory(widOf(1));
      assert.deepEqual(
        byWid.map((e) => [e.runId, e.page, e.sink, e.action, e.hash]),
        [
          ['run-1', 1, 'pg', 'unchanged', 'h1'],
          ['run-1', 1, 'files', 'inserted', 'h1'],
          ['run-2', 0, 'pg', 'removed', ''],
        ],
      );
      assert.equal(byWid[0].runMode, 'full');
      assert.deepEqual(await audit.workerHistory('E1'), byWid);

      // What each worker last looked like in a sink: the JSONL sink's change detection.
      await audit.recordEvents([
        {
          runId: 'run-3',
          page: 1,
          wid: widOf(3),
          workerId: 'E3',
          sink: 'pg',
          action: 'updated',
          hash: 'h3-new',
        },
      ]);
      const last = await audit.lastDeliveredHashes('pg', [widOf(1), widOf(3), widOf(5000)]);
      assert.deepEqual(Object.fromEntries(last), { [widOf(1)]: 'h1', [widOf(3)]: 'h3-new' });
      assert.deepEqual(Object.fromEntries(await audit.lastDeliveredHashes('files', [widOf(1)])), {
        [widOf(1)]: 'h1',
      });
    });

    test('dead letters: re-fetching the page does not double them; list, show, release', async () => {
      const list = [
        {
          wid: widOf(900),
          workerId: 'E900',
          reason: 'hireDate: expected YYYY-MM-DD',
          fragment: '<wd:Worker>900</wd:Worker>',
        },
        { reason: 'WID missing', fragment: '<wd:Worker>no id</wd:Worker>' },
      ];
      assert.equal(await audit.addDeadLetters('run-1', 2, list), 2);
      assert.equal(await audit.addDeadLetters('run-1', 2, list), 0);
      assert.equal(await audit.addDeadLetters('run-1', 2, []), 0);
      const open = await audit.listDeadLetters({ runId: 'run-1', released: false });
      assert.equal(open.length, 2);
      assert.equal(open[0].wid, widOf(900));
      assert.equal(open[1].wid, null);

      const shown = await audit.getDeadLetter(open[0].id);
      assert.equal(shown?.fragment, '<wd:Worker>900</wd:Worker>');
      assert.equal(shown?.reason, 'hireDate: expected YYYY-MM-DD');
      assert.equal(await audit.getDeadLetter(999_999), undefined);

      assert.equal(await audit.markReleased([open[0].id]), 1);
      assert.equal(await audit.markReleased([open[0].id]), 0);
      assert.equal((await audit.listDeadLetters({ released: false })).length, 1);
      assert.equal((await audit.listDeadLetters({ released: true }))[0].id, open[0].id);

      const history = await audit.workerHistory('E900');
      assert.deepEqual(
        history.map((e) => [e.page, e.sink, e.action]),
        [[2, '', 'dead-lettered']],
      );
    });

    test('watermarks only move forward', async () => {
      assert.equal(await audit.getWatermark('acme', 'all'), undefined);
      await audit.setWatermark('acme', 'all', '2024-02-01T00:00:00Z', 'run-2');
      await audit.setWatermark('acme', 'all', '2024-01-15T00:00:00Z', 'run-late');
      let wm = await audit.getWatermark('acme', 'all');
      assert.equal(wm?.updatedThrough.toISOString(), '2024-02-01T00:00:00.000Z');
      assert.equal(wm?.runId, 'run-2');
      await audit.setWatermark('acme', 'all', new Date('2024-03-01T00:00:00Z'), 'run-3');
      wm = await audit.getWatermark('acme', 'all');
      assert.equal(wm?.runId, 'run-3');
    });
  });
}
