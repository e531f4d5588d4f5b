import type { NotifyEvent } from '../activities/ports';
import { ErrorType } from '../errors/types';
import { approvalCommands, type HeldReview } from '../safety/breaker';
import type {
  ApprovalRequest,
  AwaitingApproval,
  DestructiveOutcome,
  PageOutcome,
  RunCarry,
  RunProgress,
  RunSummary,
  SinkDrift,
  SinkTotals,
  SyncRunInput,
} from './types';
import type { RunState, SyncMode } from '../domain/run';

export const DEFAULT_MAX_CONSECUTIVE_FAILURES = 5;

export interface RunRulesOptions {
  pageSize: number;
  /** Consecutive failed pages that auto-pause the run (state Degraded). */
  maxConsecutiveFailures?: number;
  /** Dead letters that raise one `dead_letters.threshold` event (0: never). */
  deadLetterThreshold?: number;
  /** Whether the run covers the whole tenant (see RunRules.coversWholeTenant). */
  wholeTenant: boolean;
  /**
   * Whether an empty page before the last stops planning. The workflow answers with patched(),
   * so histories recorded before the rule replay as before; elsewhere it is always on.
   */
  emptyPageStopsPlan?: () => boolean;
  /**
   * Of the pages in flight, those still fetching, and the run's backlog bound; undefined while
   * pages are not pipelined (page-slots.ts), so progress says only "in flight" as before.
   */
  pipeline?: () => { fetching: number; backlog: number } | undefined;
}

/**
 * The rules of one sync run, apart from Temporal: counts, reconciliation, auto-pause (Degraded),
 * the dead-letter threshold, whole-tenant completion and the Web UI details text. Deterministic
 * (no I/O, the clock is the caller's), so the workflow can hold it and unit tests can drive it
 * without a server. The state it keeps is the RunCarry, which survives continue-as-new; a cancel
 * does not (a cancelled run never continues as new).
 */
export class RunRules {
  cancelled = false;
  private cancellingUntilEnd = true;
  /** Sinks whose held actions tripped the breaker, until decided (only at the run's end). */
  private readonly awaiting = new Map<string, AwaitingApproval>();
  private readonly decisions = new Map<string, ApprovalRequest & { approve: boolean }>();
  private readonly maxConsecutive: number;
  private readonly deadLetterThreshold: number;

  constructor(
    readonly s: RunCarry,
    private readonly o: RunRulesOptions,
  ) {
    this.maxConsecutive = o.maxConsecutiveFailures ?? DEFAULT_MAX_CONSECUTIVE_FAILURES;
    this.deadLetterThreshold = o.deadLetterThreshold ?? 0;
  }

  /**
   * A scoped run covers part of the tenant: it never proves a worker was removed, and the JSONL
   * snapshot is merged rather than replaced. Leaving out nothing but response groups set to true
   * is still the whole tenant.
   */
  static coversWholeTenant(scope: SyncRunInput['scope']): boolean {
    return (
      !scope ||
      Object.entries(scope).every(([k, v]) => k === 'responseGroups' && Object.values(v ?? {}).every(Boolean))
    );
  }

  /**
   * The live state, for the progress query, the WdsyncState search attribute and the Web UI. A
   * cancelled run that still runs (draining, finalizing) is Cancelling: saying Cancelled while
   * Temporal shows it RUNNING sent operators looking for a run that had not ended. The end state
   * comes from the summary. (Runs cancelled before that rule said Cancelled once drained.)
   */
  state(inFlight: number): RunState {
    if (this.cancelled) return inFlight || this.cancellingUntilEnd ? 'Cancelling' : 'Cancelled';
    if (this.awaiting.size > 0) return 'AwaitingApproval';
    if (this.s.degraded && this.s.paused) return 'Degraded';
    return this.s.paused ? 'Paused' : 'Running';
  }

  pause(): void {
    this.s.paused = true;
  }

