/**
 * A run that ends with a reconciliation mismatch (nothing failed, but the rows do not add up):
 * recordRunEnd keeps the delta watermark where it was and sends `run.completed_with_failures`
 * naming the mismatch, with runId, errorType and a command.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ActivityDeps, NotifyEvent } from '../../src/activities/ports';
import { createBookkeepingActivities } from '../../src/activities';
import { buildSummary } from '../../src/workflows/sync-run';
import type { RunCarry } from '../../src/workflows/types';

const carry: RunCarry = {
  runId: 'sync-acme-1',
  mode: 'full',
  asOf: { entryMoment: '2026-11-29T00:00:00.000Z', effectiveDate: '2026-11-28' },
  startedAt: '2026-11-29T00:00:00.000Z',
  totalResults: 250,
  totalPages: 3,
  nextPage: 4,
  pagesDone: 3,
  failedPages: [],
  workersFetched: 240,
  deadLettered: 0,
  perSink: { postgres: { inserted: 240, updated: 0, unchanged: 0 } },
  sinkFailures: {},
  totalsMismatch: ['page 3 reported Total_Results 240, page 1 reported 250'],
  paused: false,
  concurrency: 4,
  executions: 1,
};

test('a reconciliation mismatch: no watermark, a run.completed_with_failures event naming it', async () => {
  const events: NotifyEvent[] = [];
  const watermarks: string[] = [];
  const deps = {
    audit: {
      recordRunEnd: async () => {},
      setWatermark: async (_t: string, _s: string, at: string) => void watermarks.push(at),
    },
    notifier: { notify: async (e: NotifyEvent) => void events.push(e) },
  } as unknown as ActivityDeps;
  const summary = buildSummary({ pageSize: 100 }, carry, false);
  assert.equal(summary.status, 'COMPLETED_WITH_FAILURES');
  await createBookkeepingActivities(deps).recordRunEnd({
    runId: carry.runId,
    summary,
    tenant: 'acme',
    scope: null,
  });
  assert.deepEqual(watermarks, [], 'the watermark does not advance over a short load');
  assert.equal(events.length, 1);
  const e = events[0];
  assert.equal(e.type, 'run.completed_with_failures');
  assert.equal(e.runId, carry.runId);
  assert.match(String(e.errorType), /Reconciliation/);
  assert.match(String(e.error), /240/);
  assert.match(String(e.error), /page 3 reported Total_Results 240/);
  assert.match(String(e.command), /^wdsync /);
});
