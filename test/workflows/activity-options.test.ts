import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bookkeepingActivityOptions,
  sinkActivityOptions,
  tuned,
  workdayActivityOptions,
} from '../../src/workflows/activity-options';

test('every activity retry policy is bounded, tuned ones too (a 0 would mean for ever)', () => {
  for (const [name, o] of Object.entries({
    workday: workdayActivityOptions,
    sinks: sinkActivityOptions,
    bookkeeping: bookkeepingActivityOptions,
    tunedWorkday: tuned(workdayActivityOptions, 'workday', { workdayMaximumAttempts: 0 }),
    tunedSink: tuned(sinkActivityOptions, 'sink', { sinkMaximumAttempts: 0, sinkInitialIntervalMs: 10 }),
  })) {
    const attempts = o.retry?.maximumAttempts ?? 0;
    assert.ok(attempts >= 1 || o.scheduleToCloseTimeout !== undefined, `${name} is bounded`);
  }
  assert.equal(
    tuned(workdayActivityOptions, 'workday', { workdayMaximumAttempts: 2 }).retry?.maximumAttempts,
    2,
  );
});
