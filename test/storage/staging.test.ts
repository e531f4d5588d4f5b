import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/db/types';
import { createCipher } from '../../src/crypto/cipher';
import { loadKeyring } from '../../src/crypto/keyring';
import { cleanupStaging } from '../../src/staging/cleanup';
import { createRecordsPacker } from '../../src/staging/codec';
import { createFsStaging } from '../../src/staging/fs';
import { createPgStaging } from '../../src/staging/postgres';
import { type StagingStore, StagingMissingError } from '../../src/staging/types';
import { PathOutsideRootError } from '../../src/paths/inside';
import { BACKENDS, dropSchema, openTestDb, randomSchema, tempDir, workers } from './helpers';

const raw = (n: number) => Buffer.from(`<wd:Get_Workers_Response>page ${n}</wd:Get_Workers_Response>`);
const deadLetters = [{ workerId: 'E1', reason: 'WID missing', fragment: '<wd:Worker>…</wd:Worker>' }];

function suite(name: string, open: () => Promise<{ store: StagingStore; done: () => Promise<void> }>) {
  describe(`staging (${name})`, () => {
    let store: StagingStore;
    let done: () => Promise<void>;
    before(async () => {
      ({ store, done } = await open());
    });
    after(() => done());

    test('round trip: records, dead letters and the raw response', async () => {
      const key = { runId: 'wdsync/full-1', page: 1 };
      assert.equal(await store.has(key), false);
      const put = await store.put(key, { rawGzip: gzipSync(raw(1)), records: workers(1, 50), deadLetters });
      assert.ok(put.ref.length > 0);
      assert.ok(put.bytes > 0);
      assert.equal(await store.has(key), true);
      assert.deepEqual(await store.getRecords(key), workers(1, 50));
      assert.deepEqual(await store.getDeadLetters(key), deadLetters);
      assert.deepEqual(await store.getRaw(key), raw(1));
    });

    test('records packed one by one while a page streams in read back as the same list', async () => {
      const key = { runId: 'wdsync/streamed-1', page: 1 };
      const packer = createRecordsPacker();
      for (const w of workers(1, 40)) packer.add(w);
      const records = await packer.finish();
      assert.equal(records.count, 40);
      await store.put(key, { rawGzip: gzipSync(raw(1)), records, deadLetters });
      assert.deepEqual(await store.getRecords(key), workers(1, 40));
      assert.deepEqual(await store.getDeadLetters(key), deadLetters);
      const empty = createRecordsPacker();
      await store.put(
        { runId: 'wdsync/streamed-1', page: 2 },
        { rawGzip: gzipSync(raw(2)), records: await empty.finish(), deadLetters: [] },
      );
      assert.deepEqual(await store.getRecords({ runId: 'wdsync/streamed-1', page: 2 }), []);
      assert.equal(await store.deleteRun('wdsync/streamed-1'), 2);
    });

    test('putting a page again replaces it', async () => {
      const key = { runId: 'wdsync/full-1', page: 2 };
      await store.put(key, { rawGzip: gzipSync(raw(2)), records: workers(1, 2), deadLetters: [] });
      await store.put(key, { rawGzip: gzipSync(raw(3)), records: workers(3, 3), deadLetters: [] });
      assert.deepEqual(await store.getRecords(key), workers(3, 3));
      assert.deepEqual(await store.getRaw(key), raw(3));
    });

    test('a missing page throws StagingMissingError that says to refetch', async () => {
      const key = { runId: 'nope', page: 7 };
      await assert.rejects(store.getRecords(key), StagingMissingError);
      await assert.rejects(store.getRaw(key), /--refetch/);
    });

    test('listRuns, cleanup by run id and by age', async () => {
      await store.put(
        { runId: 'old-run', page: 1 },
        { rawGzip: gzipSync(raw(1)), records: [], deadLetters: [] },
      );
      const runs = await store.listRuns();
      assert.deepEqual(runs.map((r) => r.runId).sort(), ['old-run', 'wdsync/full-1']);
      const full = runs.find((r) => r.runId === 'wdsync/full-1')!;
      assert.equal(full.pages, 2);
      assert.ok(full.bytes > 0);

      await assert.rejects(cleanupStaging(store, {}), /run id, or an age/);
      assert.deepEqual(await cleanupStaging(store, { runId: 'old-run' }), { runs: ['old-run'], pages: 1 });
      // Nothing is older than an hour yet.
      assert.deepEqual(await cleanupStaging(store, { olderThanMs: 3_600_000 }), { runs: [], pages: 0 });
      const later = new Date(Date.now() + 2 * 3_600_000);
      assert.deepEqual(await cleanupStaging(store, { olderThanMs: 3_600_000, now: later }), {
        runs: ['wdsync/full-1'],
        pages: 2,
      });
      assert.deepEqual(await store.listRuns(), []);
      assert.equal(await store.has({ runId: 'wdsync/full-1', page: 1 }), false);
    });
  });
}

describe('staging (fs): every path stays inside the staging directory', () => {
  test('run ids "." and ".." are refused; nothing lands beside it and other runs survive', async () => {
    const { dir, remove } = tempDir();
    try {
      const root = path.join(dir, 'staging');
      const store = createFsStaging({ dir: root });
      const page = () => ({ rawGzip: gzipSync(raw(1)), records: workers(1, 2), deadLetters: [] });
      await store.put({ runId: 'other-run', page: 1 }, page());
      for (const runId of ['.', '..']) {
        const key = { runId, page: 1 };
        await assert.rejects(store.put(key, page()), PathOutsideRootError, `put ${runId}`);
        await assert.rejects(store.getRecords(key), /resolves outside/, `getRecords ${runId}`);
        await assert.rejects(store.has(key), /resolves outside/, `has ${runId}`);
        // "." once addressed the root itself, and deleting it removed every run's pages.
        await assert.rejects(store.deleteRun(runId), /resolves outside/, `deleteRun ${runId}`);
      }
      assert.deepEqual(readdirSync(dir), ['staging'], 'nothing written beside the staging directory');
      assert.equal(await store.has({ runId: 'other-run', page: 1 }), true, 'the other run is intact');
      // Slashes and dots inside an id stay one encoded directory name under the root.
      await store.put({ runId: '../escape', page: 1 }, page());
      assert.deepEqual(readdirSync(root).sort(), ['..%2Fescape', 'other-run']);
      assert.deepEqual(readdirSync(dir), ['staging']);
    } finally {
      remove();
    }
  });
});

suite('fs', async () => {
  const { dir, remove } = tempDir();
  return { store: createFsStaging({ dir }), done: async () => remove() };
});

// The same behaviour with encryption at rest on, as it is by default.
const keyDir = tempDir('wdsync-keys-');
after(() => keyDir.remove());
const cipher = () => createCipher(loadKeyring(path.join(keyDir.dir, 'keys.json'), { createIfMissing: true }));

suite('fs, encrypted', async () => {
  const { dir, remove } = tempDir();
  return { store: createFsStaging({ dir, cipher: cipher() }), done: async () => remove() };
});

for (const [backend, encrypted] of BACKENDS.flatMap(
  (b) =>
    [
      [b, false],
      [b, true],
    ] as const,
)) {
  suite(encrypted ? `${backend}, encrypted` : backend, async () => {
    const db: Db = await openTestDb(backend);
    const schema = randomSchema();
    return {
      store: createPgStaging({ db, schema, cipher: encrypted ? cipher() : undefined }),
      done: async () => {
        await dropSchema(db, schema);
        await db.close();
      },
    };
  });
}