  /** Resuming also clears Degraded and the count of failures in a row. */
  resume(): void {
    this.s.paused = false;
    this.s.degraded = false;
    this.s.consecutiveFailures = 0;
  }

  /** `cancellingUntilEnd` is false only for runs replayed from before that rule (patched). */
  cancel(cancellingUntilEnd = true): void {
    this.cancelled = true;
    this.cancellingUntilEnd = cancellingUntilEnd;
  }

  /** Returns the previous value. */
  setConcurrency(n: number): number {
    const previous = this.s.concurrency;
    this.s.concurrency = n;
    return previous;
  }

  /** Pages are planned from page 1's Total_Results. */
  plan(totalResults: number): void {
    this.s.totalResults = totalResults;
    this.s.totalPages = Math.ceil(totalResults / this.o.pageSize);
  }

  /** Whether pages are left to start (in this or a later execution). */
  get pagesLeft(): boolean {
    return !this.cancelled && this.s.emptyPage === undefined && this.s.nextPage <= this.s.totalPages;
  }

  /**
   * A page's outcome joins the run. Returns the `dead_letters.threshold` event when this page took
   * the run's dead letters past the threshold.
   */
  pageSucceeded(outcome: PageOutcome): NotifyEvent | undefined {
    const s = this.s;
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
    // summary report the mismatch.
    if (
      outcome.fetch.rows === 0 &&
      outcome.page < s.totalPages &&
      s.emptyPage === undefined &&
      (this.o.emptyPageStopsPlan?.() ?? true)
    ) {
      s.emptyPage = outcome.page;
      s.totalsMismatch.push(
        `page ${outcome.page} of ${s.totalPages} returned no workers although Total_Results ${s.totalResults} promised more; no page after ${s.nextPage - 1} was started`,
      );
    }
    for (const [sink, d] of Object.entries(outcome.delivered)) this.addDelivery(sink, d);
    for (const sink of Object.keys(outcome.sinkErrors)) {
      s.sinkFailures[sink] = [...(s.sinkFailures[sink] ?? []), outcome.page];
    }
    s.failedPages = s.failedPages.filter((p) => p !== outcome.page);
    s.consecutiveFailures = 0;
    // Crossing, not being above, so the event fires once per run (counts survive continue-as-new).
    const t = this.deadLetterThreshold;
    if (!(t > 0 && before < t && s.deadLettered >= t)) return undefined;
    return {
      type: 'dead_letters.threshold',
      runId: s.runId,
      page: outcome.page,
      errorType: ErrorType.DeadLetters,
      error: `${s.deadLettered} records of this run failed validation or mapping (threshold ${t}); latest on page ${outcome.page}`,
      command: `wdsync dead-letters list --run ${s.runId}`,
    };
  }

  /** A page failed for good (its child workflow failed); it counts toward the auto-pause. */
  pageFailed(page: number): void {
    if (!this.s.failedPages.includes(page)) this.s.failedPages.push(page);
    this.s.consecutiveFailures = (this.s.consecutiveFailures ?? 0) + 1;
  }

  /**
   * After a failure is recorded: too many in a row pause the run as Degraded, once, until an
   * operator resumes it. Returns the `run.degraded` event when that happens now.
   */
  degradeIfFailing(page: number, lastError: string): NotifyEvent | undefined {
    const s = this.s;
    if (!((s.consecutiveFailures ?? 0) > this.maxConsecutive && !s.paused)) return undefined;
    s.paused = true;
    s.degraded = true;
    return {
      type: 'run.degraded',
      runId: s.runId,
      page,
      errorType: ErrorType.ConsecutivePageFailures,
      command: `wdsync resume ${s.runId}`,
      error: `${s.consecutiveFailures} consecutive pages failed; last: ${lastError}`,
    };
  }

  /** Whether a recovery pass has anything to do: failed pages, or sinks that missed a page. */
  get needsRecovery(): boolean {
    return this.s.failedPages.length > 0 || Object.values(this.s.sinkFailures).some((p) => p.length > 0);
  }

