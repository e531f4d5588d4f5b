import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  proxyActivities,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SyncActivities } from '../activities';
import { tenantDate } from '../time/tenant-date';
import {
  bookkeepingActivityOptions,
  sinkActivityOptions,
  tuned,
  workdayActivityOptions,
} from './activity-options';
import { pageWorkflowId, runIdProblem } from './ids';
import {
  cancelSignal,
  MAX_CONCURRENCY,
  pauseSignal,
  progressQuery,
  resumeSignal,
  setConcurrencyUpdate,
} from './messages';
import { MODE, PAGES_FAILED, RUN_ID, STATE } from './search-attributes';
import { ErrorType } from '../errors/types';
import { failureMessage, failureType, syncPage } from './sync-page';
import type {
  PageOutcome,
  PageRequestSpec,
  RunCarry,
  RunProgress,
  RunSummary,
  SinkTotals,
  SyncRunInput,
} from './types';
import type { RunState } from '../domain/run';

const books = proxyActivities<SyncActivities>(bookkeepingActivityOptions);

/** Well below Temporal's 10,240-event warning: a page costs about ten parent events. */
type Activities = ReturnType<typeof proxyActivities<SyncActivities>>;

export const DEFAULT_PAGES_PER_EXECUTION = 300;
export const DEFAULT_MAX_CONSECUTIVE_FAILURES = 5;
export const DEFAULT_RECOVERY_PASSES = 1;
export const DEFAULT_RECOVERY_COOLDOWN_SECONDS = 30;

/**
 * One sync run. Pins the snapshot once, plans pages from Total_Results, keeps at most
 * `concurrency` page children in flight, and continues-as-new every `pagesPerExecution` pages
 * after draining, so a million-worker run keeps a small history.
 */
