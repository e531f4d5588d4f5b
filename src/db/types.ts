/**
 * The smallest SQL surface wdsync needs, so the same sink, staging and audit code runs on a
 * PostgreSQL server (node-postgres pool) and on the embedded PGlite database used by the demo.
 */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
}

export interface Db extends Queryable {
  /** Runs fn inside BEGIN/COMMIT on one connection; rolls back if fn throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** 'postgres' for a server, 'pglite' for the embedded database. */
  readonly kind: 'postgres' | 'pglite';
}
