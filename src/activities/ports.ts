import type { WorkdayConnectionId } from '../workflows/connection';
import type { SchemaFamily } from '../workday/schema-family';
import type { AuditStore } from '../audit/store';
import type { NewestSnapshot, PageUpdate, RecordedTally } from '../audit/types';
import type { PlanLimits } from './plan-limits';
import type { RecoveryStore } from '../replay/store';
import type { HeldAction, RecordFailure, Sink } from '../sinks/types';
import type { SafetyPolicy } from '../safety/breaker';
import type { ResponseGroups } from '../domain/scope';
import type { StagingStore } from '../staging/types';
import type { DeadLetter } from '../domain/dead-letter';
import type { PageKey } from '../domain/page';
import type { RunSummary, PageRequestSpec } from '../workflows/types';
import type { SyncMode } from '../domain/run';
import type { SyncScope } from '../domain/scope';
import type { AsOf } from '../domain/as-of';
import type { NormalizedWorker } from '../domain/worker-record';

/** What activities need from the Workday client: one page, streamed. */
export interface WorkdayPort {
  fetchPage(
    spec: PageRequestSpec,
    page: number,
    count: number,
    opts: {
      signal?: AbortSignal;
      onRawChunk?: (chunk: Buffer) => void;
      /** The body as Workday gzip-encoded it, when it did (see GetWorkersPageOptions.onGzipChunk). */
      onGzipChunk?: (chunk: Buffer) => void;
      onProgress?: (bytes: number) => void;
      /** Valid records as they are parsed; a port that calls it leaves them out of `records`. */
      onRecord?: (record: NormalizedWorker) => void;
    },
  ): Promise<{
    totalResults: number;
    totalPages: number;
    records: NormalizedWorker[];
    deadLetters: DeadLetter[];
    rows: number;
    bytes: number;
  }>;
}

export interface RecordEvent {
  runId: string;
  page: number;
  wid: string;
  workerId?: string;
  sink: string;
  action: 'inserted' | 'updated' | 'unchanged' | 'dead-lettered' | 'removed';
  hash?: string;
  /** The snapshot the delivery came from. */
  asOfEntry?: string;
}

/** The audit trail and run records, in the project's state store. */
export interface AuditPort {
  recordRunStart(run: {
    runId: string;
    mode: SyncMode;
    tenant: string;
    scope: SyncScope | null;
    asOf: AsOf;
    pageSize: number;
  }): Promise<void>;
  getWatermark(
    tenant: string,
    scopeKey: string,
  ): Promise<
    | {
        updatedThrough: Date;
        runId: string;
        /** As_Of_Effective_Date (YYYY-MM-DD) pinned by the run that set the watermark, if known. */
        effectiveDate?: string;
      }
    | undefined
  >;
  /** Moves forward only. */
  setWatermark(tenant: string, scopeKey: string, updatedThrough: string, runId: string): Promise<void>;
  recordRunEnd(runId: string, summary: RunSummary): Promise<void>;
  /** Ids of runs that started and have not ended (their staged pages are still needed). */
  openRunIds(): Promise<string[]>;
  /**
   * A run that ended without a summary (failed, cancelled or terminated): its status and why. A
   * row that was never started is created, as recordRunEnd does.
   */
  recordRunClosed(runId: string, status: string, error: string, errorType?: string): Promise<void>;
  /** The statuses a sync run's activities write; replays also write 'replayed'. */
  recordPage(
    p: Omit<PageUpdate, 'status' | 'bumpAttempts'> & { status: 'fetched' | 'failed' | 'delivered' },
  ): Promise<void>;
  /** Returns how many letters are new (a re-fetched page's are not). */
  addDeadLetters(runId: string, page: number, letters: DeadLetter[]): Promise<number>;
  /** Returns what was recorded for the first time: a retried delivery's events are not. */
  recordEvents(events: RecordEvent[]): Promise<RecordedTally>;
  lastDeliveredHashes(sink: string, wids: string[]): Promise<Map<string, string>>;
  /** The newest snapshot each worker reached a sink from (see capabilities.snapshotsFromAudit). */
  newestSnapshots?(sink: string, wids: string[]): Promise<Map<string, NewestSnapshot>>;
  /**
   * The response groups a run fetched when its scope left some out (undefined: all, or unknown).
   * Sinks keep the sections of the others.
   */
  runResponseGroups?(runId: string): Promise<ResponseGroups | undefined>;
  /** The As_Of_Effective_Date a run pinned (YYYY-MM-DD), when recorded. */
  runEffectiveDate?(runId: string): Promise<string | undefined>;
  /**
   * Records a target refused, as dead letters of that sink (its error code and message), keyed by
   * where the record is staged; one letter per (staged page, sink, worker), reopened if refused
   * again. Also a 'dead-lettered' event for the sink. Returns how many of those events are new.
   */
  addSinkDeadLetters?(
    sink: string,
    staged: PageKey,
    auditRunId: string,
    failures: (RecordFailure & { workerId?: string })[],
  ): Promise<number>;
  /**
   * Workers this sink was given and still holds by the audit trail (last event a delivery), that
   * the run neither delivered nor refused nor held: a complete full run's removals for sinks that
   * keep no ledger of their own.
   */
  absentFromRun?(sink: string, runId: string): Promise<{ wid: string; workerId?: string }[]>;
  /** The sink took these workers: their open letters of that sink are closed (the record got there). */
  closeSinkDeadLetters?(sink: string, wids: string[]): Promise<number>;
}

