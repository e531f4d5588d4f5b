import type { AsOf } from '../domain/as-of';
import type { RunState, SyncMode } from '../domain/run';
import type { DeltaWindow, SyncScope } from '../domain/scope';

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
  pageSize: number;
  concurrency: number;
  sinks: string[];
  /** Pin this moment instead of the workflow's start time (tests with a simulated clock, replays). */
  asOf?: AsOf;
  /** The tenant's time zone, for the pinned effective date when `asOf` is not given (default UTC). */
  timezone?: string;
  scope?: SyncScope;
  window?: DeltaWindow;
  /** A delta run with no stored watermark runs as a full run instead of failing. */
  fullIfNoWatermark?: boolean;
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
  endedAt: string;
  durationMs: number;
}
