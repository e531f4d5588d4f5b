import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RunProgress } from './types';

/** No new page starts while paused; pages in flight finish. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** Graceful: pages in flight finish, nothing new starts, the run ends CANCELLED with its counts. */
export const cancelSignal = defineSignal('cancel');
/** Changes the number of pages in flight; validated, effective at once. Returns the previous value. */
export const setConcurrencyUpdate = defineUpdate<number, [number]>('setConcurrency');
export const progressQuery = defineQuery<RunProgress>('progress');

export const MAX_CONCURRENCY = 64;
