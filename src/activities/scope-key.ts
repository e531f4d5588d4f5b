import { createHash } from 'node:crypto';
import { canonicalJson } from '../sinks/hash';
import { unfetchedSections } from '../sinks/merge';
import type { SyncScope } from '../domain/scope';

type Groups = NonNullable<SyncScope['responseGroups']>;

/** The response groups a scope leaves out, or undefined when it fetches them all. */
export function reducedGroups(scope: SyncScope | null | undefined): Groups | undefined {
  const g = scope?.responseGroups;
  if (!g || unfetchedSections(g).length === 0) return undefined;
  return g;
}

/**
 * The watermark key of a population: 'all' for the whole tenant, else a short hash of the
 * canonical scope. Reduced response groups are part of it: a run that fetched only some sections
 * has not brought the others up to date, so it must not advance the watermark of a run that
 * fetches everything (all four groups count as no groups).
 */
export function scopeKey(scope: SyncScope | null | undefined): string {
  if (!scope) return 'all';
  const { responseGroups: _groups, ...who } = scope;
  const groups = reducedGroups(scope);
  const normalized = {
    ...who,
    organizations: who.organizations?.map((o) => `${o.id}:${o.includeSubordinates}`).sort(),
    workerIds: who.workerIds ? [...who.workerIds].sort() : undefined,
    groups: groups
      ? (Object.keys(groups) as (keyof Groups)[])
          .filter((k) => groups[k])
          .sort()
          .join(',')
      : undefined,
  };
  const json = canonicalJson(JSON.parse(JSON.stringify(normalized)));
  if (json === '{}') return 'all';
  return `scope-${createHash('sha256').update(json).digest('hex').slice(0, 16)}`;
}
