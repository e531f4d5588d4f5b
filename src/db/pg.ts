import { Pool, type PoolClient, type PoolConfig } from 'pg';
import type { Db, Queryable, QueryResult } from './types';
import { DbConnectionError, DbOpenError, isConnectionError, redactUrl } from './errors';

export interface PgOptions {
  /** Connections per process. Sinks and staging share it; a worker rarely needs more. */
  max?: number;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Shown in pg_stat_activity; lets operators (and tests) find wdsync's backends. */
  applicationName?: string;
  /** Called for errors on idle connections (e.g. a terminated backend); they are never fatal. */
  onIdleError?: (err: Error) => void;
}

function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}`;
  } catch {
    return redactUrl(url);
  }
}

function explainOpenFailure(err: unknown, url: string): DbOpenError {
  const target = describeTarget(url);
  const code = (err as { code?: string }).code;
  const detail = redactUrl(err instanceof Error ? err.message || code || String(err) : String(err));
  let next = 'start it or set DATABASE_URL';
  if (code === '3D000') next = 'create the database (createdb) or fix DATABASE_URL';
  else if (code === '28P01' || code === '28000') next = 'check the user and password in DATABASE_URL';
  return new DbOpenError(`cannot connect to PostgreSQL at ${target} (${detail}); ${next}`, {
    cause: err,
    retryable: isConnectionError(err) || code === 'ENOTFOUND',
  });
}

export async function openPg(url: string, options: PgOptions = {}): Promise<Db> {
  const target = describeTarget(url);
  const config: PoolConfig = {
    connectionString: url,
    max: options.max ?? 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    statement_timeout: options.statementTimeoutMs ?? 120_000,
    // A transaction left open by a crashed caller must not hold row locks forever.
    idle_in_transaction_session_timeout: 300_000,
    // PGAPPNAME (libpq's variable) tells this deployment's connections apart in pg_stat_activity.
    application_name: options.applicationName ?? (process.env.PGAPPNAME || 'wdsync'),
    keepAlive: true,
  };
  const pool = new Pool(config);
  // Without a listener, an idle client whose backend dies (pg_terminate_backend, server restart)
  // emits an unhandled 'error' and kills the process. The pool already discards that client.
  pool.on('error', (err) => options.onIdleError?.(err));

  const wrap = (err: unknown): unknown => {
    if (!isConnectionError(err) || err instanceof DbConnectionError) return err;
    const msg = redactUrl(err instanceof Error ? err.message : String(err));
    return new DbConnectionError(`lost connection to PostgreSQL at ${target} (${msg}); safe to retry`, {
      cause: err,
      code: (err as { code?: string }).code,
    });
  };

  const toResult = <R>(r: { rows: R[]; rowCount: number | null }): QueryResult<R> => ({
    rows: r.rows,
    rowCount: r.rowCount ?? r.rows.length,
  });

  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => {});
    throw explainOpenFailure(err, url);
  }

  async function begin(): Promise<PoolClient> {
    // A pooled client can be dead without the pool knowing yet (its backend was just terminated).
    // Nothing has been sent at BEGIN, so a fresh client is a safe second attempt.
    for (let attempt = 1; ; attempt++) {
      const client = await pool.connect().catch((err) => {
        throw wrap(err);
      });
      client.on('error', noop);
      try {
        await client.query('BEGIN');
        return client;
      } catch (err) {
        client.off('error', noop);
        client.release(err instanceof Error ? err : true);
        if (attempt >= 2 || !isConnectionError(err)) throw wrap(err);
      }
    }
  }

  return {
    kind: 'postgres',
    async query<R>(sql: string, params?: readonly unknown[]) {
      try {
        return toResult(await pool.query<R & object>(sql, params as unknown[] | undefined)) as QueryResult<R>;
      } catch (err) {
        throw wrap(err);
      }
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await begin();
      const tx: Queryable = {
        async query<R>(sql: string, params?: readonly unknown[]) {
          try {
            return toResult(
              await client.query<R & object>(sql, params as unknown[] | undefined),
            ) as QueryResult<R>;
          } catch (err) {
            throw wrap(err);
          }
        },
      };
      try {
        const result = await fn(tx);
        await client.query('COMMIT');
        client.off('error', noop);
        client.release();
        return result;
      } catch (err) {
        let broken: Error | undefined;
        await client.query('ROLLBACK').catch((e: Error) => {
          broken = e;
        });
        client.off('error', noop);
        // Destroy rather than pool a client whose connection failed.
        client.release(broken ?? (isConnectionError(err) ? (err as Error) : undefined));
        throw wrap(err);
      }
    },
    async close() {
      await pool.end();
    },
  };
}

function noop(): void {}