  addDelivery(sink: string, d: SinkTotals & { failed?: number }): void {
    const t = this.s.perSink[sink] ?? { inserted: 0, updated: 0, unchanged: 0 };
    const refused = (t.refused ?? 0) + (d.failed ?? 0);
    this.s.perSink[sink] = {
      inserted: t.inserted + d.inserted,
      updated: t.updated + d.updated,
      unchanged: t.unchanged + d.unchanged,
      // Records the target refused: dead letters of that sink.
      ...(refused ? { refused } : {}),
    };
  }

  /** The mode a sink finalizes with: a scoped run never proves removals, so it finalizes as a delta. */
  get finalizeMode(): SyncMode {
    return this.o.wholeTenant ? this.s.mode : 'delta';
  }

  /** A sink completes the run (marks absentees removed) only after a clean whole-tenant run. */
  completeOn(sink: string, summary: RunSummary): boolean {
    return this.o.wholeTenant && summary.status === 'COMPLETED' && !(this.s.sinkFailures[sink]?.length ?? 0);
  }

  /**
   * A sink's held deactivations and deletions tripped the breaker: it waits for approve or
   * reject. Returns the event that tells operators, with the command to run.
   */
  awaitApproval(sink: string, r: HeldReview): NotifyEvent {
    const commands = approvalCommands(this.s.runId, sink);
    const reason = r.reason ?? 'over the limits';
    this.awaiting.set(sink, {
      sink,
      deactivate: r.deactivate,
      delete: r.delete,
      holds: r.holds,
      reason,
      ...commands,
    });
    return {
      type: 'run.awaiting_approval',
      runId: this.s.runId,
      sink,
      errorType: ErrorType.DestructiveLimit,
      error: `sink ${sink}: ${reason}; nothing was deactivated or deleted. Approve with \`${commands.approve}\` or skip with \`${commands.reject}\``,
      command: commands.approve,
      details: {
        sink,
        deactivate: r.deactivate,
        delete: r.delete,
        holds: r.holds,
        limits: r.limits,
        approve: commands.approve,
        reject: commands.reject,
      },
    };
  }

  /** Why an approve or reject for this sink cannot be taken now; undefined when it can. */
  approvalProblem(req: ApprovalRequest): string | undefined {
    if (this.cancelled) return `run ${this.s.runId} is cancelling; nothing more is applied or skipped`;
    if (this.awaiting.has(req.sink) && !this.decisions.has(req.sink)) return undefined;
    const waiting = [...this.awaiting.keys()].filter((k) => !this.decisions.has(k));
    if (this.decisions.has(req.sink)) return `sink ${req.sink} of run ${this.s.runId} was already decided`;
    return waiting.length
      ? `run ${this.s.runId} is not waiting for approval on sink ${req.sink}; it waits on ${waiting.join(', ')}`
      : `run ${this.s.runId} is not waiting for approval (state ${this.state(0)})`;
  }

  decide(req: ApprovalRequest, approve: boolean): void {
    this.decisions.set(req.sink, { ...req, approve });
  }

  decision(sink: string): (ApprovalRequest & { approve: boolean }) | undefined {
    return this.decisions.get(sink);
  }

  /** The sink's held actions were applied or skipped: it no longer waits. */
  settle(outcome: DestructiveOutcome): void {
    this.awaiting.delete(outcome.sink);
    this.s.destructive = { ...(this.s.destructive ?? {}), [outcome.sink]: outcome };
  }

  outcome(sink: string): DestructiveOutcome | undefined {
    return this.s.destructive?.[sink];
  }

  progress(inFlight: number, now = Date.now()): RunProgress {
    const pipe = this.o.pipeline?.();
    const p = {
      ...buildProgress(this.s, this.state(inFlight), inFlight, now),
      ...(pipe
        ? {
            pagesFetching: pipe.fetching,
            pagesDelivering: inFlight - pipe.fetching,
            backlog: pipe.backlog,
          }
        : {}),
    };
    return this.awaiting.size ? { ...p, awaitingApproval: [...this.awaiting.values()] } : p;
  }

