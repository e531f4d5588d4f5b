import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slotTime } from '../../src/bench/run';

test('Workday slot time: all C busy, one idle (a page handoff), more idle (ramp-up, tail)', () => {
  // ms at 0, 1, 2, 3 and 4 requests in flight, at C = 3: 4 counts as full (a cap was passed).
  assert.deepEqual(slotTime([100, 200, 300, 400, 50], 3), { fullMs: 450, oneShortMs: 300, fewerMs: 300 });
  assert.deepEqual(slotTime([], 8), { fullMs: 0, oneShortMs: 0, fewerMs: 0 });
});
