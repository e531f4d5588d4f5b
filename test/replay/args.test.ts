import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatReplaySummary, parsePageList, replayTarget } from '../../src/cli/replay-command';
import { revalidateFragment } from '../../src/replay/dead-letters';
import { parsePage } from '../../src/workday/parse';
import { envelopeXml, syntheticWorker, workerXml } from '../workday/fixtures/worker-xml';

describe('replay arguments', () => {
  test('--pages takes lists and ranges, each page once, sorted', () => {
    assert.deepEqual(parsePageList('7,3'), [3, 7]);
    assert.deepEqual(parsePageList('3-5,4,9'), [3, 4, 5, 9]);
    assert.throws(() => parsePageList('0'), /pages start at 1/);
    assert.throws(() => parsePageList('5-3'), /ascending range/);
    assert.throws(() => parsePageList('x'), /page numbers like 3,7/);
  });

  test('exactly one target', () => {
    assert.deepEqual(replayTarget({ pages: [3] }), { pages: [3] });
    assert.deepEqual(replayTarget({ failed: true }), { failed: true });
    assert.deepEqual(replayTarget({ worker: ['a,b', 'c'] }), { workerIds: ['a', 'b', 'c'] });
    assert.throws(() => replayTarget({}), /say what to replay/);
    assert.throws(() => replayTarget({ pages: [1], worker: ['a'] }), /not --pages and --worker/);
    assert.throws(() => replayTarget({ worker: [' , '] }), /at least one worker id/);
  });

  test('the summary names what is still failing', () => {
    const text = formatReplaySummary({
      replayId: 'r1',
      replayRunId: 'run-1/replay-r1',
      runId: 'run-1',
      status: 'COMPLETED_WITH_FAILURES',
      target: 'failed',
      asOf: { entryMoment: '2026-01-01T00:00:00.000Z', effectiveDate: '2026-01-01' },
      pagesReplayed: [3],
      pagesRefetched: [],
      perSink: { postgres: { inserted: 1, updated: 2, unchanged: 3, alreadyDelivered: 1 } },
      stillFailing: [{ page: 7, sink: 'files', error: 'disk full' }],
      workersNotFound: [],
      finalized: {},
      startedAt: '2026-01-01T00:00:00.000Z',
      endedAt: '2026-01-01T00:00:01.000Z',
      durationMs: 1000,
      executions: 1,
    });
    assert.match(text, /COMPLETED_WITH_FAILURES/);
    assert.match(text, /postgres\s+inserted 1, updated 2, unchanged 3; 1 page\(s\) already delivered/);
    assert.match(text, /still failing\s+page 7 → files: disk full/);
  });
});

describe('dead-letter re-validation', () => {
  const broken = { ...syntheticWorker(5), status: { ...syntheticWorker(5).status!, active: 'maybe' } };
  const xml = envelopeXml({ workers: [workerXml(broken)], page: 1, count: 1, totalResults: 1 });
  const [letter] = parsePage(xml).deadLetters;

  test('a fragment the current mapping still rejects gives the current reason', () => {
    assert.ok(letter);
    const r = revalidateFragment(letter.fragment);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, /Worker_Status_Data\/Active: expected a boolean/);
  });

  test('a fragment that is valid now maps to the same record as a fresh page would', () => {
    const fixed = revalidateFragment(letter!.fragment.replace('>maybe<', '>1<'));
    const fresh = parsePage(
      envelopeXml({
        workers: [workerXml({ ...broken, status: { ...broken.status, active: '1' } })],
        page: 1,
        count: 1,
        totalResults: 1,
      }),
    ).records[0];
    assert.ok(fixed.ok);
    assert.deepEqual(fixed.ok && fixed.record, fresh);
  });

  test('garbage is a reason, not a crash', () => {
    const r = revalidateFragment('<wd:Worker');
    assert.equal(r.ok, false);
  });
});
