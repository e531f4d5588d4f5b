import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/db/types';
import { contentHash } from '../../src/sinks/hash';
import { createPostgresSink } from '../../src/sinks/postgres';
import { BACKENDS, dropSchema, openTestDb, randomSchema, widOf, worker, workers } from './helpers';

const T1 = '2024-01-01T00:00:00.000Z';
const T2 = '2024-02-01T00:00:00.000Z';
const T3 = '2024-03-01T00:00:00.000Z';
const ctx = (runId: string, page: number, asOfEntry: string) => ({ key: { runId, page }, asOfEntry });

for (const backend of BACKENDS) {
  describe(`postgres sink (${backend})`, () => {
    let db: Db;
    const schemas: string[] = [];
    before(async () => {
      db = await openTestDb(backend);
    });
    after(async () => {
      for (const s of schemas) await dropSchema(db, s);
      await db.close();
    });

    async function freshSink(options: { chunkSize?: number; name?: string } = {}) {
      const schema = randomSchema();
      schemas.push(schema);
      const sink = createPostgresSink({
        name: options.name ?? 'pg',
        db,
        schema,
        chunkSize: options.chunkSize,
      });
      await sink.init();
      return { sink, schema };
    }

    const row = async (schema: string, n: number) =>
      (
        await db.query<Record<string, unknown>>(
          `SELECT *, hire_date::text AS hire, as_of_entry AS asof FROM "${schema}".workers WHERE wid = $1`,
          [widOf(n)],
        )
      ).rows[0];
    const count = async (schema: string, where = 'true') =>
      (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".workers WHERE ${where}`))
        .rows[0].n;

    test('first delivery inserts, the next classifies updated / inserted / unchanged', async () => {
      const { sink, schema } = await freshSink({ chunkSize: 2 });
      const first = await sink.deliverPage(ctx('run-a', 1, T1), workers(1, 5));
      assert.deepEqual(
        [first.alreadyDelivered, first.inserted, first.updated, first.unchanged],
        [false, 5, 0, 0],
      );
      assert.equal(first.outcomes.length, 5);
      assert.equal(first.outcomes[0].hash, contentHash(worker(1)));

      const r1 = await row(schema, 1);
      assert.equal(r1.worker_id, 'E000001');
      assert.equal(r1.first_name, 'First1');
      assert.equal(r1.hire, '2020-01-15');
      assert.equal(r1.active, true);
      assert.equal(r1.supervisory_org_id, 'ORG-1');
      assert.deepEqual(r1.record, worker(1));
      assert.equal(r1.source_run, 'run-a');

      // Workers 1-2 changed, 3-5 the same, 6 is new.
      const page = [worker(1, 2), worker(2, 2), ...workers(3, 5), worker(6)];
      const second = await sink.deliverPage(ctx('run-b', 1, T2), page);
      assert.deepEqual([second.inserted, second.updated, second.unchanged], [1, 2, 3]);
      const actions = Object.fromEntries(second.outcomes.map((o) => [o.wid, o.action]));
      assert.equal(actions[widOf(1)], 'updated');
      assert.equal(actions[widOf(3)], 'unchanged');
      assert.equal(actions[widOf(6)], 'inserted');
      assert.equal((await row(schema, 1)).business_title, 'Engineer v2');
      // Unchanged rows are not rewritten: they still point at the run that last changed them.
      assert.equal((await row(schema, 3)).source_run, 'run-a');
      assert.equal(await count(schema), 6);
    });

    test('a re-delivered page is a no-op that reports what the first delivery did', async () => {
      const { sink, schema } = await freshSink();
      const first = await sink.deliverPage(ctx('run-a', 1, T1), workers(1, 3));
      const before = await row(schema, 1);
      const again = await sink.deliverPage(ctx('run-a', 1, T1), workers(1, 3, 9));
      assert.deepEqual(
        [again.alreadyDelivered, again.inserted, again.updated, again.unchanged],
        [true, 0, 0, 0],
      );
      assert.deepEqual(again.outcomes, []);
      assert.deepEqual(
        again.previousOutcomes?.map((o) => [o.wid, o.action]),
        first.outcomes.map((o) => [o.wid, o.action]),
      );
      const after = await row(schema, 1);
      assert.deepEqual(after.updated_at, before.updated_at);
      assert.equal(after.business_title, 'Engineer v1');
      const ledger = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".sink_ledger`);
      assert.equal(ledger.rows[0].n, 1);
    });

    test('the ledger is per sink: another sink on the same schema still gets the page', async () => {
      const { sink, schema } = await freshSink();
      const other = createPostgresSink({ name: 'pg-2', db, schema });
      await sink.deliverPage(ctx('run-a', 1, T1), workers(1, 3));
      const r = await other.deliverPage(ctx('run-a', 1, T1), workers(1, 3));
      assert.equal(r.alreadyDelivered, false);
      assert.equal(r.unchanged, 3);
    });

    test('an older snapshot never overwrites a newer one', async () => {
      const { sink, schema } = await freshSink();
      await sink.deliverPage(ctx('run-new', 1, T2), [worker(1, 2)]);
      const late = await sink.deliverPage(ctx('run-old', 1, T1), [worker(1, 1), worker(2, 1)]);
      assert.deepEqual([late.inserted, late.updated, late.unchanged], [1, 0, 1]);
      const r = await row(schema, 1);
      assert.equal(r.business_title, 'Engineer v2');
      assert.equal(r.source_run, 'run-new');
    });

    test('after a complete full snapshot, a late page of an older run changes nothing', async () => {
      const { sink, schema } = await freshSink();
      await sink.deliverPage(ctx('run-1', 1, T1), [worker(1, 1)]);
      // run-3 sees worker 1 unchanged (its row is confirmed at T3), and the table is confirmed at T3.
      const r3 = await sink.deliverPage(ctx('run-3', 1, T3), [worker(1, 1)]);
      assert.equal(r3.unchanged, 1);
      await sink.finalizeRun!({ runId: 'run-3', mode: 'full', pages: [1], complete: true, asOfEntry: T3 });
      // run-2 (T2) had a version that was already gone by T3, and a worker gone by T3.
      const late = await sink.deliverPage(ctx('run-2', 1, T2), [worker(1, 2), worker(7)]);
      assert.deepEqual([late.inserted, late.updated, late.unchanged], [0, 0, 2]);
      assert.equal((await row(schema, 1)).business_title, 'Engineer v1');
      assert.equal(await row(schema, 7), undefined);
    });

    test('an unchanged record is confirmed as of its snapshot: an older overlapping run cannot replace it (issue 19)', async () => {
      const { sink, schema } = await freshSink();
      await sink.deliverPage(ctx('run-0', 1, T1), [worker(1, 1), worker(2, 1)]);
      // run-3 (newer) finds worker 1 unchanged and worker 2 changed; nothing is finalized.
      const b = await sink.deliverPage(ctx('run-3', 1, T3), [worker(1, 1), worker(2, 3)]);
      assert.deepEqual([b.inserted, b.updated, b.unchanged], [0, 1, 1]);
      const confirmed = await row(schema, 1);
      assert.equal(new Date(confirmed.asof as string).toISOString(), T3, 'the marker moved to T3');
      assert.equal(confirmed.source_run, 'run-0', 'nothing but the marker changed');
      // run-2 (older, pinned at T2, while worker 1 was briefly v2) delivers late.
      const a = await sink.deliverPage(ctx('run-2', 1, T2), [worker(1, 2), worker(2, 2)]);
      assert.deepEqual([a.inserted, a.updated, a.unchanged], [0, 0, 2]);
      assert.equal((await row(schema, 1)).business_title, 'Engineer v1');
      assert.equal((await row(schema, 2)).business_title, 'Engineer v3');
      // A later snapshot still writes, and an unchanged one never moves the marker back.
      await sink.deliverPage(ctx('run-4', 1, '2024-04-01T00:00:00.000Z'), [worker(1, 4)]);
      assert.equal((await row(schema, 1)).business_title, 'Engineer v4');
      await sink.deliverPage(ctx('run-1', 1, T1), [worker(1, 4)]);
      assert.equal(new Date((await row(schema, 1)).asof as string).toISOString(), '2024-04-01T00:00:00.000Z');
    });

    test('finalize marks absentees removed only for a complete full run; a returning worker is restored', async () => {
      const { sink, schema } = await freshSink();
      await sink.deliverPage(ctx('full-1', 1, T1), workers(1, 3));
      await sink.deliverPage(ctx('full-1', 2, T1), workers(4, 6));
      assert.deepEqual(
        await sink.finalizeRun!({
          runId: 'full-1',
          mode: 'full',
          pages: [1, 2],
          complete: true,
          asOfEntry: T1,
        }),
        { removed: 0, removedWids: [] },
      );

      // Workers 5 and 6 are gone at T2; 1 changed; the rest unchanged (not rewritten, yet not removed).
      await sink.deliverPage(ctx('full-2', 1, T2), [worker(1, 2), worker(2), worker(3)]);
      await sink.deliverPage(ctx('full-2', 2, T2), [worker(4)]);

      const incomplete = await sink.finalizeRun!({
        runId: 'full-2',
        mode: 'full',
        pages: [1, 2, 3],
        complete: false,
        asOfEntry: T2,
      });
      assert.equal(incomplete.removed, 0);
      const delta = await sink.finalizeRun!({
        runId: 'full-2',
        mode: 'delta',
        pages: [1, 2],
        complete: true,
        asOfEntry: T2,
      });
      assert.equal(delta.removed, 0);
      await assert.rejects(
        sink.finalizeRun!({ runId: 'full-2', mode: 'full', pages: [1, 2, 3], complete: true, asOfEntry: T2 }),
        /pages 3 were never delivered/,
      );
      assert.equal(await count(schema, 'removed_at IS NOT NULL'), 0);

      const done = await sink.finalizeRun!({
        runId: 'full-2',
        mode: 'full',
        pages: [1, 2],
        complete: true,
        asOfEntry: T2,
      });
      assert.equal(done.removed, 2);
      assert.deepEqual([...(done.removedWids ?? [])].sort(), [widOf(5), widOf(6)].sort());
      assert.equal(await count(schema, 'removed_at IS NULL'), 4);
      // Idempotent: a retried finalize removes nothing more.
      const again = await sink.finalizeRun!({
        runId: 'full-2',
        mode: 'full',
        pages: [1, 2],
        complete: true,
        asOfEntry: T2,
      });
      assert.equal(again.removed, 0);

      // Worker 5 comes back unchanged: the row is restored even though its hash is the same.
      const back = await sink.deliverPage(ctx('full-3', 1, T3), [worker(5)]);
      assert.equal(back.updated, 1);
      assert.equal((await row(schema, 5)).removed_at, null);
    });

    test('a WID twice in one page is written once', async () => {
      const { sink, schema } = await freshSink();
      const r = await sink.deliverPage(ctx('run-a', 1, T1), [worker(1, 1), worker(2), worker(1, 2)]);
      assert.deepEqual([r.inserted, r.updated, r.unchanged], [2, 0, 1]);
      assert.equal((await row(schema, 1)).business_title, 'Engineer v2');
    });

    test('a page of 999 workers is one batched delivery', async () => {
      const { sink, schema } = await freshSink();
      let beats = 0;
      const started = Date.now();
      const r = await sink.deliverPage({ ...ctx('big', 1, T1), heartbeat: () => beats++ }, workers(1, 999));
      assert.equal(r.inserted, 999);
      assert.ok(beats >= 1);
      assert.equal(await count(schema), 999);
      const again = await sink.deliverPage(ctx('big-2', 1, T2), workers(1, 999));
      assert.equal(again.unchanged, 999);
      assert.ok(Date.now() - started < 15_000, 'batched upserts should take well under a second or two');
    });

    test('reduced response groups keep the stored sections that were not fetched', async () => {
      const { sink, schema } = await freshSink();
      await sink.deliverPage(ctx('groups-full', 1, T1), [worker(1), worker(2)]);
      // A --groups personal run: new name, no employment/organizations sections in the records.
      const partial = (n: number) => {
        const { employment: _e, organizations: _o, compensation: _c, ...rest } = worker(n);
        return { ...rest, personal: { ...rest.personal!, workEmail: `new${n}@example.com` } };
      };
      const groups = { personal: true, employment: false, compensation: false, organizations: false };
      const res = await sink.deliverPage({ ...ctx('groups-p', 1, T2), responseGroups: groups }, [
        partial(1),
        partial(3),
      ]);
      const merged1 = { ...worker(1), personal: partial(1).personal };
      assert.deepEqual([res.updated, res.inserted], [1, 1]);
      assert.equal(res.outcomes[0].hash, contentHash(merged1), 'hash over the merged record');
      const r1 = await row(schema, 1);
      assert.deepEqual(r1.record, JSON.parse(JSON.stringify(merged1)));
      assert.equal(r1.work_email, 'new1@example.com');
      assert.equal(r1.position_title, 'Engineer', 'flat columns come from the merged record');
      assert.equal(r1.supervisory_org_id, 'ORG-1');
      assert.equal(r1.content_hash, contentHash(merged1));
      // A new worker has only what was fetched.
      assert.deepEqual((await row(schema, 3)).record, JSON.parse(JSON.stringify(partial(3))));
      // The same partial data again is unchanged: the merged hash equals the stored one.
      const again = await sink.deliverPage({ ...ctx('groups-p2', 1, T3), responseGroups: groups }, [
        partial(1),
      ]);
      assert.equal(again.unchanged, 1);
      // Without reduced groups a missing section means none (e.g. no compensation plan).
      const plain = await sink.deliverPage(ctx('groups-none', 1, T3), [partial(2)]);
      assert.equal(plain.updated, 1);
      assert.equal((await row(schema, 2)).position_title, null);
    });

    if (backend === 'postgres') {
      test('two attempts of the same page at once: one writes, the other finds it delivered', async () => {
        const { sink } = await freshSink();
        const results = await Promise.all([
          sink.deliverPage(ctx('race', 1, T1), workers(1, 50)),
          sink.deliverPage(ctx('race', 1, T1), workers(1, 50)),
          sink.deliverPage(ctx('race', 1, T1), workers(1, 50)),
        ]);
        assert.equal(results.filter((r) => !r.alreadyDelivered).length, 1);
        assert.equal(
          results.reduce((sum, r) => sum + r.inserted, 0),
          50,
        );
      });
    }
  });
}
