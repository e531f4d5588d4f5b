import type { AsOf } from '../domain/as-of';
import type { RunState, SyncMode } from '../domain/run';
import type { DeltaWindow, SyncScope } from '../domain/scope';
import type { WorkdayConnectionId } from './connection';

/**
 * Everything a workflow sees. Only page numbers, counts, hashes, references and error summaries:
 * worker data (PII, megabytes per page) never enters Temporal history (DESIGN.md invariant 1).
 */

/**
 * Retry and timeout tuning of a run's activities. Defaults suit production; tests and impatient
 * operators shorten them. Durations in milliseconds.
 */
export interface ActivityTuning {
  workdayInitialIntervalMs?: number;
  workdayMaximumAttempts?: number;
  sinkInitialIntervalMs?: number;
  sinkMaximumAttempts?: number;
  heartbeatTimeoutMs?: number;
}

/** What a page asks Workday for; identical for every page of a run apart from `page`. */
export interface PageRequestSpec {
  runId: string;
  tenant: string;
  pageSize: number;
  asOf: AsOf;
  scope?: SyncScope;
  window?: DeltaWindow;
  /**
   * With a termination look-ahead: the last tenant-local day whose terminations are delivered
   * now (activities/due-terminations.ts).
   */
  terminationsDueBy?: string;
}

export interface FetchSummary {
  page: number;
  totalResults: number;
  totalPages: number;
  /** Rows actually parsed; Page_Results is not trusted. */
  rows: number;
  valid: number;
  deadLettered: number;
  bytes: number;
  /** sha256 of the raw response, for audit. */
  checksum: string;
}

export interface SinkDelivery {
  inserted: number;
  updated: number;
  unchanged: number;
  alreadyDelivered: boolean;
  /** Records the sink refused one by one (e.g. Salesforce validation errors); absent when none. */
  failed?: number;
}

export interface PageOutcome {
  page: number;
  fetch: FetchSummary;
  delivered: Record<string, SinkDelivery>;
  /** Sinks whose delivery failed for good; the page stays staged so they can catch up. */
  sinkErrors: Record<string, string>;
}

export interface SyncRunInput {
  /** Defaults to the workflow id (scheduled runs get theirs from the schedule). */
  runId?: string;
  mode: SyncMode;
  tenant: string;
  /**
   * The Workday connection the run is bound to: its activities run on that connection's queues,
   * and workers of any other connection refuse them. Absent only in histories from before.
   */
  connection?: WorkdayConnectionId;
  pageSize: number;
  /** Workday fetches in flight (resizable while running). */
  concurrency: number;
  /**
   * Pages staged and awaiting delivery that may be in flight beyond `concurrency` before fetches
   * wait for deliveries (backpressure; 0..256, default 16; src/workflows/page-slots.ts).
   */
  backlog?: number;
  sinks: string[];
  /** Pin this moment instead of the workflow's start time (tests with a simulated clock, replays). */
  asOf?: AsOf;
  /** The tenant's time zone, for the pinned effective date when `asOf` is not given (default UTC). */
  timezone?: string;
  scope?: SyncScope;
  window?: DeltaWindow;
  /** A delta run with no stored watermark runs as a full run instead of failing. */
  fullIfNoWatermark?: boolean;
  /**
   * Terminations due within this many milliseconds of the pinned entry moment (by tenant-local
   * day) are delivered now, as Workday will show them on their day (README: termination look-ahead).
   */
  terminationLookaheadMs?: number;
  /**
   * A reconcile: a full run whose summary reports, per sink, the drift it repaired (what the
   * deltas before it had missed). Needs mode full.
   */
  reconcile?: boolean;
  /** Pages per workflow execution before continue-as-new (after draining in-flight pages). */
  pagesPerExecution?: number;
  /** Consecutive failed pages that auto-pause the run (state Degraded). */
  maxConsecutiveFailures?: number;
  /** Passes over failed pages before the run ends, after a cool-down. */
  recovery?: { passes: number; cooldownSeconds: number };
  /** Dead letters in this run that raise one `dead_letters.threshold` event (0: never). */
  deadLetterThreshold?: number;
  tuning?: ActivityTuning;
  /** Carried across continue-as-new; absent on the first execution. */
  carry?: RunCarry;
}

