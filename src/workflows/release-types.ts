/**
 * What a dead-letter release workflow sees: letter ids, run ids, page numbers, WIDs and worker ids,
 * sink names and actions. Fragments, records and the validation reasons (which quote field values)
 * stay in the audit store (DESIGN.md invariant 1).
 */
import type { WorkdayConnectionId } from './connection';
import type { ActivityTuning } from './types';

export interface ReleaseInput {
  /** Names this release: its workflow id is releaseWorkflowId(releaseId), its ledger keys too. */
  releaseId: string;
  /** These letters, or every open letter of `runId`. */
  ids?: number[];
  runId?: string;
  /** Deliver to these sinks only (default: every sink configured on the workers). */
  sinks?: string[];
  tuning?: ActivityTuning;
  /** The connection whose workers release them (its dead letters, sinks and state store). */
  connection?: WorkdayConnectionId;
}

export type ReleaseResult =
  | 'released'
  | 'still-invalid'
  | 'already-released'
  | 'not-found'
  | 'delivery-failed';

export interface ReleaseOutcome {
  id: number;
  runId: string;
  page: number;
  wid: string | null;
  workerId: string | null;
  /** A record a sink refused: that sink, the only one it is released to. */
  sink?: string;
  result: ReleaseResult;
  /** The delivery error (delivery-failed); a still-invalid letter's new reason is in the audit store. */
  reason?: string;
  /** Per sink, what the delivery did (released letters). */
  sinks?: Record<string, string>;
}

export interface ReleasePlan {
  sinks: string[];
  /** Every letter asked for; those with result 'released' are still to be delivered. */
  letters: ReleaseOutcome[];
}
