import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { ErrorType } from '../errors/types';
import { contextOfActivityInput, contextOfWorkflowId, type LogContext, withLogContext } from './log-context';
import type { WdsyncLogger } from './log';
import type { WdsyncMetrics } from './metrics';
import { annotateActiveSpan } from './tracing';

/** The activities that move a page, and the stage of pages_in_flight each one counts under. */
const STAGE: Record<string, string> = {
  fetchPage: 'fetch',
  deliverPage: 'deliver',
  replayDeliverPage: 'deliver',
};

/** An activity's result as it may be logged: its numbers (counts, bytes), nothing else. */
function counts(result: unknown): Record<string, number> | undefined {
  if (!result || typeof result !== 'object') return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(result)) if (typeof v === 'number') out[k] = v;
  return Object.keys(out).length ? out : undefined;
}

/**
 * Around every activity: its run, page, sink and attempt become the context of every log line it
 * writes and attributes of its span; pages in flight are counted; the end is logged with the
 * duration and counts. Must sit inside Temporal's OpenTelemetry interceptor (its span is active
 * here) and outside failureMapping (the error seen here is the typed failure Temporal gets).
 */
export function observingActivities(opts: {
  log?: WdsyncLogger;
  metrics?: WdsyncMetrics;
}): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const info = ctx.info;
        const lc: LogContext = {
          ...(info.workflowExecution ? contextOfWorkflowId(info.workflowExecution.workflowId) : {}),
          ...contextOfActivityInput(input.args),
          attempt: info.attempt,
          activity: info.activityType,
        };
        return withLogContext(lc, async () => {
          annotateActiveSpan({
            'wdsync.run_id': lc.runId ?? '',
            ...(lc.page !== undefined ? { 'wdsync.page': lc.page } : {}),
            ...(lc.sink !== undefined ? { 'wdsync.sink': lc.sink } : {}),
            'wdsync.attempt': info.attempt,
          });
          const stage = STAGE[info.activityType];
          const gauge = stage && opts.metrics && { tenant: opts.metrics.tenant, stage };
          if (gauge) opts.metrics!.pagesInFlight.inc(gauge);
          const start = Date.now();
          try {
            const result = await next(input);
            opts.log?.info({ durationMs: Date.now() - start, result: counts(result) }, 'activity completed');
            return result;
          } catch (err) {
            const e = err as Error & { type?: string; nonRetryable?: boolean; nextRetryDelay?: unknown };
            if (opts.metrics && e.type === ErrorType.WorkdayThrottled) {
              // The wait Temporal will honour before the retry (Retry-After, or backoff with jitter).
              const tenant = opts.metrics.tenant;
              opts.metrics.throttleWaits.inc({ tenant });
              if (typeof e.nextRetryDelay === 'number')
                opts.metrics.retryAfter.observe({ tenant }, e.nextRetryDelay / 1000);
            }
            opts.log?.warn(
              {
                durationMs: Date.now() - start,
                errorType: e.type ?? e.name,
                nonRetryable: e.nonRetryable === true,
                error: e.message,
              },
              'activity failed',
            );
            throw err;
          } finally {
            if (gauge) opts.metrics!.pagesInFlight.dec(gauge);
          }
        });
      },
    },
  });
}
