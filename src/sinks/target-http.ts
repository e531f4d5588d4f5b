import { ApplicationFailure } from '@temporalio/common';
import { boundText } from '../errors/bound';
import { ErrorType, TypedError } from '../errors/types';

/**
 * How the business-target sinks treat an HTTP answer they cannot use: a throttle (429, or 503 with
 * Retry-After) is waited out in the activity when short, else the page is retried by Temporal
 * after the delay the target asked for; an auth refusal is not retried; a 5xx or a lost
 * connection is; any other 4xx is the request's fault and is not.
 */

/** Waits up to this long in the activity before handing a throttle to Temporal's retry. */
export const INLINE_THROTTLE_MS = 15_000;

export interface Throttle {
  target: string;
  /** What was being done, for the message. */
  what: string;
  retryAfterMs: number;
}

export function retryAfterMs(header: string | null | undefined, fallbackMs = 60_000): number {
  if (!header) return fallbackMs;
  const s = Number(header);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? fallbackMs : Math.max(0, at - Date.now());
}

/** A throttle too long to wait out here: the page fails now and Temporal retries it after the delay. */
export function throttleFailure(t: Throttle): ApplicationFailure {
  return ApplicationFailure.create({
    type: ErrorType.TargetThrottled,
    message: `${t.target} throttled ${t.what} (HTTP 429, Retry-After ${Math.ceil(t.retryAfterMs / 1000)}s); the page is retried after that`,
    nextRetryDelay: Math.max(1000, t.retryAfterMs),
  });
}

export function httpFailure(
  target: string,
  what: string,
  status: number,
  text: string,
  authHint: string,
): TypedError {
  const detail = boundText(text);
  if (status === 401 || status === 403)
    return new TypedError(
      ErrorType.TargetAuth,
      `${target} refused ${what} (HTTP ${status}: ${detail}); ${authHint}`,
    );
  return new TypedError(
    ErrorType.TargetRequest,
    `${target} refused ${what}: HTTP ${status}: ${detail}`,
    status >= 500,
  );
}

export function connectionFailure(target: string, what: string, err: unknown): TypedError {
  return new TypedError(
    ErrorType.TargetRequest,
    `${target} unreachable during ${what}: ${(err as Error).message}`,
    true,
  );
}

/** Sleeps `ms`, heartbeating every few seconds so a long throttle wait does not look like a dead worker. */
export async function waitHeartbeating(
  ms: number,
  sleep: (ms: number) => Promise<void>,
  heartbeat?: () => void,
): Promise<void> {
  for (let left = ms; left > 0; left -= 5000) {
    await sleep(Math.min(left, 5000));
    heartbeat?.();
  }
}

export const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
