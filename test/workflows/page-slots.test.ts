import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backlogProblem, PageSlots } from '../../src/workflows/page-slots';

test('pipelined: C bounds fetches; fetched pages wait for delivery up to C + backlog in flight', () => {
  const slots = new PageSlots(true, 2);
  for (const p of [1, 2, 3]) {
    assert.ok(slots.hasRoom(3));
    slots.started(p);
  }
  assert.equal(slots.hasRoom(3), false, 'three fetches at C = 3');
  slots.fetched(1);
  slots.fetched(2);
  assert.equal(slots.fetchingCount, 1);
  assert.ok(slots.hasRoom(3), 'fetched pages give their Workday slot back');
  slots.started(4);
  slots.started(5);
  assert.equal(slots.size, 5);
  assert.equal(slots.hasRoom(3), false, 'C + backlog = 5 pages in flight');
  slots.fetched(3);
  slots.fetched(4);
  slots.fetched(5);
  assert.equal(slots.hasRoom(3), false, 'five staged pages awaiting delivery: fetching waits');
  slots.ended(1);
  assert.ok(slots.hasRoom(3), 'a delivery ended');
});

test('a child that never signals frees its slot when it ends; a late signal is a no-op', () => {
  const slots = new PageSlots(true, 4);
  slots.started(7);
  assert.equal(slots.hasRoom(1), false);
  slots.ended(7);
  slots.fetched(7);
  assert.equal(slots.size, 0);
  assert.equal(slots.fetchingCount, 0);
  assert.ok(slots.hasRoom(1));
});

test('not pipelined (histories from before): a page holds its slot until it ends, signals or not', () => {
  const slots = new PageSlots(false, 16);
  slots.started(1);
  slots.started(2);
  slots.fetched(1);
  assert.equal(slots.hasRoom(2), false);
  assert.equal(slots.fetchingCount, 2, 'every page in flight counts');
  slots.ended(1);
  assert.ok(slots.hasRoom(2));
});

test('backlog 0 is the old rule: pages being delivered count against C', () => {
  const slots = new PageSlots(true, 0);
  slots.started(1);
  slots.fetched(1);
  assert.equal(slots.hasRoom(1), false);
});

test('the backlog is a whole number from 0 to 256', () => {
  for (const ok of [0, 16, 256]) assert.equal(backlogProblem(ok), undefined);
  for (const bad of [-1, 257, 1.5, Number.NaN, '8'])
    assert.match(backlogProblem(bad) ?? '', /backlog must be a whole number from 0 to 256/);
});
