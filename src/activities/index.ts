import { gzipSync } from 'node:zlib';
import { Context } from '@temporalio/activity';
import { looksAhead } from '../time/lookahead';
import { applyDueTerminations } from './due-terminations';
import { deliveryTotals, finalizeDelivery, sinkNamed } from '../delivery/deliver';
import { applyHeld, rejectHeld, reviewHeld } from '../delivery/lifecycle';
import type { HeldReview } from '../safety/breaker';
import { ErrorType, TypedError } from '../errors/types';
import type { FinalizeContext } from '../sinks/types';
import type { FetchSummary, PageRequestSpec, RunSummary, SinkDelivery } from '../workflows/types';
import type { AsOf } from '../domain/as-of';
import type { DeltaWindow, SyncScope } from '../domain/scope';
import type { SyncMode } from '../domain/run';
import { deliverHeartbeating, heartbeating } from './heartbeat';
import { cleanupStaging } from '../staging/cleanup';
import { type DueTerminations, fetchIntoStaging } from './fetch-page';
import { createSplitSinkActivities, createSplitWorkdayActivities } from './page-split';
import { checkPlan } from './plan-limits';
import { scopeKey } from './scope-key';
import type { ActivityDeps, NotifyEvent } from './ports';
import { createReleaseBookkeeping, createReleaseSinkActivities } from './release';
import { createReplayBookkeeping, createReplaySinkActivities } from './replay';
import { connectionMismatch, type WorkdayConnectionId } from '../workflows/connection';

export type { ActivityDeps } from './ports';

/*
 * Activity factories, one per group: Workday calls (the Workday task queue, rate-limited), sink
 * writes and bookkeeping (the sinks task queue). Every dependency is injected, so tests swap
 * Workday, staging and sinks freely. Activities return counts and hashes only; worker records stay
 * in staging and the sinks. Workflows proxy each group through src/workflows/proxies.ts.
 */

/** Workday → staging. Registered only on the Workday task queue. */
export function createWorkdayActivities(deps: ActivityDeps) {
  return {
    /** Total_Results of the pinned snapshot, from a one-row request (cheap for Workday). */
    async countWorkers(spec: PageRequestSpec): Promise<{ totalResults: number }> {
      // Called once at the start of every run with its full request spec: kept (run_specs) so
      // `wdsync replay --refetch` asks for the same pages. A few hundred bytes, no worker data.
      if (deps.recovery) await deps.recovery.store.recordRunSpec(spec);
      // A tenant can take longer than the heartbeat timeout even for one row.
      const r = await heartbeating(
        () => deps.workday.fetchPage(spec, 1, 1, { signal: Context.current().cancellationSignal }),
        () => ({ count: true }),
      );
      // The workflow plans a page per pageSize results: an absurd total must end the run here.
      checkPlan(r.totalResults, spec.pageSize, deps.planLimits);
      return { totalResults: r.totalResults };
    },

    /** Workday → staging. Streams the response, gzips the raw body and keeps the parsed records. */
    async fetchPage(input: {
      spec: PageRequestSpec;
      page: number;
      dueTerminations?: DueTerminations;
    }): Promise<FetchSummary> {
      const { spec, page } = input;
      const startedAt = new Date();
      const result = await fetchIntoStaging(
        deps,
        spec,
        { page, count: spec.pageSize },
        { runId: spec.runId, page },
        input.dueTerminations,
      );
      if (result.deadLetters.length) {
        await deps.audit.addDeadLetters(spec.runId, page, result.deadLetters);
      }
      await deps.audit.recordPage({
        runId: spec.runId,
        page,
        asOf: spec.asOf.entryMoment,
        totalResults: result.totalResults,
        totalPages: result.totalPages,
        rows: result.rows,
        deadLetters: result.deadLetters.length,
        checksum: result.checksum,
        status: 'fetched',
        error: null,
        attempt: Context.current().info.attempt,
        startedAt,
        endedAt: new Date(),
      });
      return {
        page,
        totalResults: result.totalResults,
        totalPages: result.totalPages,
        rows: result.rows,
        valid: result.valid,
        deadLettered: result.deadLetters.length,
        bytes: result.bytes,
        checksum: result.checksum,
      };
    },

    /**
     * The termination look-ahead of a staged page: one request, by reference, as of the due-by
     * day, for the page's open workers; those due to leave are restaged terminated. Its own
     * activity so the Workday queue's rate limit counts this request like any page.
     */
    async fetchDueTerminations(input: { spec: PageRequestSpec; page: number }): Promise<{ early: number }> {
      const { spec, page } = input;
      if (!looksAhead(spec)) return { early: 0 };
      const key = { runId: spec.runId, page };
      const staged = await deps.staging.getRecords(key);
      const { records, early } = await heartbeating(
        () => applyDueTerminations(deps.workday, spec, staged, Context.current().cancellationSignal),
        () => ({ page, lookahead: true }),
      );
      if (early === 0) return { early };
      const [raw, deadLetters] = await Promise.all([
        deps.staging.getRaw(key),
        deps.staging.getDeadLetters(key),
      ]);
      await deps.staging.put(key, { rawGzip: gzipSync(raw, { level: 1 }), records, deadLetters });
      return { early };
    },

    ...createSplitWorkdayActivities(deps),
  };
}

