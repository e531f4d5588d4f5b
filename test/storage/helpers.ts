import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { openDb } from '../../src/db/open';
import { wrapPglite } from '../../src/db/pglite';
import type { Db } from '../../src/db/types';
import { isRetryableDbError } from '../../src/db/errors';
import { NormalizedWorker } from '../../src/domain/worker-record';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const BACKENDS = ['postgres', 'pglite'] as const;
export type Backend = (typeof BACKENDS)[number];

export function randomSchema(prefix = 't'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export async function openTestDb(backend: Backend, options: { applicationName?: string } = {}): Promise<Db> {
  if (backend === 'postgres') return openDb(DATABASE_URL, { max: 6, ...options });
  return wrapPglite(await PGlite.create({ loadDataDir: await pgliteTemplate() }));
}

/**
 * initdb inside PGlite takes seconds; loading a dump of a fresh cluster takes one. The dump is
 * cached in the temp directory, per PGlite version, and shared by every test file.
 */
async function pgliteTemplate(): Promise<Blob> {
  const pkg = path.join(path.dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json');
  const { version } = JSON.parse(readFileSync(pkg, 'utf8')) as { version: string };
  const file = path.join(tmpdir(), `wdsync-pglite-template-${version}.tar`);
  if (!existsSync(file)) {
    const pg = await PGlite.create();
    const dump = Buffer.from(await (await pg.dumpDataDir('none')).arrayBuffer());
    await pg.close();
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, dump);
    renameSync(tmp, file);
  }
  return new Blob([readFileSync(file)]);
}

export async function dropSchema(db: Db, schema: string): Promise<void> {
  await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

export function tempDir(prefix = 'wdsync-test-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function widOf(n: number): string {
  return createHash('md5').update(`worker-${n}`).digest('hex');
}

/** A valid fabricated worker; `v` changes the business title so the content hash changes. */
export function worker(n: number, v = 1, extra: Partial<NormalizedWorker> = {}): NormalizedWorker {
  return NormalizedWorker.parse({
    wid: widOf(n),
    workerId: `E${String(n).padStart(6, '0')}`,
    workerType: 'Employee',
    descriptor: `Person ${n}`,
    personal: {
      legalName: { formatted: `Person ${n}`, first: `First${n}`, last: `Last${n}` },
      workEmail: `person${n}@example.com`,
    },
    employment: {
      positionTitle: 'Engineer',
      businessTitle: `Engineer v${v}`,
      managerWid: widOf(0),
      active: true,
      hireDate: '2020-01-15',
      terminated: false,
    },
    organizations: { supervisoryOrgId: 'ORG-1' },
    ...extra,
  });
}

export function workers(from: number, to: number, v = 1): NormalizedWorker[] {
  const out: NormalizedWorker[] = [];
  for (let n = from; n <= to; n++) out.push(worker(n, v));
  return out;
}

/** What an activity does with a dropped connection: Temporal retries it; here, once. */
export async function retryOnce<T>(fn: () => Promise<T>): Promise<{ value: T; retried: boolean }> {
  try {
    return { value: await fn(), retried: false };
  } catch (err) {
    if (!isRetryableDbError(err)) throw err;
    return { value: await fn(), retried: true };
  }
}
