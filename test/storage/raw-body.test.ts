import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createRecordsPacker, unpackJson } from '../../src/staging/codec';
import { createRawBodyStager } from '../../src/staging/raw-body';
import { workers } from './helpers';

const body = Buffer.from(`<env:Envelope>${'<wd:Worker>x</wd:Worker>'.repeat(5000)}</env:Envelope>`);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const chunks = (b: Buffer, size: number) =>
  Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size));

describe('staging a raw response body', () => {
  test('a body Workday sent gzip-encoded is kept as the very bytes on the wire', async () => {
    const wire = gzipSync(body, { level: 9 });
    const s = createRawBodyStager();
    // As the client calls them: each wire chunk before the body it holds.
    s.onGzipChunk(wire.subarray(0, 100));
    s.onGzipChunk(wire.subarray(100));
    for (const c of chunks(body, 4096)) s.onRawChunk(c);
    const { rawGzip, checksum } = await s.finish();
    assert.ok(rawGzip.equals(wire), 'not compressed again');
    assert.equal(checksum, sha(body), 'the checksum is of the body, not of the wire bytes');
  });

  test('a body sent uncompressed is compressed here, and reads back whole', async () => {
    const s = createRawBodyStager();
    for (const c of chunks(body, 4096)) s.onRawChunk(c);
    const { rawGzip, checksum } = await s.finish();
    assert.ok(gunzipSync(rawGzip).equals(body));
    assert.ok(rawGzip.length < body.length / 10);
    assert.equal(checksum, sha(body));
  });

  test('an empty body stages as the gzip of nothing', async () => {
    const { rawGzip, checksum } = await createRawBodyStager().finish();
    assert.equal(gunzipSync(rawGzip).length, 0);
    assert.equal(checksum, sha(Buffer.alloc(0)));
  });
});

describe('packing records while a page streams', () => {
  test('records written in several batches read back as the one list, in order', async () => {
    const list = workers(1, 999);
    assert.ok(JSON.stringify(list).length > 3 * 64 * 1024, 'more than one batch');
    const packer = createRecordsPacker();
    for (const w of list) packer.add(w);
    const packed = await packer.finish();
    assert.equal(packed.count, 999);
    assert.deepEqual(await unpackJson(packed.gzip), JSON.parse(JSON.stringify(list)));
  });
});
