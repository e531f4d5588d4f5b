import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { boundMessage } from '../errors/bound';
import { ErrorType, TypedError } from '../errors/types';
import { backoffDelayMs } from '../workday/errors';

/** Workday client errors carry a kind; this is all the activity layer needs to know of them. */
interface ClassifiedError {
  kind: 'auth' | 'validation' | 'throttled' | 'transient' | 'config' | 'contract' | 'tooLarge';
  message: string;
  retryAfterMs?: number;
}

function isClassified(err: unknown): err is ClassifiedError {
  return typeof err === 'object' && err !== null && typeof (err as { kind?: unknown }).kind === 'string';
}

const TYPE_BY_KIND: Record<ClassifiedError['kind'], ErrorType> = {
  auth: ErrorType.WorkdayAuth,
  validation: ErrorType.WorkdayValidation,
  throttled: ErrorType.WorkdayThrottled,
  transient: ErrorType.WorkdayTransient,
  config: ErrorType.WorkdayConfig,
  contract: ErrorType.WorkdayContract,
  tooLarge: ErrorType.ResponseTooLarge,
};

/** A PostgreSQL (or PGlite) server error: SQLSTATE plus severity, as both drivers report them. */
interface ServerError {
  code: string;
  severity?: string;
  routine?: string;
}

function isServerError(err: unknown): err is Error & ServerError {
  const e = err as Partial<ServerError> | null;
  return (
    err instanceof Error &&
    typeof e?.code === 'string' &&
    /^[0-9A-Z]{5}$/.test(e.code) &&
    typeof e.severity === 'string'
  );
}

// Data exceptions: the same values fail every time. Anything else (a table a migration has not
// created yet, a lock, a constraint race) may pass on a later attempt, as before.
const PERMANENT_SQLSTATE_CLASSES = new Set(['22']);

/**
 * PostgreSQL quotes the value it refused ("invalid input syntax for type date: \"…\""), and
 * its detail and context fields quote whole rows, i.e. worker records. None of it leaves the
 * activity: the failure says which SQLSTATE, never what the statement carried.
 */
function serverFailure(err: ServerError): ApplicationFailure {
  const permanent = PERMANENT_SQLSTATE_CLASSES.has(err.code.slice(0, 2));
  const condition = SQLSTATE_CONDITIONS[err.code];
  const what = `SQLSTATE ${err.code}${condition ? `: ${condition}` : ''}${err.routine ? `, in ${err.routine}` : ''}`;
  const message = permanent
    ? `the database refused a value it cannot store (${what}); its own text is not shown because it can quote worker records; retrying cannot help: check the dates and values the run was started with (--as-of, --effective-date, scope) and start it again.`
    : `the database refused a statement (${what}); its text is not shown because it can quote worker records. Look the SQLSTATE up in the PostgreSQL manual (Appendix A); the delivery will be retried.`;
  return ApplicationFailure.create({ message, type: ErrorType.DatabaseStatement, nonRetryable: permanent });
}

/**
 * PostgreSQL's own wording of common conditions, without the value it quotes: safe to show, and
 * enough for an operator to know what to fix.
 */
const SQLSTATE_CONDITIONS: Record<string, string> = {
  '22001': 'value too long for its column',
  '22003': 'numeric value out of range',
  '22007': 'invalid date/time format',
  '22008': 'date/time field value out of range',
  '22021': 'character not in the database encoding (invalid UTF-8)',
  '22P02': 'invalid input syntax',
  '22P05': 'untranslatable character (e.g. a NUL)',
  '23502': 'null value in a NOT NULL column',
  '23503': 'foreign key violation',
  '23505': 'duplicate key value',
  '23514': 'check constraint violation',
};

/** The message bounded (DESIGN.md, first invariant), the stack's first line with it. */
function bounded<E extends Error>(err: E): E {
  const message = boundMessage(err.message);
  if (message !== err.message) {
    const frames = err.stack?.split('\n').filter((l) => /^\s+at /.test(l)) ?? [];
    err.message = message;
    err.stack = [`${err.name}: ${message}`, ...frames].join('\n');
  }
  return err;
}

/** Never retry a throttle sooner than this, whatever Retry-After says. */
const MIN_THROTTLE_DELAY_MS = 1000;

