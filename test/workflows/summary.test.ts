import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSummary } from '../../src/workflows/sync-run';
import type { RunCarry } from '../../src/workflows/types';

const carry = (over: Partial<RunCarry> = {}): RunCarry => ({
  runId: 'sync-acme-1',
  mode: 'full',
  asOf: { entryMoment: '2026-11-29T00:00:00.000Z', effectiveDate: '2026-11-28' },
  startedAt: '2026-11-29T00:00:00.000Z',
  totalResults: 250,
  totalPages: 3,
  nextPage: 4,
  pagesDone: 3,
  failedPages: [],
  workersFetched: 250,
  deadLettered: 0,
  perSink: { postgres: { inserted: 250, updated: 0, unchanged: 0 } },
  sinkFailures: {},
  totalsMismatch: [],
  paused: false,
  concurrency: 4,
  executions: 1,
  ...over,
});

test('a run whose pages add up to the snapshot completes', () => {
  const s = buildSummary({ pageSize: 100 }, carry(), false);
  assert.equal(s.status, 'COMPLETED');
  assert.deepEqual(s.reconciliation, { expected: 250, accounted: 250, ok: true });
});

test('a short load (rows missing with no failed page) is never COMPLETED', () => {
  const s = buildSummary({ pageSize: 100 }, carry({ workersFetched: 240 }), false);
  assert.equal(s.status, 'COMPLETED_WITH_FAILURES');
  assert.deepEqual(s.reconciliation, { expected: 250, accounted: 240, ok: false });
});

test('pages disagreeing on Total_Results fail the run', () => {
  const s = buildSummary(
    { pageSize: 100 },
    carry({ totalsMismatch: ['page 2 reported Total_Results 251, page 1 reported 250'] }),
    false,
  );
  assert.equal(s.status, 'COMPLETED_WITH_FAILURES');
  assert.equal(s.reconciliation.ok, false);
});

test('failed pages count at their size, capped by the total, and fail the run', () => {
  // Page 3 of 250 rows at 100 a page holds 50.
  const s = buildSummary(
    { pageSize: 100 },
    carry({ failedPages: [3], workersFetched: 200, pagesDone: 2 }),
    false,
  );
  assert.equal(s.status, 'COMPLETED_WITH_FAILURES');
  assert.deepEqual(s.reconciliation, { expected: 250, accounted: 250, ok: true });
});

test('a cancelled run is CANCELLED, not a reconciliation failure', () => {
  const s = buildSummary({ pageSize: 100 }, carry({ workersFetched: 100, pagesDone: 1 }), true);
  assert.equal(s.status, 'CANCELLED');
  assert.equal(s.reconciliation.ok, true);
});
