import type { PageSet } from '../domain/page';
import type { ResponseGroups } from '../domain/scope';
import type { NormalizedWorker } from '../domain/worker-record';
import type { PageKey } from '../domain/page';

export type RecordAction = 'inserted' | 'updated' | 'unchanged';

export interface RecordOutcome {
  wid: string;
  action: RecordAction;
  hash: string;
}

export interface DeliveryContext {
  key: PageKey;
  /**
   * The run's pinned entry moment (ISO). The newest-snapshot rule, per record and whatever the hash
   * says: a delivery from an older snapshot never replaces what a newer one delivered or confirmed
   * unchanged. Overlapping runs deliver pages in any order, so a sink that skips an unchanged
   * record still records it as confirmed at this moment (only moving forward) and checks that
   * marker before every write. Events and business targets follow it too: no older run's event or
   * value for a WID after a newer run's.
   */
  asOfEntry: string;
  /** The run that fetched the records (the ledger key may be a replay's or a release's). */
  sourceRunId?: string;
  /** That run's pinned As_Of_Effective_Date (YYYY-MM-DD), when known; event sinks put it in events. */
  asOfEffective?: string;
  /** Called during long writes so the activity can heartbeat. */
  heartbeat?: () => void;
  /**
   * For sinks that do not compare hashes themselves (`capabilities.comparesHashes` false): each
   * record's content hash when it last reached this sink (from the audit trail), so unchanged
   * records are told apart without reading the sink.
   */
  deliveredHashes?: ReadonlyMap<string, string>;
  /**
   * The response groups the run fetched, when it left some out (undefined: all). A record then
   * lacks the sections of the groups not fetched; the sink keeps the ones it holds for them.
   */
  responseGroups?: ResponseGroups;
}

/** A record the target refused (its own error code and message), left out of `outcomes`. */
export interface RecordFailure {
  wid: string;
  code: string;
  message: string;
}

export interface DeliveryResult {
  /** True when the sink's ledger already held this page: nothing was written. */
  alreadyDelivered: boolean;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Per-record actions, for the audit trail (empty when alreadyDelivered). */
  outcomes: RecordOutcome[];
  /**
   * When alreadyDelivered and the sink remembers it: what the first delivery did. Lets a retried
   * activity (first attempt delivered, then crashed) still record the audit events, idempotently.
   */
  previousOutcomes?: RecordOutcome[];
  /**
   * Records the target refused one by one (sinks whose writes can fail per record, such as
   * Salesforce). Not in `outcomes`, so they are not recorded as delivered and the next run tries
   * them again.
   */
  failures?: RecordFailure[];
  /**
   * Deactivations and deletions the page asks for (terminations the mapping acts on, of records
   * the target holds), left unapplied: the delivery core holds them for the run's circuit breaker
   * or applies them through `lifecycle.apply`. Not in `outcomes` until applied.
   */
  held?: HeldAction[];
}

/** What a termination or a removal does in a business system, as its mapping says. */
export type LifecycleEvent = 'termination' | 'removal';
export type DestructiveAction = 'deactivate' | 'delete';

/** A destructive action a sink proposes and the delivery core decides on. */
export interface HeldAction {
  wid: string;
  workerId?: string;
  event: LifecycleEvent;
  action: DestructiveAction;
  /** The record's content hash for this sink (terminations): recorded as delivered once applied. */
  hash?: string;
}

/** A held action to apply, with the worker's record when the source still has it (terminations). */
export interface LifecycleItem extends HeldAction {
  record?: NormalizedWorker;
}

/**
 * The lifecycle hooks of a business-system sink (Salesforce, Zendesk, Dynamics): what a
 * termination or a removal does there, applied only when the delivery core says so.
 */
export interface SinkLifecycle {
  /**
   * Workers a complete full run no longer saw, among those this sink was given before: the
   * actions the mapping's onRemoval asks for, for the ones the target still holds.
   */
  removals(absent: { wid: string; workerId?: string }[]): Promise<HeldAction[]>;
  /** Applies the actions; the WIDs done (or found already gone) and the ones the target refused. */
  apply(
    ctx: { asOfEntry: string; heartbeat?: () => void },
    items: LifecycleItem[],
  ): Promise<{ done: string[]; failures: RecordFailure[] }>;
  /** How many records the target holds: the base of the breaker's percentage. */
  count(): Promise<number>;
}

/** A fresh result for a page being written: counts start at zero and grow record by record. */
export const newDeliveryResult = (): DeliveryResult => ({
  alreadyDelivered: false,
  inserted: 0,
  updated: 0,
  unchanged: 0,
  outcomes: [],
});

