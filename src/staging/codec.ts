import { promisify } from 'node:util';
import { createGzip, gunzip, gzip } from 'node:zlib';
import type { NormalizedWorker } from '../domain/worker-record';
import type { PackedRecords } from './types';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** JSON payloads are stored gzip'd; a 999-worker page shrinks ~10x. */
export async function packJson(value: unknown): Promise<Buffer> {
  return gzipAsync(Buffer.from(JSON.stringify(value)), { level: 6 });
}

export async function unpackJson<T>(buf: Uint8Array): Promise<T> {
  return JSON.parse((await gunzipAsync(buf)).toString('utf8')) as T;
}

const PACK_BATCH_CHARS = 64 * 1024;

/**
 * A page's records serialized and compressed as the parser hands them on, so a page being fetched
 * holds its records as gzip (about a tenth of the JSON) and never as objects. The result is the
 * same gzip'd JSON array packJson makes of the list.
 */
export function createRecordsPacker() {
  const gz = createGzip({ level: 6 });
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  let count = 0;
  // Records are written to gzip in batches: one write per record (2 KB) is a trip to the zlib
  // thread each, which cost five times the CPU of the compression itself.
  let batch: string[] = [];
  let batchChars = 0;
  const flush = () => {
    if (batch.length === 0) return;
    gz.write(batch.join(''));
    batch = [];
    batchChars = 0;
  };
  return {
    add(record: NormalizedWorker) {
      const json = JSON.stringify(record);
      batch.push(count === 0 ? '[' : ',', json);
      batchChars += json.length + 1;
      count++;
      if (batchChars >= PACK_BATCH_CHARS) flush();
    },
    finish(): Promise<PackedRecords> {
      flush();
      return new Promise((resolve, reject) => {
        gz.once('error', reject);
        gz.once('end', () => resolve({ count, gzip: Buffer.concat(out) }));
        gz.end(count === 0 ? '[]' : ']');
      });
    },
    /** Drops what was packed (the fetch failed). */
    discard() {
      gz.destroy();
    },
  };
}

/** The list as PackedRecords: a store handles both shapes the same way. */
export async function packRecords(records: NormalizedWorker[] | PackedRecords): Promise<PackedRecords> {
  return Array.isArray(records) ? { count: records.length, gzip: await packJson(records) } : records;
}

/** gzip of one JSON text: gzip members concatenated decompress to their texts concatenated. */
export const gzipText = (text: string): Promise<Buffer> => gzipAsync(Buffer.from(text), { level: 6 });

/** A raw response gzip'd as fetchPage stages it (level 1: staged raw XML is transient). */
export const gzipRaw = (buf: Uint8Array): Promise<Buffer> => gzipAsync(buf, { level: 1 });

export async function gunzipBuffer(buf: Uint8Array): Promise<Buffer> {
  return gunzipAsync(buf);
}
