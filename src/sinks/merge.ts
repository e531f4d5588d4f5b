import type { NormalizedWorker } from '../domain/worker-record';
import type { ResponseGroups } from '../domain/scope';

const SECTIONS = ['personal', 'employment', 'compensation', 'organizations'] as const;

/** The sections a run with these response groups did not fetch (empty when it fetched all). */
export function unfetchedSections(groups: ResponseGroups | undefined): (typeof SECTIONS)[number][] {
  return groups ? SECTIONS.filter((s) => !groups[s]) : [];
}

/**
 * A record fetched with reduced response groups, completed with the sections it did not fetch
 * from the record the sink holds: a `--groups personal` run updates the personal section and
 * leaves employment, compensation and organizations as they were. Without a stored record (a
 * new worker) the record stays partial.
 */
export function mergeUnfetched(
  fetched: NormalizedWorker,
  stored: NormalizedWorker | undefined,
  unfetched: readonly (typeof SECTIONS)[number][],
): NormalizedWorker {
  if (!stored || unfetched.length === 0) return fetched;
  const merged: Record<string, unknown> = { ...fetched };
  for (const s of unfetched) {
    if (stored[s] === undefined) delete merged[s];
    else merged[s] = stored[s];
  }
  return merged as NormalizedWorker;
}
