import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { activitiesByQueue } from '../../src/activities';
import type { BookkeepingProxy, SinkProxy, WorkdayProxy } from '../../src/workflows/proxies';
import { fakePorts } from '../helpers/fake-ports';

/**
 * Compile-time half: each @ts-expect-error below must be an error, or `npm run typecheck` fails.
 * A proxy holds only its own queue's activities, so an activity called on the wrong queue (where
 * no worker registers it, and the call would wait for ever) does not type-check.
 */
export function wrongQueueCallsDoNotTypeCheck(w: WorkdayProxy, s: SinkProxy, b: BookkeepingProxy) {
  // @ts-expect-error deliverPage is a sink activity
  void w.deliverPage;
  // @ts-expect-error recordRunEnd is bookkeeping
  void w.recordRunEnd;
  // @ts-expect-error fetchPage runs on the Workday queue only
  void s.fetchPage;
  // @ts-expect-error countWorkers runs on the Workday queue only
  void b.countWorkers;
  // @ts-expect-error finalizeSink is a sink activity
  void b.finalizeSink;
  return [
    w.fetchPage,
    w.countWorkers,
    s.deliverPage,
    s.finalizeSink,
    s.releaseToSink,
    b.recordRunEnd,
    b.planReplay,
  ];
}

test("each task queue's workers register exactly its group of activities", () => {
  const a = activitiesByQueue(fakePorts(1).deps);
  assert.deepEqual(Object.keys(a.workday).sort(), [
    'countWorkers',
    'fetchDueTerminations',
    'fetchPage',
    'fetchSubPage',
  ]);
  const sinks = Object.keys(a.sinks);
  for (const name of [
    'deliverPage',
    'finalizeSink',
    'replayDeliverPage',
    'replayFinalizeSink',
    'releaseToSink',
    'applyHeldActions',
    'rejectHeldActions',
  ])
    assert.ok(sinks.includes(name), `${name} on the sinks queue`);
  for (const name of ['recordRunStart', 'recordRunEnd', 'recordRunClosed', 'planReplay', 'planRelease'])
    assert.ok(sinks.includes(name), `bookkeeping ${name} served on the sinks queue`);
  assert.ok(!sinks.includes('fetchPage') && !sinks.includes('countWorkers'), 'no Workday call off its queue');
});

test('activities do not read workflow history', () => {
  const dir = path.join(__dirname, '..', '..', 'src', 'activities');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    const text = readFileSync(path.join(dir, f), 'utf8');
    assert.doesNotMatch(text, /fetchHistory|getWorkflowExecutionHistory|Context\.current\(\)\.client/, f);
  }
});
