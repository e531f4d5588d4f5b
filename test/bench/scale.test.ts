import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { maxInWindow } from '../../src/bench/scale';

/** The scale-out scenario's rate check: the most requests the simulator received in any second. */
describe('maxInWindow', () => {
  test('counts the busiest window, sliding, end excluded', () => {
    assert.equal(maxInWindow([], 1000), 0);
    assert.equal(maxInWindow([5], 1000), 1);
    // 0, 100, 999 fall in [0, 1000); 1000 starts the next window with 100 and 999.
    assert.equal(maxInWindow([1000, 0, 999, 100], 1000), 3);
    assert.equal(maxInWindow([0, 1000, 2000, 3000], 1000), 1);
    // The busiest second straddles two clock seconds.
    assert.equal(maxInWindow([0, 1500, 1600, 1700, 2400, 2450, 3000], 1000), 5);
  });
});
