import { Context } from '@temporalio/activity';

/**
 * How often a long activity reports liveness: well inside the 20 s heartbeat timeout of
 * activity-options.ts, so a busy event loop that delays a beat or two does not time it out.
 */
export const HEARTBEAT_MS = 2_000;

/** Runs fn while heartbeating `details()` every HEARTBEAT_MS. */
export function heartbeating<T>(fn: () => Promise<T>, details: () => unknown): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(details()), HEARTBEAT_MS);
  return fn().finally(() => clearInterval(timer));
}
