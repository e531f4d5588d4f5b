import type { DeadLetter } from '../domain/dead-letter';
import type { PageKey } from '../domain/page';
import type { NormalizedWorker } from '../domain/worker-record';

/** A page's records as a gzip'd JSON array, packed while the page streamed in (createRecordsPacker). */
export interface PackedRecords {
  readonly count: number;
  readonly gzip: Buffer;
}

export interface StagedPageInput {
  /** The raw SOAP response body, already gzip-compressed. */
  rawGzip: Buffer;
  records: NormalizedWorker[] | PackedRecords;
  deadLetters: DeadLetter[];
}

export interface StagedRunInfo {
  runId: string;
  pages: number;
  bytes: number;
  updatedAt: Date;
}

/** Claim-check store for fetched pages: Workday data lives here, never in workflow history. */
export interface StagingStore {
  readonly kind: string;
  /** Idempotent: writing the same key again replaces the page atomically. Returns an opaque ref. */
  put(key: PageKey, page: StagedPageInput): Promise<{ ref: string; bytes: number }>;
  has(key: PageKey): Promise<boolean>;
  /** Throws StagingMissingError when the page was never staged or was cleaned up. */
  getRecords(key: PageKey): Promise<NormalizedWorker[]>;
  getDeadLetters(key: PageKey): Promise<DeadLetter[]>;
  /** The raw response, decompressed. */
  getRaw(key: PageKey): Promise<Buffer>;
  listRuns(): Promise<StagedRunInfo[]>;
  /** Removes every page of a run; returns the number of pages removed. */
  deleteRun(runId: string): Promise<number>;
  close(): Promise<void>;
}

export class StagingMissingError extends Error {
  constructor(key: PageKey) {
    super(
      `page ${key.page} of run ${key.runId} is not in staging (never fetched, or cleaned up); replay it with --refetch`,
    );
    this.name = 'StagingMissingError';
  }
}
