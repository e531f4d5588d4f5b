import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newReplayId } from '../../src/replay/start';
import { scheduleNameProblem } from '../../src/runs/schedules';
import { newRunId } from '../../src/runs/start';
import { runIdProblem } from '../../src/workflows/ids';

test('every id wdsync makes itself is a valid run id', () => {
  const at = new Date('2026-11-22T01:30:05.123Z');
  for (const id of [
    newRunId('acme', at),
    newRunId('acme'),
    newReplayId(at),
    // What Temporal names a scheduled run: `<action workflow id>-<RFC 3339 nominal time>`.
    'wdsync-nightly-2026-11-22T01:30:00Z',
    'history-full',
    'a..b',
  ]) {
    assert.equal(runIdProblem(id), undefined, id);
  }
  assert.match(newRunId('acme', at), /^sync-acme-20261122-013005-[0-9a-f]{4}$/);
});

test('dot segments, slashes and other path tricks are refused with one clear sentence', () => {
  for (const id of [
    '.',
    '..',
    '',
    'a/b',
    '../x',
    '/abs',
    'a\\b',
    '-x',
    '.hidden',
    'a b',
    'é',
    'x'.repeat(129),
  ]) {
    const problem = runIdProblem(id);
    assert.ok(problem, `${JSON.stringify(id)} is refused`);
    assert.match(problem, /^run id .* is not allowed: use 1 to 128 letters/);
    assert.ok(problem.length < 300, 'a long id is not echoed whole');
  }
  assert.equal(runIdProblem('x'.repeat(128)), undefined);
  assert.match(runIdProblem(42) ?? '', /run id 42 is not allowed/);
});

test('schedule names leave room for the time Temporal appends to their runs', () => {
  assert.equal(scheduleNameProblem('nightly'), undefined);
  assert.match(scheduleNameProblem('..') ?? '', /^schedule name "\.\." is not allowed/);
  assert.equal(scheduleNameProblem('n'.repeat(100)), undefined);
  assert.match(scheduleNameProblem('n'.repeat(101)) ?? '', /too long: at most 100 characters/);
});
