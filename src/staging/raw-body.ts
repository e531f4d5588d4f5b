import { createHash } from 'node:crypto';
import { type Gzip, createGzip } from 'node:zlib';

/**
 * A page's raw response body as it streams, made ready for staging: gzip bytes and the sha256 of
 * the body. When Workday sent the body gzip-encoded, its own bytes are kept as they came: the page
 * is not compressed a second time (level 1 on a 15 MB page is about 60 ms of CPU). Otherwise it is
 * compressed here, at level 1, since staged raw XML is transient.
 */
export interface RawBodyStager {
  /** The body as gzip on the wire (WorkdayPort's onGzipChunk): arrives before its decompressed bytes. */
  onGzipChunk(chunk: Buffer): void;
  /** The decompressed body (WorkdayPort's onRawChunk). */
  onRawChunk(chunk: Buffer): void;
  finish(): Promise<{ rawGzip: Buffer; checksum: string }>;
  /** Drops what was received (the fetch failed). */
  discard(): void;
}

export function createRawBodyStager(): RawBodyStager {
  const sha = createHash('sha256');
  const wire: Buffer[] = [];
  let gzip: Gzip | undefined;
  const gzipped: Buffer[] = [];
  const compressor = () => {
    if (!gzip) {
      gzip = createGzip({ level: 1, chunkSize: 256 * 1024 });
      gzip.on('data', (c: Buffer) => gzipped.push(c));
    }
    return gzip;
  };
  return {
    onGzipChunk(chunk) {
      wire.push(chunk);
    },
    onRawChunk(chunk) {
      sha.update(chunk);
      if (wire.length === 0) compressor().write(chunk);
    },
    async finish() {
      const checksum = sha.digest('hex');
      if (wire.length > 0) return { rawGzip: Buffer.concat(wire), checksum };
      const z = compressor();
      const rawGzip = await new Promise<Buffer>((resolve, reject) => {
        z.once('error', reject);
        z.once('end', () => resolve(Buffer.concat(gzipped)));
        z.end();
      });
      return { rawGzip, checksum };
    },
    discard() {
      gzip?.destroy();
      wire.length = 0;
    },
  };
}
