import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDb } from '../../src/db/open';
import type { Db } from '../../src/db/types';
import { BACKENDS, dropSchema, openTestDb, randomSchema, tempDir } from './helpers';

for (const backend of BACKENDS) {
  describe(`Db (${backend})`, () => {
    let db: Db;
    const schema = randomSchema();
    before(async () => {
      db = await openTestDb(backend);
      await db.query(`CREATE SCHEMA "${schema}"`);
      await db.query(`CREATE TABLE "${schema}".t (n int PRIMARY KEY)`);
    });
    after(async () => {
      await dropSchema(db, schema);
      await db.close();
    });

    test('a transaction that throws rolls back, and the error comes through', async () => {
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.query(`INSERT INTO "${schema}".t VALUES (1)`);
          throw new Error('boom');
        }),
        /boom/,
      );
      const { rowCount } = await db.query(`SELECT * FROM "${schema}".t`);
      assert.equal(rowCount, 0);
    });

    test('queries issued while a transaction is open are not part of it', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const tx = db
        .transaction(async (q) => {
          await q.query(`INSERT INTO "${schema}".t VALUES (10)`);
          await gate;
          throw new Error('roll back');
        })
        .catch(() => 'rolled back');
      const outside = db.query(`INSERT INTO "${schema}".t VALUES (11)`);
      setTimeout(release, 50);
      assert.equal(await tx, 'rolled back');
      await outside;
      const { rows } = await db.query<{ n: number }>(`SELECT n FROM "${schema}".t ORDER BY n`);
      assert.deepEqual(
        rows.map((r) => r.n),
        [11],
      );
    });

    test('rowCount counts affected rows', async () => {
      const r = await db.query(`INSERT INTO "${schema}".t VALUES (20), (21), (22)`);
      assert.equal(r.rowCount, 3);
      const u = await db.query(`UPDATE "${schema}".t SET n = n + 100 WHERE n >= 20`);
      assert.equal(u.rowCount, 3);
    });
  });
}

test('pglite:<dir> persists across reopen and creates the directory', async () => {
  const { dir, remove } = tempDir();
  try {
    const target = path.join(dir, 'nested', 'db');
    let db = await openDb(`pglite:${target}`);
    assert.equal(db.kind, 'pglite');
    await db.query('CREATE TABLE kept (v text)');
    await db.query('INSERT INTO kept VALUES ($1)', ['still here']);
    // One PGlite directory, one opener: a second open in this process is refused...
    await assert.rejects(openDb(`pglite:${target}`), /already open in this process/);
    await db.close();
    // ...and so is an open while another live process holds the lock.
    const lock = path.join(target, 'wdsync.lock');
    writeFileSync(lock, String(process.ppid));
    await assert.rejects(openDb(`pglite:${target}`), /in use by process \d+; stop it/);
    // A lock left by a process that is gone is taken over.
    writeFileSync(lock, '2147483646');
    db = await openDb(`pglite:${target}`);
    const { rows } = await db.query<{ v: string }>('SELECT v FROM kept');
    assert.deepEqual(rows, [{ v: 'still here' }]);
    await db.close();
    assert.equal(existsSync(path.join(target, 'wdsync.lock')), false, 'close releases the lock');
  } finally {
    remove();
  }
});

test('pglite: without a target says what to write', async () => {
  await assert.rejects(openDb('pglite:'), /pglite:\.wdsync\/db/);
});