/** A held destructive action as stored: where it came from and whether it was decided. */
export interface StoredHeldAction extends HeldAction {
  id: number;
  page: number;
}

/** The circuit breaker's store of held deactivations and deletions (per sink and run). */
export interface HeldActionsPort {
  /** Idempotent per (sink, run, worker, event). */
  hold(sink: string, runId: string, page: number, actions: HeldAction[]): Promise<void>;
  counts(sink: string, runId: string): Promise<{ deactivate: number; delete: number }>;
  /** Still held, in id order, after `afterId`. */
  list(sink: string, runId: string, afterId: number, limit: number): Promise<StoredHeldAction[]>;
  decide(
    ids: number[],
    status: 'applied' | 'rejected' | 'failed',
    opts?: { by?: string; error?: string },
  ): Promise<number>;
  /** Every action still held for the sink and run, decided at once (a rejection). */
  decideAll(sink: string, runId: string, status: 'rejected', by: string): Promise<number>;
}

export interface NotifyEvent {
  type:
    | 'page.failed'
    | 'run.degraded'
    | 'run.completed_with_failures'
    | 'dead_letters.threshold'
    | 'run.completed'
    | 'run.reconciled'
    | 'run.awaiting_approval';
  runId: string;
  /** The sink the event is about, when it is about one (awaiting approval). */
  sink?: string;
  page?: number;
  error?: string;
  errorType?: string;
  /** The exact wdsync command that replays or resumes what this event is about. */
  command?: string;
  details?: Record<string, unknown>;
}

export interface NotifierPort {
  notify(event: NotifyEvent): Promise<void>;
}

export interface ActivityDeps {
  workday: WorkdayPort;
  staging: StagingStore;
  sinks: ReadonlyMap<string, Sink>;
  audit: AuditPort;
  notifier: NotifierPort;
  /** The whole audit store and recovery queries, for replay activities (set by buildDeps). */
  recovery?: { audit: AuditStore; store: RecoveryStore };
  /** The schema family of WORKDAY_VERSION, for re-reading dead letters; v31 when absent. */
  workdayFamily?: SchemaFamily;
  /** Bounds on a run's Total_Results; DEFAULT_PLAN_LIMITS when absent. */
  planLimits?: PlanLimits;
  /**
   * The Workday connection this worker is configured for (set by buildDeps). Every task must be
   * pinned to it: work of another connection is refused before Workday or a sink is touched.
   */
  connection?: WorkdayConnectionId;
  /** Held deactivations and deletions; needed by sinks with lifecycle hooks. */
  held?: HeldActionsPort;
  /** The circuit breaker's limits per sink; DEFAULT_SAFETY when absent. */
  safety?: SafetyPolicy;
}

export type { PageKey };
