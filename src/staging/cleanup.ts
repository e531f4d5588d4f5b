import type { StagingStore } from './types';

export interface CleanupOptions {
  /** Remove runs whose last page was staged longer ago than this. 0 removes every run. */
  olderThanMs?: number;
  /** Remove this run only. */
  runId?: string;
  /** Runs never removed whatever their age (runs still going, which replays and retries read). */
  keep?: ReadonlySet<string>;
  now?: Date;
}

export interface CleanupResult {
  runs: string[];
  pages: number;
}

/**
 * Deletes staged pages. Staging is what replays read from, so this never runs without a filter:
 * pass runId or olderThanMs (0 to remove everything).
 */
export async function cleanupStaging(store: StagingStore, options: CleanupOptions): Promise<CleanupResult> {
  if (options.runId === undefined && options.olderThanMs === undefined) {
    throw new Error(
      'say what to clean up: a run id, or an age (--older-than 7d; 0 removes every staged run)',
    );
  }
  if (options.olderThanMs !== undefined && !(options.olderThanMs >= 0)) {
    throw new Error(`olderThanMs must be a non-negative number, got ${options.olderThanMs}`);
  }
  const cutoff = (options.now ?? new Date()).getTime() - (options.olderThanMs ?? 0);
  const runs = (await store.listRuns()).filter(
    (r) =>
      !options.keep?.has(r.runId) &&
      (options.runId === undefined || r.runId === options.runId) &&
      (options.olderThanMs === undefined || r.updatedAt.getTime() <= cutoff),
  );
  let pages = 0;
  for (const run of runs) pages += await store.deleteRun(run.runId);
  return { runs: runs.map((r) => r.runId), pages };
}
