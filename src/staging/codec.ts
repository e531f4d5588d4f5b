import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** JSON payloads are stored gzip'd; a 999-worker page shrinks ~10x. */
export async function packJson(value: unknown): Promise<Buffer> {
  return gzipAsync(Buffer.from(JSON.stringify(value)), { level: 6 });
}

export async function unpackJson<T>(buf: Uint8Array): Promise<T> {
  return JSON.parse((await gunzipAsync(buf)).toString('utf8')) as T;
}

export async function gunzipBuffer(buf: Uint8Array): Promise<Buffer> {
  return gunzipAsync(buf);
}
