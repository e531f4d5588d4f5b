/**
 * `wdsync dead-letters list/show` never print raw terminal control bytes from worker data (issue
 * 21, item 8): a fragment or a reason holding ESC [ … or a C1 CSI is shown as visible escapes, in
 * the table, in `show` and in `--json`. Real processes against real PostgreSQL.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createAuditStore } from '../../src/audit/store';
import { openDb } from '../../src/db/open';
import type { Db } from '../../src/db/types';
import { parsePage } from '../../src/workday/parse';
import { envelopeXml, syntheticWorker, workerXml } from '../workday/fixtures/worker-xml';
import { DATABASE_URL, randomSchema } from '../storage/helpers';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'wdsync.cjs');
// Raw bytes a terminal obeys: ESC (C0), CSI (C1), BEL, and a right-to-left override.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is checked for
const RAW = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202E]/;

function cli(args: string[], schema: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, DATABASE_URL, WDSYNC_DB_SCHEMA: schema },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

describe('dead-letters output is terminal-safe', () => {
  const schema = randomSchema('dl');
  let db: Db;
  before(async () => {
    db = await openDb(DATABASE_URL);
    const audit = createAuditStore(db, schema);
    await audit.init();
    // Through the parser: C1 controls and bidi overrides are legal XML, so they reach a letter.
    const w = syntheticWorker(1);
    const xml = workerXml({ ...w, first: 'Eve\u009b2J\u202Eevil' }).replace(w.wid, 'not-a-wid');
    const parsed = parsePage(envelopeXml({ workers: [xml], page: 1, count: 10, totalResults: 1 }));
    assert.equal(parsed.deadLetters.length, 1);
    // Stored by an older version, or by another writer: ESC sequences in every field.
    const raw = {
      wid: 'w\u001b[2J',
      workerId: '\u001b]0;pwned\u0007',
      reason: 'bad \u001b[31mred\u001b[0m',
      fragment: '<wd:Worker>\u001b[2J\u001b[H</wd:Worker>',
    };
    await audit.addDeadLetters('run-esc', 1, [...parsed.deadLetters, raw]);
  });
  after(async () => {
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.close();
  });

  test('list, list --json, show and show --json print escapes, not control bytes', async () => {
    const list = await cli(['dead-letters', 'list'], schema);
    assert.equal(list.code, 0, list.stderr);
    assert.doesNotMatch(list.stdout, RAW);
    assert.match(list.stdout, /\\x1b\[31mred/);
    const json = await cli(['dead-letters', 'list', '--json'], schema);
    assert.equal(json.code, 0, json.stderr);
    assert.doesNotMatch(json.stdout, RAW);
    const rows = JSON.parse(json.stdout) as { id: number; reason: string; fragment: string }[];
    assert.equal(rows.length, 2);
    // The JSON still round-trips to the stored values.
    assert.ok(rows.some((r) => r.reason === 'bad \u001b[31mred\u001b[0m'));
    for (const r of rows) {
      for (const args of [
        ['dead-letters', 'show', String(r.id)],
        ['dead-letters', 'show', String(r.id), '--json'],
      ]) {
        const out = await cli(args, schema);
        assert.equal(out.code, 0, out.stderr);
        assert.doesNotMatch(out.stdout, RAW, `${args.join(' ')}: ${JSON.stringify(out.stdout)}`);
      }
    }
  });
});
