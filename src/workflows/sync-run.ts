import {
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  ContinueAsNew,
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { ErrorType } from '../errors/types';
import { terminationsDueBy } from '../time/lookahead';
import { tenantDate } from '../time/tenant-date';
import { pageWorkflowId, runIdProblem } from './ids';
import {
  approveDestructiveUpdate,
  cancelSignal,
  MAX_CONCURRENCY,
  pageFetchedSignal,
  pauseSignal,
  progressQuery,
  rejectDestructiveUpdate,
  resumeSignal,
  setConcurrencyUpdate,
} from './messages';
import {
  bookkeepingActivities,
  type SinkProxy,
  sinkActivities,
  type WorkdayProxy,
  workdayActivities,
} from './proxies';
import { backlogProblem, DEFAULT_BACKLOG, PageSlots } from './page-slots';
import { detailsText, RunRules, reconcileDrift, summaryState } from './run-rules';
import { MODE, PAGES_FAILED, RUN_ID, STATE } from './search-attributes';
import { failureMessage, failureType, syncPage } from './sync-page';
import type { ApprovalRequest, PageRequestSpec, RunCarry, RunSummary, SyncRunInput } from './types';
import type { HeldReview } from '../safety/breaker';
import type { RunState } from '../domain/run';

type Books = ReturnType<typeof bookkeepingActivities>;

export const DEFAULT_PAGES_PER_EXECUTION = 300;
export { DEFAULT_MAX_CONSECUTIVE_FAILURES } from './run-rules';
export const DEFAULT_RECOVERY_PASSES = 1;
export const DEFAULT_RECOVERY_COOLDOWN_SECONDS = 30;
export { buildSummary } from './run-rules';

/**
 * One sync run. Pins the snapshot once, plans pages from Total_Results, keeps at most
 * `concurrency` page fetches in flight (and at most `backlog` more pages awaiting delivery; see
 * page-slots.ts), and continues-as-new every `pagesPerExecution` pages after draining, so a
 * million-worker run keeps a small history. The run's rules (counts,
 * reconciliation, auto-pause, thresholds, completion) live in RunRules; this is the control flow.
 */
export async function syncRun(input: SyncRunInput): Promise<RunSummary> {
  const workday = workdayActivities(input.tuning, input.connection);
  const sinks = sinkActivities(input.tuning, input.connection);
  const books = bookkeepingActivities(input.connection);
  /** Recording a run's end on the way out: a few quick attempts, then status reconciles it. */
  const closing = bookkeepingActivities(input.connection, { maximumAttempts: 3 });
  // Handlers are registered before the first await, so a run is queryable and pausable at once.
  const s: RunCarry = input.carry ?? newCarry(input);
  const runId = s.runId;
  // A start from another client skips the CLI's check; the id names staging and sink paths, so
  // refuse it before the first command. Valid ids see no change in the command sequence.
  const badId = runIdProblem(runId);
  if (badId) throw ApplicationFailure.nonRetryable(badId, ErrorType.InvalidRunId);
  const backlog = input.backlog ?? DEFAULT_BACKLOG;
  const badBacklog = backlogProblem(backlog);
  if (badBacklog) throw ApplicationFailure.nonRetryable(badBacklog, ErrorType.Config);
  // Decided once per execution, where the first page would start; see page-slots.ts.
  let slots = new PageSlots(false, backlog);
  const rules = new RunRules(s, {
    pageSize: input.pageSize,
    maxConsecutiveFailures: input.maxConsecutiveFailures,
    deadLetterThreshold: input.deadLetterThreshold,
    wholeTenant: RunRules.coversWholeTenant(input.scope),
    // Reached only on such a page, so histories without one replay as before.
    emptyPageStopsPlan: () => patched('empty-page-stops-plan'),
    pipeline: () => (slots.pipelined ? { fetching: slots.fetchingCount, backlog } : undefined),
  });
  const pagesPerExecution = input.pagesPerExecution ?? DEFAULT_PAGES_PER_EXECUTION;
  let startedHere = 0;
  let lastState: RunState | undefined;

  // --- handlers ---
  const publish = () => {
    const st = rules.state(slots.size);
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
    setCurrentDetails(rules.details(slots.size));
  };
  const after =
    <A extends unknown[], R>(f: (...a: A) => R) =>
    (...a: A): R => {
      const r = f(...a);
      publish();
      return r;
    };
  setHandler(
    pauseSignal,
    after(() => rules.pause()),
  );
  setHandler(
    resumeSignal,
    after(() => rules.resume()),
  );
  setHandler(
    pageFetchedSignal,
    after((page: number) => slots.fetched(page)),
  );
  // Outside the page loop nothing polls the flag, so a cancel while planning (say, while
  // recordRunStart retries), in the recovery cool-down or while finalizing cancels that phase.
  // Both patches are reached only on a cancel (the second only in such a phase), so recorded
  // histories of other cancels replay with the states and commands they had.
  let phase: CancellationScope | undefined;
  setHandler(
    cancelSignal,
    after(() => {
      rules.cancel(patched('cancelling-until-end'));
      if (phase && patched('cancel-ends-any-phase')) phase.cancel();
    }),
  );
  /** Runs a phase a cancel ends at once; false when it did. */
  const cancellable = async (fn: () => Promise<unknown>): Promise<boolean> => {
    const scope = new CancellationScope();
    phase = scope;
    try {
      await scope.run(fn);
      return true;
    } catch (err) {
      if (rules.cancelled && isCancellation(err)) return false;
      throw err;
    } finally {
      phase = undefined;
    }
  };
  setHandler(
    setConcurrencyUpdate,
    after((n: number) => rules.setConcurrency(n)),
    {
      validator: (n) => {
        if (!Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY) {
          throw new Error(`concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, got ${n}`);
        }
      },
    },
  );
  setHandler(progressQuery, () => rules.progress(slots.size));
  // The circuit breaker's decisions; each returns once that sink's held actions were applied or skipped.
  for (const [update, approve] of [
    [approveDestructiveUpdate, true],
    [rejectDestructiveUpdate, false],
  ] as const) {
    setHandler(
      update,
      async (req: ApprovalRequest) => {
        rules.decide(req, approve);
        publish();
        // A cancel ends the finalize phase, so the decision may never be carried out.
        await condition(() => rules.outcome(req.sink) !== undefined || rules.cancelled);
        const outcome = rules.outcome(req.sink);
        if (!outcome)
          throw ApplicationFailure.nonRetryable(
            `run ${runId} was cancelled before the held actions of sink ${req.sink} were applied or skipped; they stay held`,
            ErrorType.DestructiveLimit,
          );
        return outcome;
      },
      {
        validator: (req) => {
          const problem = rules.approvalProblem(req);
          if (problem) throw new Error(problem);
        },
      },
    );
  }
  publish();

  // Read after planning: a delta run's window is resolved there.
  const spec = (): PageRequestSpec => ({
    runId,
    tenant: input.tenant,
    pageSize: input.pageSize,
    asOf: s.asOf,
    scope: input.scope,
    window: s.window,
    ...(input.terminationLookaheadMs
      ? {
          terminationsDueBy: terminationsDueBy(
            s.asOf.entryMoment,
            input.terminationLookaheadMs,
            input.timezone,
          ),
        }
      : {}),
  });

  // --- one page: a child workflow; its outcome or its failure joins the run ---
  const runPage = async (page: number): Promise<boolean> => {
    slots.started(page);
    publish();
    try {
      const outcome = await executeChild(syncPage, {
        workflowId: pageWorkflowId(runId, page),
        args: [
          {
            spec: spec(),
            page,
            sinks: input.sinks,
            tuning: input.tuning,
            ...(input.connection ? { connection: input.connection } : {}),
            ...(slots.pipelined ? { signalFetched: true } : {}),
          },
        ],
      });
      const crossed = rules.pageSucceeded(outcome);
      if (crossed) await books.notify(crossed);
      return true;
    } catch (err) {
      rules.pageFailed(page);
      await books.recordPageFailure({ runId, page, error: failureMessage(err), errorType: failureType(err) });
      const degraded = rules.degradeIfFailing(page, failureMessage(err));
      if (degraded) await books.notify(degraded);
      return false;
    } finally {
      slots.ended(page);
      publish();
    }
  };

  /**
   * One sink's held deactivations and deletions: applied when under its limits; otherwise the
   * sink waits (AwaitingApproval) for `wdsync approve` or `wdsync reject`, and nothing of them is
   * applied until then. Creates and updates were delivered with the pages.
   */
  const settleHeld = async (sink: string, r: HeldReview): Promise<void> => {
    const counts = { sink, deactivate: r.deactivate, delete: r.delete };
    // A target that stays down fails neither the run nor the other sinks: the actions stay held
    // (the next run that sees those workers proposes them again) and the summary says why.
    const apply = (by?: string) =>
      sinks.applyHeldActions({ runId, sink, asOfEntry: s.asOf.entryMoment, by }).catch((err) => {
        if (isCancellation(err)) throw err;
        return { applied: 0, failed: 0, error: failureMessage(err) };
      });
    if (!r.tripped) {
      rules.settle({ ...counts, decision: 'applied', ...(await apply()), rejected: 0 });
      return;
    }
    await books.notify(rules.awaitApproval(sink, r));
    publish();
    await condition(() => rules.decision(sink) !== undefined);
    const d = rules.decision(sink)!;
    const by = d.by ?? 'unknown';
    if (d.approve) {
      rules.settle({ ...counts, decision: 'approved', ...(await apply(by)), rejected: 0, by });
    } else {
      const { rejected } = await sinks.rejectHeldActions({ runId, sink, by });
      rules.settle({ ...counts, decision: 'rejected', applied: 0, failed: 0, rejected, by });
    }
    publish();
  };

  try {
    const planned = input.carry ? true : await cancellable(() => planRun(input, rules, workday, books));
    if (planned) {
      // --- the page loop: at most `concurrency` fetching, none started while paused ---
      // Histories from before pipelined pages have no marker here and keep their old slot rule.
      slots = new PageSlots(patched('pipelined-pages'), backlog);
      const moreHere = () =>
        rules.pagesLeft && startedHere < pagesPerExecution && !workflowInfo().continueAsNewSuggested;
      const canStart = () => moreHere() && !s.paused && slots.hasRoom(s.concurrency);
      for (;;) {
        // Wake to start a page, or to leave once drained (a paused run with pages left waits here).
        await condition(() => canStart() || (slots.size === 0 && !(moreHere() && s.paused)));
        if (!canStart()) break;
        // Nobody awaits a page here: a cancel through Temporal rejects the page's bookkeeping with a
        // CancelledFailure that the loop's own condition reports; left unhandled, it would fail the
        // workflow task instead. Any other error stays unhandled, and so visible.
        runPage(s.nextPage).catch((err) => {
          if (!isCancellation(err)) throw err;
        });
        s.nextPage += 1;
        startedHere += 1;
      }

      // --- continue-as-new, drained: the carry holds every count ---
      if (rules.pagesLeft) {
        await condition(allHandlersFinished);
        s.executions += 1;
        return continueAsNew<typeof syncRun>({ ...input, carry: s });
      }

      // --- recovery ---
      if (!rules.cancelled) await recover(input, rules, runPage, sinks, cancellable);
    }

    // --- finalize ---
    let summary = rules.summary();
    const removed: Record<string, number> = {};
    const finalized =
      planned &&
      (await cancellable(async () => {
        const held: [string, HeldReview][] = [];
        for (const sink of input.sinks) {
          const f = await sinks.finalizeSink({
            runId,
            sink,
            mode: rules.finalizeMode,
            totalPages: s.totalPages,
            complete: rules.completeOn(sink, summary),
            asOfEntry: s.asOf.entryMoment,
          });
          removed[sink] = f.removed;
          if (f.held) held.push([sink, f.held]);
        }
        // Only a run that held deactivations or deletions gets here: other histories are unchanged.
        await Promise.all(held.map(([sink, r]) => settleHeld(sink, r)));
      }));
    // A cancel ended planning or finalizing: the run is CANCELLED, and recording that must not
    // keep it waiting on a database that may be the very reason for the cancel.
    // What the breaker did belongs in the summary too (set only by runs that held actions).
    if (!finalized || s.destructive) summary = rules.summary();
    // Commands are as before; only the result says more, so earlier histories replay unchanged.
    if (input.reconcile) summary = { ...summary, drift: reconcileDrift(summary.perSink, removed) };
    await (finalized ? books : closing)
      .recordRunEnd({ runId, summary, tenant: input.tenant, scope: input.scope ?? null })
      .catch((err) => {
        if (finalized) throw err;
      });
    upsertSearchAttributes([
      { key: STATE, value: summaryState(summary) },
      { key: PAGES_FAILED, value: s.failedPages.length },
    ]);
    setCurrentDetails(detailsText(summary));
    await condition(allHandlersFinished);
    return summary;
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    // A run that fails (an auth fault, a failed delta, refused data) or is cancelled through
    // Temporal must not stay RUNNING in the run records. patched() only on this path, so
    // histories of runs that ended normally replay as before.
    if (patched('run-end-on-failure')) await recordClosed(runId, err, closing);
    throw err;
  }
}

/**
 * Best effort, never cancelled: the run's row says FAILED or CANCELLED with the reason. When even
 * this fails, `wdsync status` reconciles the row from Temporal's state.
 */
async function recordClosed(runId: string, err: unknown, closing: Books): Promise<void> {
  const cancelled = isCancellation(err);
  upsertSearchAttributes([{ key: STATE, value: cancelled ? 'Cancelled' : 'Failed' }]);
  await CancellationScope.nonCancellable(() =>
    closing
      .recordRunClosed({
        runId,
        status: cancelled ? 'CANCELLED' : 'FAILED',
        error: failureMessage(err),
        errorType: failureType(err),
      })
      .catch(() => undefined),
  );
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
async function planRun(
  input: SyncRunInput,
  rules: RunRules,
  workday: WorkdayProxy,
  books: Books,
): Promise<void> {
  const s = rules.s;
  if (s.mode === 'delta' && !s.window) {
    const delta = await books.resolveDeltaWindow({
      tenant: input.tenant,
      scope: input.scope ?? null,
      asOf: s.asOf,
      fullIfNoWatermark: input.fullIfNoWatermark ?? false,
      // Workers whose termination falls due within the look-ahead must be in the delta too.
      ...(input.terminationLookaheadMs
        ? {
            effectiveThrough: terminationsDueBy(
              s.asOf.entryMoment,
              input.terminationLookaheadMs,
              input.timezone,
            ),
          }
        : {}),
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
  rules.plan(totalResults);
}

/**
 * Recovery passes: after a cool-down, failed pages run again (same pinned snapshot), and sinks that
 * failed a page are re-delivered from staging without touching Workday.
 */
async function recover(
  input: SyncRunInput,
  rules: RunRules,
  runPage: (page: number) => Promise<boolean>,
  sinks: SinkProxy,
  cancellable: (fn: () => Promise<unknown>) => Promise<boolean>,
): Promise<void> {
  const s = rules.s;
  const passes = input.recovery?.passes ?? DEFAULT_RECOVERY_PASSES;
  const cooldown = input.recovery?.cooldownSeconds ?? DEFAULT_RECOVERY_COOLDOWN_SECONDS;
  for (let pass = 0; pass < passes; pass++) {
    if (!rules.needsRecovery) return;
    if (!(await cancellable(() => sleep(cooldown * 1000)))) return;
    for (const page of [...s.failedPages]) {
      if (rules.cancelled) return;
      await condition(() => !s.paused || rules.cancelled);
      await runPage(page);
    }
    for (const [sink, pages] of Object.entries(s.sinkFailures)) {
      const still: number[] = [];
      for (const page of pages) {
        try {
          const d = await sinks.deliverPage({ runId: s.runId, page, sink, asOfEntry: s.asOf.entryMoment });
          rules.addDelivery(sink, d);
        } catch {
          still.push(page);
        }
      }
      s.sinkFailures[sink] = still;
    }
  }
}