/** Staging → sinks, for sync runs, replays and dead-letter release. The sinks task queue. */
export function createSinkActivities(deps: ActivityDeps) {
  return {
    /** Staging → one sink. Idempotent: the sink's ledger turns a re-delivery into a no-op. */
    async deliverPage(input: {
      runId: string;
      page: number;
      sink: string;
      asOfEntry: string;
    }): Promise<SinkDelivery> {
      sinkNamed(deps.sinks, input.sink);
      const key = { runId: input.runId, page: input.page };
      const records = await deps.staging.getRecords(key);
      const res = await deliverHeartbeating(
        deps,
        {
          sink: input.sink,
          records,
          ledger: key,
          sourceRunId: input.runId,
          auditRunId: input.runId,
          asOfEntry: input.asOfEntry,
          // A retry after a crash between the sink commit and the audit write finds the page
          // delivered; the sink remembers what it did, and recordEvents skips what is recorded.
          whenAlreadyDelivered: 'record-previous',
          // The run's deactivations and deletions wait for its end and the circuit breaker.
          destructive: 'hold',
        },
        input.page,
      );
      return deliveryTotals(res);
    },

    /** End of run for one sink: JSONL publishes its snapshot; a complete full run marks absentees removed. */
    async finalizeSink(input: {
      runId: string;
      sink: string;
      mode: SyncMode;
      totalPages: number;
      complete: boolean;
      asOfEntry: string;
    }): Promise<{ removed: number; held?: HeldReview }> {
      const ctx: FinalizeContext = {
        runId: input.runId,
        mode: input.mode,
        pages: { through: input.totalPages },
        complete: input.complete,
        asOfEntry: input.asOfEntry,
      };
      return heartbeating(
        async () => {
          const r = await finalizeDelivery(deps, {
            sink: input.sink,
            ctx,
            auditRunId: input.runId,
            destructive: 'hold',
          });
          // What the run holds for the sink, against its limits: counts only go to the workflow.
          const held = await reviewHeld(deps, {
            sink: sinkNamed(deps.sinks, input.sink),
            runId: input.runId,
          });
          return held ? { ...r, held } : r;
        },
        () => ({ sink: input.sink }),
      );
    },

    /** The run's held deactivations and deletions on one sink, applied (under its limits, or approved). */
    async applyHeldActions(input: {
      runId: string;
      sink: string;
      asOfEntry: string;
      by?: string;
    }): Promise<{ applied: number; failed: number }> {
      const ctx = Context.current();
      return heartbeating(
        () =>
          applyHeld(deps, {
            sink: sinkNamed(deps.sinks, input.sink),
            runId: input.runId,
            asOfEntry: input.asOfEntry,
            by: input.by,
            heartbeat: () => ctx.heartbeat({ sink: input.sink }),
          }),
        () => ({ sink: input.sink }),
      );
    },

    /** The run's held actions on one sink, skipped: `wdsync reject`. */
    async rejectHeldActions(input: {
      runId: string;
      sink: string;
      by: string;
    }): Promise<{ rejected: number }> {
      return rejectHeld(deps, { sink: sinkNamed(deps.sinks, input.sink), runId: input.runId, by: input.by });
    },

    ...createSplitSinkActivities(deps),
    ...createReplaySinkActivities(deps),
    ...createReleaseSinkActivities(deps),
  };
}

