import { Context } from '@temporalio/activity';
import type { DeliveryResult } from '../sinks/types';
import { type Delivery, type DeliveryPorts, deliver } from '../delivery/deliver';

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

/**
 * One page's delivery inside an activity: the sink's own progress calls and a timer both
 * heartbeat, with the page and sink as details, so a long write is never taken for a dead worker.
 */
export function deliverHeartbeating(
  deps: DeliveryPorts,
  delivery: Omit<Delivery, 'heartbeat'>,
  page: number,
): Promise<DeliveryResult> {
  const ctx = Context.current();
  return heartbeating(
    () => deliver(deps, { ...delivery, heartbeat: () => ctx.heartbeat() }),
    () => ({ page, sink: delivery.sink }),
  );
}