  summary(now = Date.now()): RunSummary {
    return buildSummary({ pageSize: this.o.pageSize }, this.s, this.cancelled, now);
  }

  details(inFlight: number, now = Date.now()): string {
    return detailsText(this.progress(inFlight, now));
  }
}

export function buildProgress(s: RunCarry, state: RunState, inFlight: number, now = Date.now()): RunProgress {
  const elapsed = Math.max(1, now - Date.parse(s.startedAt)) / 1000;
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
    ...(s.destructive ? { destructive: s.destructive } : {}),
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
  now = Date.now(),
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
  const base = buildProgress(
    s,
    cancelled ? 'Cancelled' : failed ? 'CompletedWithFailures' : 'Completed',
    0,
    now,
  );
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
    endedAt: new Date(now).toISOString(),
    durationMs: now - Date.parse(s.startedAt),
  };
}

/**
 * A reconcile's drift: its inserts and updates are exactly what the sink lacked, since the deltas
 * before it had delivered everything else (unchanged), and its removals what they never removed.
 */
export function reconcileDrift(
  perSink: Record<string, SinkTotals>,
  removed: Record<string, number>,
): NonNullable<RunSummary['drift']> {
  const out: Record<string, SinkDrift> = {};
  let total = 0;
  for (const sink of new Set([...Object.keys(perSink), ...Object.keys(removed)])) {
    const t = perSink[sink];
    const d = { added: t?.inserted ?? 0, changed: t?.updated ?? 0, removed: removed[sink] ?? 0 };
    out[sink] = d;
    total += d.added + d.changed + d.removed;
  }
  return { perSink: out, total };
}

export function summaryState(summary: RunSummary): RunState {
  if (summary.status === 'CANCELLED') return 'Cancelled';
  return summary.status === 'COMPLETED' ? 'Completed' : 'CompletedWithFailures';
}

/** Markdown for the Web UI's "Current details": counts and state only, never worker data. */
export function detailsText(p: RunProgress): string {
  const delivered = Object.entries(p.delivered)
    .map(([sink, n]) => `${sink} ${n}`)
    .join(', ');
  return [
    `**${p.state}** · ${p.mode} sync · run \`${p.runId}\``,
    `Pages ${p.pagesDone}/${p.pagesTotal} done, ${p.pagesInFlight} in flight${inFlightSplit(p)}, ${p.pagesFailed} failed` +
      (p.failedPages.length ? ` (${p.failedPages.slice(0, 20).join(', ')})` : ''),
    `Workers fetched ${p.workersFetched}/${p.totalResults}, dead-lettered ${p.deadLettered}`,
    `Delivered: ${delivered || 'none yet'}; unchanged skipped ${p.skippedUnchanged}`,
    `Snapshot as of ${p.asOf.entryMoment} (effective ${p.asOf.effectiveDate}); concurrency ${p.concurrency}${p.backlog === undefined ? '' : `, backlog ${p.backlog}`}`,
    ...(p.awaitingApproval ?? []).map(
      (a) => `**Awaiting approval** on sink ${a.sink}: ${a.reason}. Run \`${a.approve}\` or \`${a.reject}\``,
    ),
    ...Object.values(p.destructive ?? {}).map(
      (d) =>
        `Sink ${d.sink}: ${d.deactivate} deactivations, ${d.delete} deletions ${d.decision}${d.by ? ` by ${d.by}` : ''} (${d.applied} applied, ${d.failed} failed, ${d.rejected} skipped)${d.error ? `; not applied: ${d.error}` : ''}`,
    ),
  ].join('\n\n');
}

/** " (3 fetching, 2 delivering)" for a run with pipelined pages; empty otherwise. */
export const inFlightSplit = (p: Pick<RunProgress, 'pagesFetching' | 'pagesDelivering'>): string =>
  p.pagesFetching === undefined ? '' : ` (${p.pagesFetching} fetching, ${p.pagesDelivering} delivering)`;
