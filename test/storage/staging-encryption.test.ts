import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ConfigSchema } from '../../src/config/config';
import { createCipher, DecryptError } from '../../src/crypto/cipher';
import { addKey, KeyringError, loadKeyring } from '../../src/crypto/keyring';
import { buildDeps } from '../../src/deps';
import { createFsStaging } from '../../src/staging/fs';
import { createPgStaging } from '../../src/staging/postgres';
import { dropSchema, openTestDb, randomSchema, tempDir, workers } from './helpers';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'wdsync.cjs');
const NAME = 'Zebulon Quartermaine-Oyelaran';
const page = () => {
  const records = workers(1, 20);
  records[3]!.personal!.legalName.formatted = NAME;
  return {
    rawGzip: gzipSync(Buffer.from(`<wd:Worker><wd:Formatted_Name>${NAME}</wd:Formatted_Name></wd:Worker>`)),
    records,
    deadLetters: [{ workerId: 'E9', reason: 'bad', fragment: `<x>${NAME}</x>` }],
  };
};
/** Everything a reader of the file could get at: the bytes, and the bytes gunzipped if they are gzip. */
const readable = (b: Buffer) => {
  let text = b.toString('latin1');
  try {
    text += gunzipSync(b).toString('utf8');
  } catch {}
  return text;
};

