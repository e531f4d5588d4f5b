/**
 * Upstream error text on its way into history, webhooks and the audit store (issue 21, items 5
 * and 6): database errors never carry record content out of an activity, Workday fault text is
 * bounded and stripped of quoted names and email addresses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { toActivityFailure } from '../../src/activities/failures';
import { openDb } from '../../src/db/open';
import type { Db } from '../../src/db/types';
import { MAX_ERROR_TEXT } from '../../src/errors/bound';
import { classifyHttpResponse } from '../../src/workday/errors';
import { PG_URL } from '../helpers/harness';
import { FAULT_EMAIL, FAULT_NAME, hugeFault } from '../helpers/hostile';

const NAME = FAULT_NAME;
const EMAIL = FAULT_EMAIL;

function assertClean(text: string, what: string) {
  assert.ok(text.length <= MAX_ERROR_TEXT, `${what}: ${text.length} chars`);
  assert.ok(!text.includes(NAME), `${what} quotes the name: ${text.slice(0, 200)}`);
  assert.ok(!text.includes(EMAIL), `${what} holds the email`);
  assert.doesNotMatch(text, /Jane/);
}

describe('upstream error text', () => {
  for (const kind of ['postgres', 'pglite'] as const) {
    describe(`database errors (${kind})`, () => {
      let db: Db;
      before(async () => {
        db = await openDb(kind === 'postgres' ? PG_URL : 'pglite:memory');
      });
      after(() => db.close());

      const refused = async (sql: string, params: unknown[]) => {
        try {
          await db.query(sql, params);
        } catch (err) {
          return err as Error & { where?: string };
        }
        assert.fail(`${sql} succeeded`);
      };

      test('a refused value is not quoted in the failure, and data errors are not retried', async () => {
        const date = await refused('SELECT $1::date', [NAME]);
        assert.match(date.message, /Jane Doe/, 'PostgreSQL quotes the value');
        const nul = await refused('SELECT $1::jsonb', [JSON.stringify({ name: `${NAME}\u0000` })]);
        // The driver's error, as a logger would print it, quotes the record (its `where` field).
        assert.match(JSON.stringify(nul), /Jane Doe/);
        for (const err of [date, nul]) {
          const f = toActivityFailure(err);
          assert.ok(f instanceof ApplicationFailure, `an ApplicationFailure, got ${f.name}`);
          assert.equal(f.type, 'DatabaseStatementError');
          assert.equal(f.nonRetryable, true);
          assert.match(f.message, /SQLSTATE 22/);
          assertClean(f.message, 'failure message');
          assertClean(f.stack ?? '', 'failure stack');
          // The worker's log line carries the failure's own fields as JSON (the SDK logger's meta);
          // the raw driver error's fields (detail, where) quote the record.
          assertClean(JSON.stringify(f), 'failure as logged');
          assert.equal(f.cause, undefined);
        }
        // Wrapped by a sink: the cause would be serialized into history whole.
        const wrapped = new Error('sink postgres: upsert failed', { cause: date });
        const w = toActivityFailure(wrapped);
        assert.ok(w instanceof ApplicationFailure);
        assertClean(w.message, 'wrapped failure');
      });
    });
  }

  test('a 1.8 MB Workday fault becomes a short failure without the worker in it', () => {
    const err = classifyHttpResponse(hugeFault(), { status: 500, endpoint: 'x', authMode: 'password' });
    assert.equal(err.kind, 'validation');
    assertClean(err.message, 'classified message');
    assert.match(err.message, /Employee_ID/, 'what is not a name survives');
    assert.match(err.message, /\[email\]/);
    assertClean(err.detail ?? '', 'detail');
    const f = toActivityFailure(err);
    assertClean(f.message, 'activity failure');
  });

  test('any failure message is cut to about 1 KB on its way out of an activity', () => {
    const long = ApplicationFailure.retryable(`sink said ${'x'.repeat(2_000_000)}`, 'SinkError');
    const f = toActivityFailure(long);
    assert.ok(f.message.length <= MAX_ERROR_TEXT, `${f.message.length}`);
    assert.match(f.message, /2000010 chars, cut/);
    const plain = toActivityFailure(new Error(`boom ${'y'.repeat(50_000)}`));
    assert.ok(plain.message.length <= MAX_ERROR_TEXT);
    assert.ok((plain.stack ?? '').split('\n')[0]!.length <= MAX_ERROR_TEXT + 20);
  });
});