export async function syncRun(input: SyncRunInput): Promise<RunSummary> {
  const workday = proxyActivities<SyncActivities>(tuned(workdayActivityOptions, 'workday', input.tuning));
  const sinks = proxyActivities<SyncActivities>(tuned(sinkActivityOptions, 'sink', input.tuning));
  // Handlers are registered before the first await, so a run is queryable and pausable at once.
  const s: RunCarry = input.carry ?? newCarry(input);
  const runId = s.runId;
  // A start from another client skips the CLI's check; the id names staging and sink paths, so
  // refuse it before the first command. Valid ids see no change in the command sequence.
  const badId = runIdProblem(runId);
  if (badId) throw ApplicationFailure.nonRetryable(badId, ErrorType.InvalidRunId);
  // A scoped run covers part of the tenant: it never proves a worker was removed, and the JSONL
  // snapshot is merged rather than replaced.
  const wholeTenant =
    !input.scope ||
    Object.entries(input.scope).every(
      ([k, v]) => k === 'responseGroups' && Object.values(v ?? {}).every(Boolean),
    );
  const pagesPerExecution = input.pagesPerExecution ?? DEFAULT_PAGES_PER_EXECUTION;
  const maxConsecutive = input.maxConsecutiveFailures ?? DEFAULT_MAX_CONSECUTIVE_FAILURES;

  const inFlight = new Set<number>();
  let cancelled = false;
  let startedHere = 0;
  let lastState: RunState | undefined;

  const state = (): RunState => {
    if (cancelled) return inFlight.size ? 'Cancelling' : 'Cancelled';
    if (s.degraded && s.paused) return 'Degraded';
    return s.paused ? 'Paused' : 'Running';
  };
  const progress = (): RunProgress => buildProgress(s, state(), inFlight.size);
  const publish = () => {
    const st = state();
    if (st !== lastState) {
      // A scheduled run starts without WdsyncRunId (Temporal names it); add it with the first state.
      const runIdMissing =
        lastState === undefined &&
        !workflowInfo().typedSearchAttributes.get(RUN_ID) &&
        patched('run-id-search-attribute');
      lastState = st;
      upsertSearchAttributes([
        { key: STATE, value: st },
        ...(runIdMissing ? [{ key: RUN_ID, value: runId }] : []),
      ]);
    }
    setCurrentDetails(detailsText(progress()));
  };

  setHandler(pauseSignal, () => {
    s.paused = true;
    publish();
  });
  setHandler(resumeSignal, () => {
    s.paused = false;
    s.degraded = false;
    s.consecutiveFailures = 0;
    publish();
  });
  setHandler(cancelSignal, () => {
    cancelled = true;
    publish();
  });
  setHandler(
    setConcurrencyUpdate,
    (n) => {
      const previous = s.concurrency;
      s.concurrency = n;
      publish();
      return previous;
    },
    {
      validator: (n) => {
        if (!Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY) {
          throw new Error(`concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, got ${n}`);
        }
      },
    },
  );
  setHandler(progressQuery, progress);
  publish();

  if (!input.carry) await planRun(input, s, workday);
  const spec: PageRequestSpec = {
    runId,
    tenant: input.tenant,
    pageSize: input.pageSize,
    asOf: s.asOf,
    scope: input.scope,
    window: s.window,
  };

  const deadLetterThreshold = input.deadLetterThreshold ?? 0;
  /** Adds a page's outcome to the run; true when this page took dead letters past the threshold. */
  const record = (outcome: PageOutcome): boolean => {
    const before = s.deadLettered;
    s.pagesDone += 1;
    s.workersFetched += outcome.fetch.rows;
    s.deadLettered += outcome.fetch.deadLettered;
    if (outcome.fetch.totalResults !== s.totalResults) {
      s.totalsMismatch.push(
        `page ${outcome.page} reported Total_Results ${outcome.fetch.totalResults}, page 1 reported ${s.totalResults}`,
      );
    }
    // Workday fills every page but the last, so an empty one earlier means Total_Results lied: a
    // total of 1e9 with empty pages once kept a run planning for ever. Stop planning and let the
    // summary report the mismatch. patched() is reached only on such a page, so histories without
    // one replay as before.
    if (
      outcome.fetch.rows === 0 &&
      outcome.page < s.totalPages &&
      s.emptyPage === undefined &&
      patched('empty-page-stops-plan')
    ) {
      s.emptyPage = outcome.page;
      s.totalsMismatch.push(
        `page ${outcome.page} of ${s.totalPages} returned no workers although Total_Results ${s.totalResults} promised more; no page after ${s.nextPage - 1} was started`,
      );
    }
    for (const [sink, d] of Object.entries(outcome.delivered)) addDelivery(s, sink, d);
    for (const sink of Object.keys(outcome.sinkErrors)) {
      s.sinkFailures[sink] = [...(s.sinkFailures[sink] ?? []), outcome.page];
    }
    // Crossing, not being above, so the event fires once per run (counts survive continue-as-new).
    return deadLetterThreshold > 0 && before < deadLetterThreshold && s.deadLettered >= deadLetterThreshold;
  };

  const runPage = async (page: number): Promise<boolean> => {
    inFlight.add(page);
    publish();
    try {
      const outcome = await executeChild(syncPage, {
        workflowId: pageWorkflowId(runId, page),
        args: [{ spec, page, sinks: input.sinks, tuning: input.tuning }],
      });
      const crossed = record(outcome);
      s.failedPages = s.failedPages.filter((p) => p !== page);
      s.consecutiveFailures = 0;
      if (crossed) {
        await books.notify({
          type: 'dead_letters.threshold',
          runId,
          page,
          errorType: ErrorType.DeadLetters,
          error: `${s.deadLettered} records of this run failed validation or mapping (threshold ${deadLetterThreshold}); latest on page ${page}`,
          command: `wdsync dead-letters list --run ${runId}`,
        });
      }
      return true;
    } catch (err) {
      if (!s.failedPages.includes(page)) s.failedPages.push(page);
      s.consecutiveFailures = (s.consecutiveFailures ?? 0) + 1;
      await books.recordPageFailure({ runId, page, error: failureMessage(err), errorType: failureType(err) });
      if ((s.consecutiveFailures ?? 0) > maxConsecutive && !s.paused) {
        s.paused = true;
        s.degraded = true;
        await books.notify({
          type: 'run.degraded',
          runId,
          page,
          errorType: ErrorType.ConsecutivePageFailures,
          command: `wdsync resume ${runId}`,
          error: `${s.consecutiveFailures} consecutive pages failed; last: ${failureMessage(err)}`,
        });
      }
      return false;
    } finally {
      inFlight.delete(page);
      publish();
    }
  };

  const moreHere = () =>
    !cancelled &&
    s.emptyPage === undefined &&
    s.nextPage <= s.totalPages &&
    startedHere < pagesPerExecution &&
    !workflowInfo().continueAsNewSuggested;
  const canStart = () => moreHere() && !s.paused && inFlight.size < s.concurrency;

  for (;;) {
    // Wake to start a page, or to leave once drained (a paused run with pages left waits here).
    await condition(() => canStart() || (inFlight.size === 0 && !(moreHere() && s.paused)));
    if (!canStart()) break;
    void runPage(s.nextPage);
    s.nextPage += 1;
    startedHere += 1;
  }

  if (!cancelled && s.emptyPage === undefined && s.nextPage <= s.totalPages) {
    await condition(allHandlersFinished);
    s.executions += 1;
    return continueAsNew<typeof syncRun>({ ...input, carry: s });
  }

  if (!cancelled) await recover(input, s, runPage, () => cancelled, sinks);

  const summary = buildSummary(input, s, cancelled);
  for (const sink of input.sinks) {
    await sinks.finalizeSink({
      runId,
      sink,
      mode: wholeTenant ? s.mode : 'delta',
      totalPages: s.totalPages,
      complete: wholeTenant && summary.status === 'COMPLETED' && !(s.sinkFailures[sink]?.length ?? 0),
      asOfEntry: s.asOf.entryMoment,
    });
  }
  await books.recordRunEnd({ runId, summary, tenant: input.tenant, scope: input.scope ?? null });
  upsertSearchAttributes([
    { key: STATE, value: summaryState(summary) },
    { key: PAGES_FAILED, value: s.failedPages.length },
  ]);
  setCurrentDetails(detailsText(summary));
  await condition(allHandlersFinished);
  return summary;
}

