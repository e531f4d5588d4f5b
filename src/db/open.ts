import type { Db } from './types';
import { openPg, type PgOptions } from './pg';
import { openPglite } from './pglite';

export type { PgOptions } from './pg';

/**
 * Opens the database named by a URL:
 * - `postgres://…` / `postgresql://…`: a PostgreSQL server through a node-postgres pool;
 * - `pglite:<dir>`: the embedded database, persisted in <dir>;
 * - `pglite:memory`: the embedded database, gone on close (tests).
 */
export async function openDb(url: string, options: PgOptions = {}): Promise<Db> {
  if (/^postgres(ql)?:\/\//i.test(url)) return openPg(url, options);
  if (url.startsWith('pglite:')) {
    const target = url.slice('pglite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!target) throw new Error('pglite: needs a directory or "memory", e.g. pglite:.wdsync/db');
    return openPglite(target);
  }
  throw new Error(
    'DATABASE_URL must start with postgres://, postgresql:// or pglite: (e.g. pglite:.wdsync/db for the embedded database)',
  );
}
