import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalRequest, DestructiveOutcome, RunProgress } from './types';

/** No new page starts while paused; pages in flight finish. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** Graceful: pages in flight finish, nothing new starts, the run ends CANCELLED with its counts. */
export const cancelSignal = defineSignal('cancel');
/**
 * From a page's child to its run, once the page is fetched and staged: its Workday slot is free
 * while it is delivered (src/workflows/page-slots.ts).
 */
export const pageFetchedSignal = defineSignal<[number]>('pageFetched');
/** Changes the number of Workday fetches in flight; validated, effective at once. Returns the previous value. */
export const setConcurrencyUpdate = defineUpdate<number, [number]>('setConcurrency');
export const progressQuery = defineQuery<RunProgress>('progress');
/**
 * A sink waiting for approval (its held deactivations and deletions tripped the circuit breaker):
 * apply them, or skip them. Refused unless that sink is waiting; returns once they were applied
 * or skipped, with the counts.
 */
export const approveDestructiveUpdate = defineUpdate<DestructiveOutcome, [ApprovalRequest]>(
  'approveDestructive',
);
export const rejectDestructiveUpdate = defineUpdate<DestructiveOutcome, [ApprovalRequest]>(
  'rejectDestructive',
);

export { MAX_CONCURRENCY } from './limits';
