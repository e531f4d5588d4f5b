import { ApplicationFailure } from '@temporalio/common';

/** Workday client errors carry a kind; this is all the activity layer needs to know of them. */
interface ClassifiedError {
  kind: 'auth' | 'validation' | 'throttled' | 'transient' | 'config';
  message: string;
  retryAfterMs?: number;
}

function isClassified(err: unknown): err is ClassifiedError {
  return typeof err === 'object' && err !== null && typeof (err as { kind?: unknown }).kind === 'string';
}

const TYPE_BY_KIND: Record<ClassifiedError['kind'], string> = {
  auth: 'WorkdayAuthError',
  validation: 'WorkdayValidationError',
  throttled: 'WorkdayThrottled',
  transient: 'WorkdayTransient',
  config: 'WorkdayConfigError',
};

/**
 * Turns an error into the failure Temporal should act on. Auth, validation and config faults are
 * non-retryable (retrying them only hammers Workday); a throttle retries after the delay Workday
 * asked for; anything else retries with the activity's backoff. Messages carry no worker data.
 */
export function toActivityFailure(err: unknown): Error {
  if (err instanceof ApplicationFailure) return err;
  if (isClassified(err)) {
    const type = TYPE_BY_KIND[err.kind];
    if (err.kind === 'auth' || err.kind === 'validation' || err.kind === 'config') {
      return ApplicationFailure.nonRetryable(err.message, type);
    }
    if (err.kind === 'throttled') {
      return ApplicationFailure.create({
        message: err.message,
        type,
        nextRetryDelay: Math.max(1000, err.retryAfterMs ?? 5000),
      });
    }
    return ApplicationFailure.retryable(err.message, type);
  }
  if (err instanceof Error && err.name === 'StagingMissingError') {
    return ApplicationFailure.nonRetryable(err.message, 'StagingMissing');
  }
  return err instanceof Error ? err : new Error(String(err));
}