function newCarry(input: SyncRunInput): RunCarry {
  const now = new Date();
  return {
    runId: input.runId ?? workflowInfo().workflowId,
    mode: input.mode,
    window: input.window,
    asOf: input.asOf ?? { entryMoment: now.toISOString(), effectiveDate: tenantDate(now, input.timezone) },
    startedAt: now.toISOString(),
    totalResults: 0,
    totalPages: 0,
    nextPage: 1,
    pagesDone: 0,
    failedPages: [],
    workersFetched: 0,
    deadLettered: 0,
    perSink: {},
    sinkFailures: {},
    totalsMismatch: [],
    paused: false,
    concurrency: input.concurrency,
    executions: 1,
  };
}

/** First execution only: the delta window, the run record, and Total_Results of the snapshot. */
async function planRun(input: SyncRunInput, s: RunCarry, workday: Activities): Promise<void> {
  if (s.mode === 'delta' && !s.window) {
    const delta = await books.resolveDeltaWindow({
      tenant: input.tenant,
      scope: input.scope ?? null,
      asOf: s.asOf,
      fullIfNoWatermark: input.fullIfNoWatermark ?? false,
    });
    if (delta.window) s.window = delta.window;
    else s.mode = 'full';
    upsertSearchAttributes([{ key: MODE, value: s.mode }]);
  }
  await books.recordRunStart({
    runId: s.runId,
    mode: s.mode,
    tenant: input.tenant,
    scope: input.scope ?? null,
    asOf: s.asOf,
    pageSize: input.pageSize,
  });
  const { totalResults } = await workday.countWorkers({
    runId: s.runId,
    tenant: input.tenant,
    pageSize: input.pageSize,
    asOf: s.asOf,
    scope: input.scope,
    window: s.window,
  });
  s.totalResults = totalResults;
  s.totalPages = Math.ceil(totalResults / input.pageSize);
}

/**
 * Recovery passes: after a cool-down, failed pages run again (same pinned snapshot), and sinks that
 * failed a page are re-delivered from staging without touching Workday.
 */
async function recover(
  input: SyncRunInput,
  s: RunCarry,
  runPage: (page: number) => Promise<boolean>,
  isCancelled: () => boolean,
  sinks: Activities,
): Promise<void> {
  const passes = input.recovery?.passes ?? DEFAULT_RECOVERY_PASSES;
  const cooldown = input.recovery?.cooldownSeconds ?? DEFAULT_RECOVERY_COOLDOWN_SECONDS;
  for (let pass = 0; pass < passes; pass++) {
    const sinkPending = Object.values(s.sinkFailures).some((pages) => pages.length > 0);
    if (!s.failedPages.length && !sinkPending) return;
    await sleep(cooldown * 1000);
    for (const page of [...s.failedPages]) {
      if (isCancelled()) return;
      await condition(() => !s.paused || isCancelled());
      await runPage(page);
    }
    for (const [sink, pages] of Object.entries(s.sinkFailures)) {
      const still: number[] = [];
      for (const page of pages) {
        try {
          const d = await sinks.deliverPage({ runId: s.runId, page, sink, asOfEntry: s.asOf.entryMoment });
          addDelivery(s, sink, d);
        } catch {
          still.push(page);
        }
      }
      s.sinkFailures[sink] = still;
    }
  }
}

