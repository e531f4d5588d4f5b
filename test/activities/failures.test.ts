import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { toActivityFailure } from '../../src/activities/failures';
import {
  WorkdayAuthError,
  WorkdayConfigError,
  WorkdayThrottledError,
  WorkdayTransientError,
  WorkdayValidationError,
} from '../../src/workday/errors';

const asFailure = (e: Error): ApplicationFailure => {
  assert.ok(e instanceof ApplicationFailure, `expected an ApplicationFailure, got ${e.name}`);
  return e;
};

describe('toActivityFailure', () => {
  test('auth, validation and config faults are non-retryable, with their type', () => {
    for (const [err, type] of [
      [new WorkdayAuthError('Invalid username or password'), 'WorkdayAuthError'],
      [
        new WorkdayValidationError('Invalid Count', [{ message: 'Count must be 1..999' }]),
        'WorkdayValidationError',
      ],
      [new WorkdayConfigError('no such service'), 'WorkdayConfigError'],
    ] as const) {
      const f = asFailure(toActivityFailure(err));
      assert.equal(f.nonRetryable, true, type);
      assert.equal(f.type, type);
      assert.equal(f.message, err.message);
      assert.equal(f.nextRetryDelay, undefined);
    }
  });

  test('a throttle with Retry-After retries after exactly that delay', () => {
    const f = asFailure(
      toActivityFailure(new WorkdayThrottledError('429', { retryAfterMs: 7000 }), { attempt: 4 }),
    );
    assert.equal(f.nonRetryable, false);
    assert.equal(f.type, 'WorkdayThrottled');
    assert.equal(f.nextRetryDelay, 7000);
    // Never sooner than a second, even if Retry-After says 0.
    const zero = asFailure(toActivityFailure(new WorkdayThrottledError('429', { retryAfterMs: 0 })));
    assert.equal(zero.nextRetryDelay, 1000);
  });

  test('a throttle without Retry-After backs off with the attempt, with jitter', () => {
    const delay = (attempt: number, r: number) =>
      asFailure(toActivityFailure(new WorkdayThrottledError('throttled'), { attempt, random: () => r }))
        .nextRetryDelay as number;
    // Grows with the attempt...
    assert.ok(delay(1, 1) < delay(2, 1) && delay(2, 1) < delay(3, 1), 'grows with the attempt');
    assert.equal(delay(3, 1), 2 * delay(2, 1));
    // ...up to a cap...
    assert.equal(delay(50, 1), delay(60, 1));
    assert.ok(delay(50, 1) <= 120_000);
    // ...and is spread by jitter, never below half the ceiling.
    assert.ok(delay(2, 0) < delay(2, 1), 'jitter spreads the delay');
    assert.equal(delay(2, 0), delay(2, 1) / 2);
    const seen = new Set(
      Array.from(
        { length: 20 },
        () => asFailure(toActivityFailure(new WorkdayThrottledError('t'))).nextRetryDelay,
      ),
    );
    assert.ok(seen.size > 1, 'real randomness gives different delays');
  });

  test('inside an activity, the attempt comes from the activity context', async () => {
    const at = (attempt: number) =>
      new MockActivityEnvironment({ attempt }).run(
        async () =>
          asFailure(toActivityFailure(new WorkdayThrottledError('t'), { random: () => 1 }))
            .nextRetryDelay as number,
      );
    const [first, third] = [(await at(1)) as number, (await at(3)) as number];
    assert.equal(third, 4 * first);
  });

  test('transient faults are retryable with the activity backoff', () => {
    for (const reason of ['timeout', 'network', 'truncated', 'unavailable'] as const) {
      const f = asFailure(toActivityFailure(new WorkdayTransientError(`reset (${reason})`, reason)));
      assert.equal(f.nonRetryable, false);
      assert.equal(f.type, 'WorkdayTransient');
      assert.equal(f.nextRetryDelay, undefined);
    }
  });

  test('other errors pass through; ApplicationFailures are kept as they are', () => {
    const plain = new Error('boom');
    assert.equal(toActivityFailure(plain), plain);
    const af = ApplicationFailure.nonRetryable('already decided', 'X');
    assert.equal(toActivityFailure(af), af);
    const staging = Object.assign(new Error('page 3 is not staged'), { name: 'StagingMissingError' });
    const s = asFailure(toActivityFailure(staging));
    assert.equal(s.nonRetryable, true);
    assert.equal(s.type, 'StagingMissing');
  });
});

describe('refused data is not retried (issue 20)', () => {
  const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

  test('PostgreSQL data exceptions (22xxx) and constraint violations (23xxx) are non-retryable InvalidData', () => {
    for (const [code, message] of [
      ['22008', 'date/time field value out of range: "2026-13-45"'],
      ['22P02', 'invalid input syntax for type integer: "x"'],
      ['23505', 'duplicate key value violates unique constraint "runs_pkey"'],
    ] as const) {
      const f = asFailure(toActivityFailure(pgError(code, message)));
      assert.equal(f.type, 'InvalidData', code);
      assert.equal(f.nonRetryable, true, code);
      assert.ok(f.message.includes(message), f.message);
      assert.match(f.message, new RegExp(`SQLSTATE ${code}.*retrying cannot help`));
    }
  });

  test('a zod validation error is non-retryable InvalidData', async () => {
    const { z } = await import('zod');
    const err = z.object({ n: z.number() }).safeParse({ n: 'x' }).error!;
    const f = asFailure(toActivityFailure(err));
    assert.equal(f.type, 'InvalidData');
    assert.equal(f.nonRetryable, true);
  });

  test('a dropped connection (08006) and a server shutdown (57P01) still retry', () => {
    for (const code of ['08006', '57P01']) {
      const out = toActivityFailure(pgError(code, 'terminating connection'));
      assert.ok(!(out instanceof ApplicationFailure && out.nonRetryable), code);
    }
  });
});
