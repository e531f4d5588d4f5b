import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite, type Results } from '@electric-sql/pglite';
import { PRIVATE_FILE_MODE, mkdirPrivate, tightenTree } from '../paths/private';
import type { Db, Queryable, QueryResult } from './types';

function toResult<R>(r: Results<R>): QueryResult<R> {
  return { rows: r.rows, rowCount: r.rowCount ?? r.affectedRows ?? r.rows.length };
}

/**
 * PGlite is one backend behind one connection: a query issued while a transaction is open would
 * run inside it. Every top-level query and transaction therefore waits its turn here.
 * Calling db.query from inside db.transaction's callback deadlocks; use the tx argument.
 */
function createMutex() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => {});
    return run;
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite has no locking of its own: two processes on one data directory corrupt it. A pid file
 * turns that into a clear error; a lock left by a dead process is taken over.
 */
const openDirs = new Set<string>();

function lockDir(dir: string): () => void {
  if (openDirs.has(dir)) {
    throw new Error(
      `the embedded database ${dir} is already open in this process; share its Db instead of opening it twice`,
    );
  }
  const file = path.join(dir, 'wdsync.lock');
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx', mode: PRIVATE_FILE_MODE });
      openDirs.add(dir);
      return () => {
        openDirs.delete(dir);
        rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (holder && holder !== process.pid && alive(holder)) {
        throw new Error(
          `the embedded database ${dir} is in use by process ${holder}; stop it, or point DATABASE_URL ` +
            'at a PostgreSQL server to share data between processes',
        );
      }
      rmSync(file, { force: true });
    }
  }
}

/** target: 'memory' or a directory (created if missing). */
export async function openPglite(target: string): Promise<Db> {
  if (target === 'memory') return wrapPglite(await PGlite.create());
  const dir = path.resolve(target);
  mkdirPrivate(dir);
  const unlock = lockDir(dir);
  let pg: PGlite;
  try {
    pg = await PGlite.create(dir);
  } catch (err) {
    unlock();
    throw new Error(
      `cannot open the embedded database in ${dir} (${(err as Error).message}); ` +
        'the directory may not be a PGlite data directory',
      { cause: err },
    );
  }
  // PGlite writes its files 0666 whatever the umask: owner-only now, and again at close for
  // files created meanwhile (the directory itself is 0700, so they are never reachable by others).
  tightenTree(dir);
  return wrapPglite(pg, () => {
    tightenTree(dir);
    unlock();
  });
}

/** A Db over an already-open PGlite instance (tests load one from a template to skip initdb). */
export function wrapPglite(pg: PGlite, onClose?: () => void): Db {
  const exclusive = createMutex();
  return {
    kind: 'pglite',
    query<R>(sql: string, params?: readonly unknown[]) {
      return exclusive(async () => toResult(await pg.query<R>(sql, params ? [...params] : undefined)));
    },
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return exclusive(() =>
        pg.transaction(async (t) => {
          const tx: Queryable = {
            query: async <R>(sql: string, params?: readonly unknown[]) =>
              toResult(await t.query<R>(sql, params ? [...params] : undefined)),
          };
          return fn(tx);
        }),
      );
    },
    close() {
      return exclusive(async () => {
        if (!pg.closed) await pg.close();
        onClose?.();
      });
    },
  };
}
