import { promises as fs } from 'node:fs';
import path from 'node:path';
import { inside } from '../paths/inside';
import type { NormalizedWorker } from '../domain/worker-record';
import type { Cipher } from '../crypto/cipher';
import { writeFileAtomic } from './atomic';
import { pageSealing } from './sealing';
import { gunzipBuffer, gzipText, packRecords, unpackJson } from './codec';
import { type StagedRunInfo, type StagingStore, StagingMissingError } from './types';
import type { DeadLetter } from '../domain/dead-letter';
import type { PageKey } from '../domain/page';

export interface FsStagingOptions {
  /** Default .wdsync/staging, relative to the working directory. */
  dir?: string;
  /** Encrypts staged pages (AES-256-GCM); without it pages are stored as gzip only. */
  cipher?: Cipher;
}

interface StagedPayload {
  v: 1;
  records: NormalizedWorker[];
  deadLetters: DeadLetter[];
}

const PAGE_FILE = /^page-(\d+)\.json\.gz$/;

/**
 * Filesystem staging: <dir>/<runId>/page-<n>.raw.gz (the raw response) and page-<n>.json.gz
 * (records and dead letters). The JSON file is written last, so its presence means the page is
 * complete. Needs a directory every worker can read, i.e. one host or a shared volume.
 */
export function createFsStaging(options: FsStagingOptions = {}): StagingStore {
  const root = path.resolve(options.dir ?? path.join('.wdsync', 'staging'));
  const sealing = pageSealing(options.cipher);
  // Run ids are workflow ids and may hold characters that are not safe in a file name; encoding
  // leaves "." and "..", which inside() refuses.
  const runDir = (runId: string) => inside(root, encodeURIComponent(runId));
  const files = (key: PageKey) => {
    if (!Number.isInteger(key.page) || key.page < 1) throw new Error(`invalid page number ${key.page}`);
    const dir = runDir(key.runId);
    return {
      raw: inside(dir, `page-${key.page}.raw.gz`),
      json: inside(dir, `page-${key.page}.json.gz`),
    };
  };

  async function read(file: string, key: PageKey): Promise<Buffer> {
    try {
      return await fs.readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new StagingMissingError(key);
      throw err;
    }
  }

  const payload = async (key: PageKey) =>
    unpackJson<StagedPayload>(sealing.open(key, 'records', await read(files(key).json, key)));

  return {
    kind: 'fs',
    async put(key, page) {
      const f = files(key);
      // The StagedPayload JSON, as three gzip members around the records packed while fetching
      // (gunzip reads concatenated members as one text): the records are never re-serialized.
      const records = await packRecords(page.records);
      const packed = Buffer.concat([
        await gzipText(`{"v":1,"deadLetters":${JSON.stringify(page.deadLetters)},"records":`),
        records.gzip,
        await gzipText('}'),
      ]);
      const raw = sealing.seal(key, 'raw', page.rawGzip);
      const json = sealing.seal(key, 'records', packed);
      await writeFileAtomic(f.raw, raw);
      await writeFileAtomic(f.json, json);
      return { ref: `fs:${f.json}`, bytes: raw.length + json.length };
    },
    async has(key) {
      return fs.access(files(key).json).then(
        () => true,
        () => false,
      );
    },
    async getRecords(key) {
      return (await payload(key)).records;
    },
    async getDeadLetters(key) {
      return (await payload(key)).deadLetters;
    },
    async getRaw(key) {
      return gunzipBuffer(sealing.open(key, 'raw', await read(files(key).raw, key)));
    },
    async listRuns() {
      const entries = await fs.readdir(root, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [];
        throw err;
      });
      const runs: StagedRunInfo[] = [];
      for (const entry of entries) {
        if (!entry.isDirectory()) continue;
        const dir = path.join(root, entry.name);
        let pages = 0;
        let bytes = 0;
        let updatedAt = 0;
        for (const name of await fs.readdir(dir)) {
          if (name.startsWith('.')) continue;
          const st = await fs.stat(path.join(dir, name)).catch(() => undefined);
          if (!st) continue;
          if (PAGE_FILE.test(name)) pages++;
          bytes += st.size;
          updatedAt = Math.max(updatedAt, st.mtimeMs);
        }
        if (updatedAt === 0) updatedAt = (await fs.stat(dir)).mtimeMs;
        runs.push({ runId: decodeURIComponent(entry.name), pages, bytes, updatedAt: new Date(updatedAt) });
      }
      return runs.sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime());
    },
    async deleteRun(runId) {
      const dir = runDir(runId);
      const names = await fs.readdir(dir).catch(() => [] as string[]);
      const pages = names.filter((n) => PAGE_FILE.test(n)).length;
      await fs.rm(dir, { recursive: true, force: true });
      return pages;
    },
    async close() {},
  };
}
