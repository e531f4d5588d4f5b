import type { PageSplit } from '../domain/page-split';

export type RunMode = 'full' | 'delta' | 'replay';
export type EventAction = 'inserted' | 'updated' | 'unchanged' | 'dead-lettered' | 'removed';

export interface RunStart {
  runId: string;
  mode: RunMode | string;
  tenant: string;
  scope?: Record<string, unknown>;
  /** ISO dateTime of the pinned As_Of_Entry_DateTime. */
  asOfEntry?: string;
  /** YYYY-MM-DD (a dateTime is cut to its date). */
  asOfEffective?: string;
  /** Default 'RUNNING'. */
  status?: string;
  startedAt?: Date;
}

export interface RunEnd {
  runId: string;
  status: string;
  summary?: Record<string, unknown>;
  endedAt?: Date;
}

export interface RunRow {
  runId: string;
  mode: string;
  tenant: string;
  scope: Record<string, unknown>;
  asOfEntry: Date | null;
  asOfEffective: string | null;
  status: string;
  startedAt: Date;
  endedAt: Date | null;
  summary: Record<string, unknown> | null;
}

export interface PageUpdate {
  runId: string;
  page: number;
  status: string;
  asOf?: string;
  totalResults?: number;
  totalPages?: number;
  rows?: number;
  deadLetters?: number;
  checksum?: string;
  /** undefined keeps the stored error; null clears it. */
  error?: string | null;
  /** Sets attempts to at least this (pass the activity's attempt: idempotent under retries). */
  attempt?: number;
  /** Adds one to attempts (a new attempt that has no attempt number of its own, e.g. a recovery pass). */
  bumpAttempts?: boolean;
  /** The page was too large for Workday and came as smaller requests: which, and why. */
  split?: PageSplit;
  startedAt?: Date;
  endedAt?: Date;
}

export interface PageRow {
  runId: string;
  page: number;
  asOf: Date | null;
  totalResults: number | null;
  totalPages: number | null;
  rows: number | null;
  deadLetters: number | null;
  checksum: string | null;
  attempts: number;
  startedAt: Date;
  endedAt: Date | null;
  status: string;
  error: string | null;
  /** How the page was split, when Workday could not answer it whole. */
  split: PageSplit | null;
}

export interface AuditEvent {
  runId: string;
  /** 0 for run-level events (removals at finalize). */
  page: number;
  wid?: string;
  workerId?: string;
  /** Omit for events that are not about one sink (dead letters). */
  sink?: string;
  action: EventAction;
  hash?: string;
  /** The snapshot (As_Of_Entry_DateTime, ISO) the delivery came from. */
  asOfEntry?: string;
}

/**
 * The events one call recorded for the first time, per sink ('' for none) and action: a retried
 * activity records nothing twice, and counters fed from this never count a movement twice.
 */
export type RecordedTally = { sink: string; action: EventAction; count: number }[];

/** The newest snapshot a worker reached one sink from, and its content hash then. */
export interface NewestSnapshot {
  asOfEntry: string;
  hash: string;
}

export interface WorkerEvent {
  runId: string;
  page: number;
  wid: string;
  workerId: string | null;
  sink: string;
  action: EventAction;
  hash: string;
  at: Date;
  runMode: string | null;
  runAsOfEntry: Date | null;
}

export interface DeadLetterSummary {
  id: number;
  runId: string;
  page: number;
  wid: string | null;
  workerId: string | null;
  reason: string;
  /** The sink that refused the record (its code in `code`); null for Workday-side letters. */
  sink: string | null;
  code: string | null;
  createdAt: Date;
  releasedAt: Date | null;
}

export interface DeadLetterRow extends DeadLetterSummary {
  fragment: string;
}

export interface Watermark {
  tenant: string;
  scopeKey: string;
  updatedThrough: Date;
  runId: string;
  updatedAt: Date;
}
