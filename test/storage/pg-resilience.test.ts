import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { DbConnectionError, type DbOpenError, isRetryableDbError, redactUrl } from '../../src/db/errors';
import { openDb } from '../../src/db/open';
import type { Db } from '../../src/db/types';
import { createPostgresSink } from '../../src/sinks/postgres';
import { DATABASE_URL, dropSchema, openTestDb, randomSchema, retryOnce, workers } from './helpers';

const T1 = '2024-01-01T00:00:00.000Z';

describe('openDb errors', () => {
  test('an unreachable server names host:port and what to do, never the password', async () => {
    await assert.rejects(
      openDb('postgres://wd:s3cret@127.0.0.1:1/nowhere', { connectTimeoutMs: 2000 }),
      (err: Error) => {
        assert.match(
          err.message,
          /^cannot connect to PostgreSQL at 127\.0\.0\.1:1 \(.+\); start it or set DATABASE_URL$/,
        );
        assert.doesNotMatch(err.message, /s3cret/);
        assert.equal((err as DbOpenError).retryable, true);
        return true;
      },
    );
  });

  test('a missing database says to create it', async () => {
    const url = new URL(DATABASE_URL);
    url.pathname = '/wdsync_no_such_db';
    await assert.rejects(openDb(url.toString()), /does not exist.*create the database/);
  });

  test('unknown URL schemes are refused with the accepted forms', async () => {
    await assert.rejects(openDb('mysql://x'), /postgres:\/\/, postgresql:\/\/ or pglite:/);
  });

  test('redactUrl hides passwords inside any text', () => {
    assert.equal(
      redactUrl('failed: postgres://user:pa55@db:5432/x and postgresql://u:p@h/y'),
      'failed: postgres://user:***@db:5432/x and postgresql://u:***@h/y',
    );
    assert.equal(redactUrl('postgres://user@db/x'), 'postgres://user@db/x');
  });
});

describe('terminated backends (pg_terminate_backend)', () => {
  const app = `wdsync-test-${randomBytes(4).toString('hex')}`;
  const schema = randomSchema();
  let db: Db;
  let admin: Client;

  before(async () => {
    db = await openTestDb('postgres', { applicationName: app });
    admin = new Client({ connectionString: DATABASE_URL });
    await admin.connect();
  });
  after(async () => {
    await dropSchema(db, schema);
    await db.close();
    await admin.end();
  });

  async function terminateAll(): Promise<number> {
    const { rows } = await admin.query(
      'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1',
      [app],
    );
    return rows.length;
  }

  test('idle connections dropped: no crash, and the next delivery works (retried once at most)', async () => {
    const sink = createPostgresSink({ name: 'pg', db, schema });
    await sink.init();
    // Open several pooled connections, then kill every one of them while idle.
    await Promise.all(Array.from({ length: 4 }, () => db.query('SELECT pg_sleep(0.05)')));
    assert.ok((await terminateAll()) >= 1);
    await new Promise((r) => setTimeout(r, 50));

    const { value, retried } = await retryOnce(() =>
      sink.deliverPage({ key: { runId: 'r', page: 1 }, asOfEntry: T1 }, workers(1, 20)),
    );
    assert.equal(value.inserted, 20, `delivered after ${retried ? 'one retry' : 'no retry'}`);
    // Even if the delivery had committed before a failure, the ledger makes the retry a no-op.
    const again = await sink.deliverPage({ key: { runId: 'r', page: 1 }, asOfEntry: T1 }, workers(1, 20));
    assert.equal(again.alreadyDelivered, true);
  });

  test('a query in flight on a killed backend fails with a retryable error; the next one works', async () => {
    const inflight = db.query('SELECT pg_sleep(5)');
    const rejected = assert.rejects(inflight, (err: Error) => {
      assert.ok(err instanceof DbConnectionError, `${err.name}: ${err.message}`);
      assert.ok(isRetryableDbError(err));
      assert.match(err.message, /lost connection to PostgreSQL at .*safe to retry/);
      return true;
    });
    await new Promise((r) => setTimeout(r, 200));
    await terminateAll();
    await rejected;
    const { value } = await retryOnce(() => db.query<{ one: number }>('SELECT 1 AS one'));
    assert.equal(value.rows[0].one, 1);
  });

  test('a backend killed mid-transaction rolls back; the retried delivery lands every record once', async () => {
    const sink = createPostgresSink({ name: 'pg', db, schema });
    const key = { runId: 'mid', page: 1 };
    // Hold the ledger row lock from outside so the delivery transaction is parked inside, then kill it.
    await admin.query('BEGIN');
    await admin.query(
      `INSERT INTO "${schema}".sink_ledger (sink, run_id, page, as_of_entry) VALUES ('pg', 'mid', 1, $1)`,
      [T1],
    );
    const attempt = sink.deliverPage({ key, asOfEntry: T1 }, workers(100, 140));
    await new Promise((r) => setTimeout(r, 200));
    await terminateAll();
    await assert.rejects(attempt, (err) => isRetryableDbError(err));
    await admin.query('ROLLBACK');

    // Every backend was killed, idle pooled ones too: the pool may hand out more dead ones before
    // it has seen them close (on a loaded machine, more than one), so the delivery is retried as
    // Temporal would: after a pause, while the error is a retryable one.
    let value: Awaited<ReturnType<typeof sink.deliverPage>> | undefined;
    for (let attempt = 1; !value; attempt++) {
      await new Promise((r) => setTimeout(r, 300));
      try {
        value = await sink.deliverPage({ key, asOfEntry: T1 }, workers(100, 140));
      } catch (err) {
        if (!isRetryableDbError(err) || attempt === 5) throw err;
      }
    }
    assert.equal(value.inserted, 41);
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}".workers WHERE source_run = 'mid'`,
    );
    assert.equal(rows[0].n, 41);
  });
});
