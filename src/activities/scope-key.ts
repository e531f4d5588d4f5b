import { createHash } from 'node:crypto';
import { canonicalJson } from '../sinks/hash';
import type { SyncScope } from '../workflows/types';

/**
 * The watermark key of a population: 'all' for the whole tenant, else a short hash of the
 * canonical scope (response groups excluded: they change what is fetched, not who).
 */
export function scopeKey(scope: SyncScope | null | undefined): string {
  if (!scope) return 'all';
  const { responseGroups: _groups, ...who } = scope;
  const normalized = {
    ...who,
    organizations: who.organizations?.map((o) => `${o.id}:${o.includeSubordinates}`).sort(),
    workerIds: who.workerIds ? [...who.workerIds].sort() : undefined,
  };
  const json = canonicalJson(JSON.parse(JSON.stringify(normalized)));
  if (json === '{}') return 'all';
  return `scope-${createHash('sha256').update(json).digest('hex').slice(0, 16)}`;
}