/** The current activity's attempt (1-based), or 1 outside an activity. */
function currentAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/**
 * Turns an error into the failure Temporal should act on. Auth, validation and config faults are
 * non-retryable (retrying them only hammers Workday); a throttle retries after the delay Workday
 * asked for (Retry-After), or else after a delay that grows with the attempt and carries jitter,
 * so pages throttled together do not all come back together; anything else retries with the
 * activity's backoff. Messages carry no worker data.
 */
export function toActivityFailure(
  err: unknown,
  opts: { attempt?: number; random?: () => number } = {},
): Error {
  return bounded(classify(err, opts));
}

function classify(err: unknown, opts: { attempt?: number; random?: () => number }): Error {
  if (err instanceof ApplicationFailure) return err;
  if (isServerError(err)) return serverFailure(err);
  if (err instanceof TypedError) {
    return err.retryable
      ? ApplicationFailure.retryable(err.message, err.type)
      : ApplicationFailure.nonRetryable(err.message, err.type);
  }
  if (isClassified(err)) {
    const type = TYPE_BY_KIND[err.kind];
    if (
      err.kind === 'auth' ||
      err.kind === 'validation' ||
      err.kind === 'config' ||
      err.kind === 'contract' ||
      // The same request fails the same way: the workflow splits the page instead.
      err.kind === 'tooLarge'
    ) {
      return ApplicationFailure.nonRetryable(err.message, type);
    }
    if (err.kind === 'throttled') {
      const attempt = opts.attempt ?? currentAttempt();
      const delay = backoffDelayMs('throttled', attempt, err.retryAfterMs, opts.random);
      return ApplicationFailure.create({
        message: err.message,
        type,
        nextRetryDelay: Math.max(MIN_THROTTLE_DELAY_MS, delay),
      });
    }
    return ApplicationFailure.retryable(err.message, type);
  }
  const refused = dataRefusal(err);
  if (refused) return ApplicationFailure.nonRetryable(refused, ErrorType.InvalidData);
  if (err instanceof Error) {
    switch (err.name) {
      case 'StagingMissingError':
        return ApplicationFailure.nonRetryable(err.message, ErrorType.StagingMissing);
      case 'ConfigError':
        return ApplicationFailure.nonRetryable(err.message, ErrorType.Config);
      case 'DbConnectionError':
        return ApplicationFailure.retryable(err.message, ErrorType.DatabaseUnavailable);
      case 'DbOpenError':
        // A wrong password or a missing database does not fix itself; an unreachable server may.
        return (err as { retryable?: boolean }).retryable
          ? ApplicationFailure.retryable(err.message, ErrorType.DatabaseUnavailable)
          : ApplicationFailure.nonRetryable(err.message, ErrorType.DatabaseRefused);
      case 'PathOutsideRootError':
        // A bad id stays bad on every attempt.
        return ApplicationFailure.nonRetryable(err.message, ErrorType.PathOutsideRoot);
    }
    // Its cause would go into history whole; a database error there quotes records.
    if (isServerError(err.cause)) return serverFailure(err.cause);
    return err;
  }
  return new Error(String(err));
}

/**
 * Data the database or a schema refuses stays refused on every attempt: PostgreSQL's data
 * exceptions (SQLSTATE class 22, e.g. 22008 "date/time field value out of range" for an effective
 * date of 2026-13-45) and integrity constraint violations (class 23), and zod validation errors.
 * Retrying them once kept a run retrying every 30 s for ever. Returns the operator's message.
 */
function dataRefusal(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  if (err.name === 'ZodError') {
    return `invalid data: ${err.message.slice(0, 1000)}; retrying cannot help, fix the input and start again`;
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code)) {
    const what = code.startsWith('22') ? 'a value it cannot store' : 'a value that breaks a constraint';
    return `the database refused ${what} (SQLSTATE ${code}: ${err.message.slice(0, 500)}); retrying cannot help: check the dates and values the run was started with (--as-of, --effective-date, scope) and start it again`;
  }
  return undefined;
}

/**
 * The one place activity errors become typed failures: each activity throws what its code throws
 * and shows only its happy path.
 */
export const failureMapping: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (err) {
        throw toActivityFailure(err);
      }
    },
  },
});
