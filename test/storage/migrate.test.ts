import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { migrate } from '../../src/db/migrate';
import { MIGRATIONS } from '../../src/db/migrations';
import type { Db } from '../../src/db/types';
import { BACKENDS, dropSchema, openTestDb, randomSchema } from './helpers';

const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));
const TABLES = [
  'dead_letters',
  'pages',
  'record_events',
  'runs',
  'schema_migrations',
  'sink_ledger',
  'staged_pages',
  'watermarks',
  'workers',
  'workers_snapshot',
];

for (const backend of BACKENDS) {
  describe(`migrations (${backend})`, () => {
    let db: Db;
    const schemas: string[] = [];
    before(async () => {
      db = await openTestDb(backend);
    });
    after(async () => {
      for (const s of schemas) await dropSchema(db, s);
      await db.close();
    });

    test('apply once, then nothing to do', async () => {
      const schema = randomSchema();
      schemas.push(schema);
      const first = await migrate(db, schema);
      assert.deepEqual(
        first.applied,
        MIGRATIONS.map((m) => m.version),
      );
      assert.equal(first.current, LATEST);
      const second = await migrate(db, schema);
      assert.deepEqual(second.applied, []);
      const { rows } = await db.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
        [schema],
      );
      const tables = new Set(rows.map((r) => r.table_name));
      assert.deepEqual(
        TABLES.filter((t) => !tables.has(t)),
        [],
        'every table of the storage layer exists',
      );
    });

    test('concurrent starts: one applies, the rest wait and find nothing to do', async () => {
      const schema = randomSchema();
      schemas.push(schema);
      const results = await Promise.all(Array.from({ length: 6 }, () => migrate(db, schema)));
      const appliedBy = results.filter((r) => r.applied.length > 0);
      assert.equal(appliedBy.length, 1);
      assert.deepEqual(
        appliedBy[0].applied,
        MIGRATIONS.map((m) => m.version),
      );
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${schema}".schema_migrations`,
      );
      assert.equal(rows[0].n, MIGRATIONS.length);
    });

    test('a schema from a newer wdsync is refused, with what to do', async () => {
      const schema = randomSchema();
      schemas.push(schema);
      await migrate(db, schema);
      await db.query(`INSERT INTO "${schema}".schema_migrations (version, name) VALUES (999, 'future')`);
      await assert.rejects(migrate(db, schema), /version 999 .* upgrade wdsync/);
    });
  });
}

test('schema names are plain identifiers', async () => {
  const fake = { kind: 'pglite' } as Db;
  await assert.rejects(async () => migrate(fake, 'bad"; DROP'), /invalid schema name/);
});