function addDelivery(s: RunCarry, sink: string, d: SinkTotals) {
  const t = s.perSink[sink] ?? { inserted: 0, updated: 0, unchanged: 0 };
  s.perSink[sink] = {
    inserted: t.inserted + d.inserted,
    updated: t.updated + d.updated,
    unchanged: t.unchanged + d.unchanged,
  };
}

function buildProgress(s: RunCarry, state: RunState, inFlight: number): RunProgress {
  const elapsed = Math.max(1, Date.now() - Date.parse(s.startedAt)) / 1000;
  const delivered: Record<string, number> = {};
  let skippedUnchanged = 0;
  for (const [sink, t] of Object.entries(s.perSink)) {
    delivered[sink] = t.inserted + t.updated + t.unchanged;
    skippedUnchanged += t.unchanged;
  }
  return {
    runId: s.runId,
    mode: s.mode,
    state,
    asOf: s.asOf,
    pagesTotal: s.totalPages,
    pagesDone: s.pagesDone,
    pagesInFlight: inFlight,
    pagesFailed: s.failedPages.length,
    failedPages: [...s.failedPages],
    totalResults: s.totalResults,
    workersFetched: s.workersFetched,
    deadLettered: s.deadLettered,
    delivered,
    skippedUnchanged,
    paused: s.paused,
    concurrency: s.concurrency,
    workersPerSecond: Math.round(s.workersFetched / elapsed),
    startedAt: s.startedAt,
    executions: s.executions,
  };
}

/**
 * The run's end state. A reconciliation mismatch (rows that do not add up to the snapshot's
 * Total_Results, or pages disagreeing on it) is a failure, never a silent short load: the run is not
 * complete, so no sink marks absentees removed and the delta watermark stays put.
 */
export function buildSummary(
  input: Pick<SyncRunInput, 'pageSize'>,
  s: RunCarry,
  cancelled: boolean,
): RunSummary {
  // Rows of failed pages are unknown (never fetched), so count them at full page size, capped by the total.
  const failedRows = s.failedPages.reduce(
    (n, p) => n + Math.min(input.pageSize, Math.max(0, s.totalResults - (p - 1) * input.pageSize)),
    0,
  );
  const accounted = s.workersFetched + failedRows;
  const reconciled = accounted === s.totalResults && s.totalsMismatch.length === 0;
  const failed =
    s.failedPages.length > 0 || Object.values(s.sinkFailures).some((p) => p.length > 0) || !reconciled;
  const status = cancelled ? 'CANCELLED' : failed ? 'COMPLETED_WITH_FAILURES' : 'COMPLETED';
  const base = buildProgress(s, cancelled ? 'Cancelled' : failed ? 'CompletedWithFailures' : 'Completed', 0);
  return {
    ...base,
    status,
    perSink: s.perSink,
    sinkFailures: s.sinkFailures,
    totalsMismatch: s.totalsMismatch,
    reconciliation: {
      expected: s.totalResults,
      accounted,
      ok: cancelled || reconciled,
    },
    endedAt: new Date().toISOString(),
    durationMs: Date.now() - Date.parse(s.startedAt),
  };
}

function summaryState(summary: RunSummary): RunState {
  if (summary.status === 'CANCELLED') return 'Cancelled';
  return summary.status === 'COMPLETED' ? 'Completed' : 'CompletedWithFailures';
}

/** Markdown for the Web UI's "Current details": counts and state only, never worker data. */
function detailsText(p: RunProgress): string {
  const delivered = Object.entries(p.delivered)
    .map(([sink, n]) => `${sink} ${n}`)
    .join(', ');
  return [
    `**${p.state}** · ${p.mode} sync · run \`${p.runId}\``,
    `Pages ${p.pagesDone}/${p.pagesTotal} done, ${p.pagesInFlight} in flight, ${p.pagesFailed} failed` +
      (p.failedPages.length ? ` (${p.failedPages.slice(0, 20).join(', ')})` : ''),
    `Workers fetched ${p.workersFetched}/${p.totalResults}, dead-lettered ${p.deadLettered}`,
    `Delivered: ${delivered || 'none yet'}; unchanged skipped ${p.skippedUnchanged}`,
    `Snapshot as of ${p.asOf.entryMoment} (effective ${p.asOf.effectiveDate}); concurrency ${p.concurrency}`,
  ].join('\n\n');
}