export interface FinalizeContext {
  runId: string;
  mode: 'full' | 'delta';
  /**
   * The run's pages, in order: a list, or 1..through for a whole run (never expanded into an
   * array: a lying Total_Results must not make a worker allocate one entry per planned page).
   */
  pages: PageSet;
  complete: boolean;
  asOfEntry: string;
}

export interface FinalizeResult {
  /** Workers no longer in the source snapshot, now marked removed (complete full runs only). */
  removed: number;
  /** Their WIDs, when the sink can tell cheaply (for 'removed' audit events). */
  removedWids?: string[];
}

/**
 * What a sink can do, declared once by its module. The delivery core, replay and release read
 * these instead of asking which kind of sink it is.
 */
export interface SinkCapabilities {
  /**
   * Looks its stored records up by WID and compares content hashes itself. When false, the
   * delivery core passes `deliveredHashes` from the audit trail.
   */
  readonly comparesHashes: boolean;
  /**
   * Keeps no snapshot marker of ours on every record (a business system: an unchanged record is
   * not written, so its stamp is not moved). The delivery core then holds back records whose WID
   * a newer snapshot already delivered or confirmed unchanged, from the audit trail.
   */
  readonly snapshotsFromAudit?: boolean;
  /** Fills the sections a reduced-groups run did not fetch from what it already holds. */
  readonly keepsUnfetchedSections: boolean;
  /** A complete full run's finalizeRun marks the workers it did not see removed. */
  readonly marksRemovals: boolean;
  /**
   * Its delivery ledger is per (run, page) and outlives the run, so a replay may re-deliver under
   * the original run's key (a no-op when the page arrived, a delivery when it never did). A sink
   * whose finalizeRun closes the run's pages gets replays under the replay's own key instead,
   * merged at the replay's finalize.
   */
  readonly ledgerOutlivesRun: boolean;
  /** A page lands whole or not at all, ledger included. */
  readonly transactional: boolean;
  /**
   * Records per write request the sink sends (a page is delivered in one call, ledger and all,
   * and split into writes of this size inside it); Infinity when a page is one write.
   */
  readonly batchSize: number;
}

/** What a sink would do with one worker now (`wdsync explain`). */
export type ExplainAction =
  | 'insert'
  | 'update'
  | 'unchanged'
  | 'deactivate'
  | 'delete'
  | 'out of scope'
  | 'nothing';

export interface SinkExplanation {
  action: ExplainAction;
  /** Why, in a sentence: the scope decision, the action switch or the state that decided it. */
  reason: string;
  inScope: boolean;
  /** The match key's value in the target. */
  key?: string;
  /** The record as the sink would write it (fields and values). */
  target?: Record<string, unknown>;
  /** What the target holds now for that key (null: nothing). */
  current?: Record<string, unknown> | null;
}

export interface ExplainContext {
  /** The snapshot moment the worker was fetched at. */
  asOfEntry: string;
  /** The record's hash when it last reached this sink, from the audit trail. */
  deliveredHash?: string;
}

/** A destination for normalized worker records. Writes are idempotent upserts keyed by WID. */
export interface Sink {
  readonly name: string;
  /** The module that made it (postgres, jsonl, ...): for people reading status, never for branching. */
  readonly type: string;
  readonly capabilities: SinkCapabilities;
  /** Creates or migrates whatever the sink needs; safe to call on every start. */
  init(): Promise<void>;
  deliverPage(ctx: DeliveryContext, records: NormalizedWorker[]): Promise<DeliveryResult>;
  /**
   * For sinks with a mapping: the scoping decision, the mapped record and the action a delivery
   * of this one record would take now, without writing anything.
   */
  explain?(record: NormalizedWorker, ctx: ExplainContext): Promise<SinkExplanation>;
  /** Called once at the end of a run, after every page was delivered or failed. */
  finalizeRun?(ctx: FinalizeContext): Promise<FinalizeResult>;
  /**
   * Repair (`wdsync watermark reset`): brings every snapshot marker later than `limit` (ISO) back
   * to it, so a run pinned in the future (before wdsync refused that) no longer makes every later
   * run look older. Says what it moved.
   */
  resetMarkers?(limit: string): Promise<MarkerReset>;
  /** Business systems: terminations and removals, behind the circuit breaker. */
  readonly lifecycle?: SinkLifecycle;
  close(): Promise<void>;
}

export interface MarkerReset {
  /** Records (rows, lines) whose own marker moved back; undefined when the sink keeps none. */
  records?: number;
  /** The whole-snapshot marker before the reset, when it was moved back. */
  snapshotWas?: string;
}