/**
 * Run records, the delta watermark, page failures, notifications, and the planning of replays and
 * releases: the state store and the notifier, never Workday or a sink. Served on the sinks task
 * queue, whose workers hold the state store.
 */
export function createBookkeepingActivities(deps: ActivityDeps) {
  return {
    async recordRunStart(input: Parameters<ActivityDeps['audit']['recordRunStart']>[0]) {
      await deps.audit.recordRunStart(input);
    },

    /**
     * The delta windows of a run, which Workday ORs (two Transaction_Log_Criteria_Data):
     * - Updated_*: changes entered from the stored watermark (the last good run's entry moment)
     *   through the pinned entry moment, whatever their effective date;
     * - Effective_*: changes entered earlier that took effect after the last good run's pinned
     *   effective date, through this run's (future-dated hires, terminations, changes). Effective
     *   dates are tenant-local days, so the bounds are tenant-local dateTimes (no zone). Omitted
     *   when both runs pin the same effective date.
     */
    async resolveDeltaWindow(input: {
      tenant: string;
      scope: SyncScope | null;
      asOf: AsOf;
      fullIfNoWatermark: boolean;
      /** The last effective day to select (a termination look-ahead's); default asOf's. */
      effectiveThrough?: string;
    }): Promise<{ window?: DeltaWindow }> {
      const key = scopeKey(input.scope);
      const mark = await deps.audit.getWatermark(input.tenant, key);
      if (!mark) {
        if (input.fullIfNoWatermark) return {};
        throw new TypedError(
          ErrorType.NoWatermark,
          `no delta watermark for tenant ${input.tenant} and scope ${key}: a delta run needs a completed full run first; run \`wdsync start --mode full\` (same scope), or pass --full-if-no-watermark`,
        );
      }
      const window: DeltaWindow = {
        updatedFrom: mark.updatedThrough.toISOString(),
        updatedThrough: input.asOf.entryMoment,
      };
      // Without the last run's effective date (an older record), start a day early: re-fetching
      // a worker is harmless, missing one is not.
      const lastEffective = mark.effectiveDate ?? addDays(mark.updatedThrough.toISOString().slice(0, 10), -1);
      const firstNew = addDays(lastEffective, 1);
      const through =
        input.effectiveThrough && input.effectiveThrough > input.asOf.effectiveDate
          ? input.effectiveThrough
          : input.asOf.effectiveDate;
      if (firstNew <= through) {
        window.effectiveFrom = `${firstNew}T00:00:00`;
        window.effectiveThrough = `${through}T23:59:59`;
      }
      return { window };
    },

    async recordRunEnd(input: {
      runId: string;
      summary: RunSummary;
      tenant: string;
      scope: SyncScope | null;
    }) {
      await deps.audit.recordRunEnd(input.runId, input.summary);
      // The watermark advances only over a run that left nothing behind.
      if (input.summary.status === 'COMPLETED' && input.summary.pagesFailed === 0) {
        await deps.audit.setWatermark(
          input.tenant,
          scopeKey(input.scope),
          input.summary.asOf.entryMoment,
          input.runId,
        );
      }
      if (input.summary.status === 'COMPLETED') {
        // Status pages follow every run, not only the failed ones.
        await deps.notifier.notify({
          type: 'run.completed',
          runId: input.runId,
          command: `wdsync status ${input.runId}`,
          details: { ...input.summary },
        });
      }
      const drift = input.summary.drift;
      if (drift) {
        // Drift is what the deltas missed: someone should hear of it, on the webhook too.
        await deps.notifier.notify({
          type: 'run.reconciled',
          runId: input.runId,
          command: `wdsync status ${input.runId}`,
          details: { status: input.summary.status, drift: drift.perSink, total: drift.total },
        });
      }
      if (input.summary.status === 'COMPLETED_WITH_FAILURES') {
        const { failedPages, sinkFailures, reconciliation, totalsMismatch } = input.summary;
        const sinkPages = Object.values(sinkFailures).some((p) => p.length > 0);
        const errorType = failedPages.length
          ? ErrorType.PagesFailed
          : sinkPages
            ? ErrorType.SinkDeliveryFailed
            : ErrorType.ReconciliationMismatch;
        const mismatch = reconciliation.ok
          ? ''
          : `; reconciliation: ${reconciliation.accounted} rows accounted of ${reconciliation.expected}${totalsMismatch.length ? ` (${totalsMismatch.join('; ')})` : ''}`;
        await deps.notifier.notify({
          type: 'run.completed_with_failures',
          runId: input.runId,
          page: failedPages[0],
          errorType,
          error: `pages failed: ${failedPages.join(', ') || 'none'}; sink failures: ${JSON.stringify(sinkFailures)}${mismatch}`,
          // A mismatch with nothing failed means the snapshot itself did not add up: run it again.
          command:
            failedPages.length || sinkPages ? `wdsync replay ${input.runId} --failed` : 'wdsync start --wait',
          details: { failedPages, sinkFailures, reconciliation, totalsMismatch },
        });
      }
    },

    /**
     * The end of a run that did not reach recordRunEnd: failed (an auth fault, a failed delta,
     * refused data) or cancelled through Temporal. Its row must not stay RUNNING.
     */
    async recordRunClosed(input: {
      runId: string;
      status: 'FAILED' | 'CANCELLED';
      error: string;
      errorType?: string;
    }) {
      await deps.audit.recordRunClosed(input.runId, input.status, input.error, input.errorType);
    },

    async recordPageFailure(input: { runId: string; page: number; error: string; errorType?: string }) {
      await deps.audit.recordPage({
        runId: input.runId,
        page: input.page,
        status: 'failed',
        error: input.error,
      });
      await deps.notifier.notify({
        type: 'page.failed',
        runId: input.runId,
        page: input.page,
        error: input.error,
        errorType: input.errorType,
        command: `wdsync replay ${input.runId} --pages ${input.page}`,
      });
    },

    async notify(event: NotifyEvent) {
      const command = event.type === 'run.degraded' ? `wdsync resume ${event.runId}` : event.command;
      await deps.notifier.notify({ ...event, command });
    },

    /**
     * Staging retention (the Schedule `wdsync worker` keeps): deletes runs staged longer ago than
     * the setting, except runs still going, whose retries and replays read their pages.
     */
    async expireStaging(input: { olderThanDays: number }) {
      return cleanupStaging(deps.staging, {
        olderThanMs: input.olderThanDays * 86_400_000,
        keep: new Set(await deps.audit.openRunIds()),
      });
    },

    ...createReplayBookkeeping(deps),
    ...createReleaseBookkeeping(deps),
  };
}