describe('staged pages are encrypted at rest (AES-256-GCM, key ids)', () => {
  const tmp = tempDir('wdsync-enc-');
  after(() => tmp.remove());
  const keyFile = path.join(tmp.dir, 'state', 'keys.json');

  test('the local key file is created on first use, owner-only, and a staged page holds no readable PII', async () => {
    const ring = loadKeyring(keyFile, { createIfMissing: true });
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(keyFile)).mode & 0o777, 0o700);
    const dir = path.join(tmp.dir, 'staging');
    const store = createFsStaging({ dir, cipher: createCipher(ring) });
    await store.put({ runId: 'run-a', page: 1 }, page());
    for (const f of readdirSync(path.join(dir, 'run-a'))) {
      const bytes = readFileSync(path.join(dir, 'run-a', f));
      assert.equal(bytes.subarray(0, 4).toString(), 'WDE1', `${f} is sealed`);
      assert.ok(!readable(bytes).includes(NAME), `${f} shows no name`);
      assert.ok(bytes.includes(Buffer.from(ring.activeId)), `${f} names its key id`);
    }
    assert.equal(
      (await store.getRecords({ runId: 'run-a', page: 1 }))[3]!.personal!.legalName.formatted,
      NAME,
    );
    assert.match((await store.getRaw({ runId: 'run-a', page: 1 })).toString(), new RegExp(NAME));
    // The same store without encryption shows the name, so the check above can fail.
    const plain = createFsStaging({ dir: path.join(tmp.dir, 'plain') });
    await plain.put({ runId: 'run-a', page: 1 }, page());
    assert.ok(readable(readFileSync(path.join(tmp.dir, 'plain', 'run-a', 'page-1.json.gz'))).includes(NAME));
  });

  test('in PostgreSQL too: the bytea columns are sealed', async () => {
    const db = await openTestDb('postgres');
    const schema = randomSchema();
    try {
      const store = createPgStaging({ db, schema, cipher: createCipher(loadKeyring(keyFile)) });
      await store.put({ runId: 'run-pg', page: 1 }, page());
      const { rows } = await db.query<{ raw: Uint8Array; records: Uint8Array; dead_letters: Uint8Array }>(
        `SELECT raw, records, dead_letters FROM "${schema}".staged_pages`,
      );
      for (const col of ['raw', 'records', 'dead_letters'] as const) {
        const b = Buffer.from(rows[0]![col]);
        assert.equal(b.subarray(0, 4).toString(), 'WDE1', col);
        assert.ok(!readable(b).includes(NAME), `${col} shows no name`);
      }
      assert.equal((await store.getDeadLetters({ runId: 'run-pg', page: 1 }))[0]!.fragment, `<x>${NAME}</x>`);
    } finally {
      await dropSchema(db, schema);
      await db.close();
    }
  });

  test('a new key comes in without losing pages staged under the old one', async () => {
    const dir = path.join(tmp.dir, 'rotate');
    const before = loadKeyring(keyFile);
    await createFsStaging({ dir, cipher: createCipher(before) }).put({ runId: 'r', page: 1 }, page());
    const { id } = addKey(keyFile);
    const after2 = loadKeyring(keyFile);
    assert.equal(after2.activeId, id);
    assert.notEqual(id, before.activeId);
    const store = createFsStaging({ dir, cipher: createCipher(after2) });
    await store.put({ runId: 'r', page: 2 }, page());
    assert.equal((await store.getRecords({ runId: 'r', page: 1 })).length, 20, 'old page, old key');
    assert.ok(
      readFileSync(path.join(dir, 'r', 'page-2.json.gz')).includes(Buffer.from(id)),
      'new page, new key',
    );
  });

  test('a key that cannot decrypt names its key id; a page copied over another does not decrypt', async () => {
    const dir = path.join(tmp.dir, 'wrong');
    await createFsStaging({ dir, cipher: createCipher(loadKeyring(keyFile)) }).put(
      { runId: 'r', page: 1 },
      page(),
    );
    const activeId = loadKeyring(keyFile).activeId;
    const otherFile = path.join(tmp.dir, 'other', 'keys.json');
    const other = loadKeyring(otherFile, { createIfMissing: true });
    await assert.rejects(
      createFsStaging({ dir, cipher: createCipher(other) }).getRecords({ runId: 'r', page: 1 }),
      (e: Error) =>
        e instanceof DecryptError &&
        e.keyId === activeId &&
        e.message.includes(`key id "${activeId}"`) &&
        e.message.includes('--refetch'),
    );
    // Same id, other material: the key id is named too.
    const forged = JSON.parse(readFileSync(otherFile, 'utf8'));
    forged.keys = { [activeId]: forged.keys[other.activeId] };
    forged.active = activeId;
    writeFileSync(otherFile, JSON.stringify(forged), { mode: 0o600 });
    await assert.rejects(
      createFsStaging({ dir, cipher: createCipher(loadKeyring(otherFile)) }).getRecords({
        runId: 'r',
        page: 1,
      }),
      new RegExp(`key "${activeId}" in .* cannot decrypt staged records of page 1 of run r`),
    );
    const store = createFsStaging({ dir, cipher: createCipher(loadKeyring(keyFile)) });
    await store.put({ runId: 'r', page: 2 }, page());
    copyFileSync(path.join(dir, 'r', 'page-1.json.gz'), path.join(dir, 'r', 'page-2.json.gz'));
    await assert.rejects(store.getRecords({ runId: 'r', page: 2 }), DecryptError);
  });

  test('pages staged before encryption was on are still read', async () => {
    const dir = path.join(tmp.dir, 'legacy');
    await createFsStaging({ dir }).put({ runId: 'r', page: 1 }, page());
    const store = createFsStaging({ dir, cipher: createCipher(loadKeyring(keyFile)) });
    assert.equal((await store.getRecords({ runId: 'r', page: 1 })).length, 20);
  });

  test('a missing, unreadable, exposed or malformed key file stops the worker before anything starts, in one line', async () => {
    const cfg = (file: string) =>
      ConfigSchema.parse({
        workday: {
          endpoint: 'http://127.0.0.1:1/ccx/service/acme/Human_Resources/v44.0',
          username: 'u@acme',
          password: 'p',
        },
        temporal: {},
        database: { url: 'postgres://nobody@127.0.0.1:1/none' },
        staging: {},
        limits: {},
        defaults: {},
        notify: {},
        encryption: { keyFile: file },
      });
    const missing = path.join(tmp.dir, 'nope', 'keys.json');
    await assert.rejects(
      buildDeps(cfg(missing)),
      (e: Error) =>
        e instanceof KeyringError && /does not exist; create one with `wdsync keys add/.test(e.message),
    );
    const dirAsFile = path.join(tmp.dir, 'a-dir');
    mkdirSync(dirAsFile);
    await assert.rejects(buildDeps(cfg(dirAsFile)), /cannot read key file .*EISDIR/);
    const exposed = path.join(tmp.dir, 'exposed.json');
    copyFileSync(keyFile, exposed);
    chmodSync(exposed, 0o644);
    await assert.rejects(buildDeps(cfg(exposed)), /readable by other users \(mode 644\); run `chmod 600/);
    const junk = path.join(tmp.dir, 'junk.json');
    writeFileSync(junk, '{"active":"k1","keys":{"k1":"c2hvcnQ="}}', { mode: 0o600 });
    await assert.rejects(buildDeps(cfg(junk)), /not a wdsync keyring .*exactly 32 bytes/);

    const r = spawnSync(process.execPath, [BIN, 'worker'], {
      env: { ...process.env, WDSYNC_KEY_FILE: missing, TEMPORAL_ADDRESS: '127.0.0.1:1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /key file .* does not exist/);
  });

  test('wdsync keys add / list show ids, never key material', () => {
    const file = path.join(tmp.dir, 'cli', 'keys.json');
    const run = (args: string[]) =>
      spawnSync(process.execPath, [BIN, 'keys', ...args, '--file', file], { encoding: 'utf8' });
    assert.equal(run(['add']).status, 0);
    const listed = run(['list', '--json']);
    assert.equal(listed.status, 0, listed.stderr);
    const out = JSON.parse(listed.stdout);
    assert.equal(out.ids.length, 1);
    const material = Object.values(JSON.parse(readFileSync(file, 'utf8')).keys)[0] as string;
    assert.ok(!listed.stdout.includes(material));
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });
});