export interface SinkTotals {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Records the target refused one by one, now dead letters of the sink; absent when none. */
  refused?: number;
}

/**
 * What a reconcile found a sink lacked: workers it added (the sink did not hold them), changed
 * (held a different version) and removed (held but no longer in Workday). Each was missed by every
 * delta before it, so all three are zero when the deltas kept the sink exact.
 */
export interface SinkDrift {
  added: number;
  changed: number;
  removed: number;
}

export interface RunCarry {
  runId: string;
  /** The mode actually run (a delta without a watermark may have become full). */
  mode: SyncMode;
  window?: DeltaWindow;
  asOf: AsOf;
  startedAt: string;
  totalResults: number;
  totalPages: number;
  nextPage: number;
  pagesDone: number;
  failedPages: number[];
  workersFetched: number;
  deadLettered: number;
  perSink: Record<string, SinkTotals>;
  sinkFailures: Record<string, number[]>;
  totalsMismatch: string[];
  paused: boolean;
  /** Auto-paused after too many consecutive page failures (kept across continue-as-new). */
  degraded?: boolean;
  /** Pages failed in a row; a continue-as-new does not reset the auto-pause count. */
  consecutiveFailures?: number;
  /** The first page before the last that came back empty; no page is planned after it. */
  emptyPage?: number;
  concurrency: number;
  executions: number;
  /** Per sink, what became of the run's held deactivations and deletions (set at the end). */
  destructive?: Record<string, DestructiveOutcome>;
}

/** `wdsync approve|reject <runId> --sink NAME`. */
export interface ApprovalRequest {
  sink: string;
  /** Who decided, for the audit (the CLI sends the OS user). */
  by?: string;
}

/** A sink whose held actions tripped the breaker, waiting for approve or reject. */
export interface AwaitingApproval {
  sink: string;
  deactivate: number;
  delete: number;
  /** Records the sink holds. */
  holds: number;
  reason: string;
  approve: string;
  reject: string;
}

/** What a run did with one sink's held deactivations and deletions. */
export interface DestructiveOutcome {
  sink: string;
  deactivate: number;
  delete: number;
  /** applied: under the limits; approved / rejected: by an operator. */
  decision: 'applied' | 'approved' | 'rejected';
  applied: number;
  failed: number;
  rejected: number;
  by?: string;
  /** Applying failed for good (the target stayed down): the actions stay held, undecided. */
  error?: string;
}

export interface RunProgress {
  runId: string;
  mode: SyncMode;
  state: RunState;
  asOf: AsOf;
  pagesTotal: number;
  pagesDone: number;
  pagesInFlight: number;
  /**
   * Of the pages in flight, those whose Workday fetch runs (at most `concurrency`) and those
   * staged and being delivered to sinks. Absent in runs from before pages were pipelined.
   */
  pagesFetching?: number;
  pagesDelivering?: number;
  /** Pages beyond `concurrency` that may wait for delivery before fetches wait for them. */
  backlog?: number;
  pagesFailed: number;
  failedPages: number[];
  totalResults: number;
  workersFetched: number;
  deadLettered: number;
  delivered: Record<string, number>;
  skippedUnchanged: number;
  paused: boolean;
  concurrency: number;
  workersPerSecond: number;
  startedAt: string;
  executions: number;
  /** Sinks waiting for `wdsync approve` / `wdsync reject` (state AwaitingApproval). */
  awaitingApproval?: AwaitingApproval[];
  destructive?: Record<string, DestructiveOutcome>;
}

export interface RunSummary extends RunProgress {
  status: 'COMPLETED' | 'COMPLETED_WITH_FAILURES' | 'CANCELLED';
  perSink: Record<string, SinkTotals>;
  sinkFailures: Record<string, number[]>;
  totalsMismatch: string[];
  reconciliation: { expected: number; accounted: number; ok: boolean };
  /** Reconcile runs only: the drift per sink, and its total over sinks. */
  drift?: { perSink: Record<string, SinkDrift>; total: number };
  endedAt: string;
  durationMs: number;
}