export type WorkdayActivities = ReturnType<typeof createWorkdayActivities>;
export type SinkActivities = ReturnType<typeof createSinkActivities>;
export type BookkeepingActivities = ReturnType<typeof createBookkeepingActivities>;

/** What each activity task queue's workers register: exactly the group its proxies call. */
export function activitiesByQueue(deps: ActivityDeps) {
  return {
    workday: boundToConnection(deps.connection, createWorkdayActivities(deps)),
    sinks: boundToConnection(deps.connection, {
      ...createSinkActivities(deps),
      ...createBookkeepingActivities(deps),
    }),
  };
}

/**
 * Every activity's input carries the connection its run is pinned to (src/workflows/proxies.ts
 * adds it). A task of another connection, say through a hand-made start naming this worker's
 * queue, is refused here, before the activity reaches Workday, staging, a sink or the state store.
 */
function boundToConnection<T extends Record<string, (input: never) => Promise<unknown>>>(
  own: WorkdayConnectionId | undefined,
  group: T,
): T {
  const bound: Record<string, (input: Record<string, unknown> | undefined) => Promise<unknown>> = {};
  for (const [name, fn] of Object.entries(group)) {
    bound[name] = async (input) => {
      const { connection, ...rest } = input ?? {};
      const problem = connectionMismatch(own, connection as WorkdayConnectionId | undefined);
      if (problem) throw new TypedError(ErrorType.WrongConnection, problem);
      return (fn as (i: unknown) => Promise<unknown>)(input === undefined ? input : rest);
    };
  }
  return bound as unknown as T;
}

/** YYYY-MM-DD plus n calendar days. */
function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}
