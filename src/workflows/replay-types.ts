/**
 * What a replay workflow sees: page numbers, sink names, worker ids, counts and error summaries.
 * Worker records stay in staging and the sinks (DESIGN.md invariant 1).
 */
import type { ActivityTuning, PageRequestSpec, SinkTotals } from './types';
import type { AsOf } from '../domain/as-of';
import type { SyncMode } from '../domain/run';
import type { WorkdayConnectionId } from './connection';

export type ReplayTarget = { pages: number[] } | { failed: true } | { workerIds: string[] };

export interface ReplayInput {
  /** Names this replay: its workflow id is replayWorkflowId(runId, replayId), its ledger key too. */
  replayId: string;
  /** The sync run whose pages are replayed. */
  runId: string;
  target: ReplayTarget;
  /** Deliver to these sinks only (default: every sink configured on the workers). */
  sinks?: string[];
  /** Fetch the pages from Workday again (at the run's pinned as-of) instead of reading staging. */
  refetch: boolean;
  /** Pages replayed at once. */
  concurrency?: number;
  /** Retry and timeout tuning of the replay's activities (as for a sync run). */
  tuning?: ActivityTuning;
  /** The connection whose workers replay it (its staging, sinks and state store). */
  connection?: WorkdayConnectionId;
  /**
   * The sync run's request spec as its Temporal history holds it, read by the client that starts
   * the replay: the fallback for runs older than run_specs (activities do not read history).
   */
  historySpec?: PageRequestSpec;
  /** Carried across continue-as-new; absent on the first execution. */
  carry?: ReplayCarry;
}

export interface PlannedPage {
  page: number;
  /** Sinks this page goes to. */
  sinks: string[];
  /** Fetch it from Workday first: --refetch, or the page was never staged. */
  fetch: boolean;
}

export interface ReplayPlan {
  runId: string;
  /** `<runId>/replay-<replayId>`: the replay's own run record, audit events and (where needed) ledger key. */
  replayRunId: string;
  mode: SyncMode;
  asOf: AsOf;
  totalPages: number;
  /** The run's original request; present when some page must be fetched again. */
  spec?: PageRequestSpec;
  pages: PlannedPage[];
  /** --worker: deliver only these workers' records (the ids as resolved; WIDs lowercase). */
  workerIds?: string[];
  /** --worker ids found on no page of the run. With --refetch they are fetched by reference. */
  notFound: string[];
  /** Fetch these ids by reference (Request_References) at the run's as-of, then deliver them. */
  byReference?: string[];
  /** Complete the original full run on these sinks once every page reached them (removals). */
  completeOriginal: boolean;
  sinks: string[];
}

export interface ReplaySinkTotals extends SinkTotals {
  /** Pages the sink's ledger already held: nothing written, by design. */
  alreadyDelivered: number;
}

export interface ReplayFailure {
  page: number;
  /** Absent when the fetch failed (every sink of the page is then still failing). */
  sink?: string;
  error: string;
}

export interface ReplayCarry {
  plan: ReplayPlan;
  next: number;
  startedAt: string;
  replayed: number[];
  refetched: number[];
  perSink: Record<string, ReplaySinkTotals>;
  stillFailing: ReplayFailure[];
  /** sink -> pages delivered under the replay's own ledger key (finalized as a merge at the end). */
  replayKeyed: Record<string, number[]>;
  /** --worker --refetch: the ids fetched by reference that Workday returned. */
  matched?: string[];
  executions: number;
}

export interface ReplaySummary {
  replayId: string;
  replayRunId: string;
  runId: string;
  status: 'COMPLETED' | 'COMPLETED_WITH_FAILURES' | 'NOTHING_TO_REPLAY';
  target: 'pages' | 'failed' | 'workers';
  asOf: AsOf;
  /** Pages delivered to every sink they were meant for. */
  pagesReplayed: number[];
  /** Pages fetched from Workday again. */
  pagesRefetched: number[];
  perSink: Record<string, ReplaySinkTotals>;
  stillFailing: ReplayFailure[];
  /** --worker ids found nowhere (not in the run, not in Workday at the run's as-of). */
  workersNotFound: string[];
  /** Per sink: how its snapshot was completed, or why not. */
  finalized: Record<string, string>;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  executions: number;
}
