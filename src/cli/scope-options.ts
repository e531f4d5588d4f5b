import { type Command, Option } from 'commander';
import type { SyncScope } from '../domain/scope';
import { UserError } from './errors';

const GROUPS = ['personal', 'employment', 'compensation', 'organizations'] as const;

/** Business-first filtering flags, shared by `start` and `schedule create`. */
export function addScopeOptions(cmd: Command): Command {
  return cmd
    .option('--org <id...>', 'only workers in these supervisory organizations')
    .option('--include-subordinates', 'with --org: include subordinate organizations')
    .addOption(new Option('--employees-only', 'exclude contingent workers').conflicts('contingentOnly'))
    .option('--contingent-only', 'exclude employees')
    .option('--active-only', 'exclude inactive (terminated, not yet hired) workers')
    .option(
      '--worker-ids <ids>',
      'only these workers (comma-separated WIDs, Employee_IDs or Contingent_Worker_IDs)',
    )
    .option(
      '--groups <list>',
      `response groups to fetch, comma-separated from ${GROUPS.join(',')} (default: all)`,
    );
}

export interface ScopeFlags {
  org?: string[];
  includeSubordinates?: boolean;
  employeesOnly?: boolean;
  contingentOnly?: boolean;
  activeOnly?: boolean;
  workerIds?: string;
  groups?: string;
}

/** Turns the flags into a SyncScope, or undefined for the whole tenant. */
export function scopeFromFlags(o: ScopeFlags): SyncScope | undefined {
  if (o.includeSubordinates && !o.org?.length) throw new UserError('--include-subordinates needs --org');
  const scope: SyncScope = {};
  if (o.org?.length)
    scope.organizations = o.org.map((id) => ({ id, includeSubordinates: Boolean(o.includeSubordinates) }));
  if (o.employeesOnly) scope.excludeContingent = true;
  if (o.contingentOnly) scope.excludeEmployees = true;
  if (o.activeOnly) scope.activeOnly = true;
  if (o.workerIds !== undefined) {
    const ids = o.workerIds
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (!ids.length) throw new UserError('--worker-ids needs at least one id');
    scope.workerIds = ids;
  }
  if (o.groups !== undefined) {
    const wanted = o.groups
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = wanted.filter((g) => !(GROUPS as readonly string[]).includes(g));
    if (bad.length)
      throw new UserError(`--groups: unknown group ${bad.join(', ')}; choose from ${GROUPS.join(', ')}`);
    // All four groups is the default: no reduced scope, same watermark as no --groups.
    if (!GROUPS.every((g) => wanted.includes(g)))
      scope.responseGroups = {
        personal: wanted.includes('personal'),
        employment: wanted.includes('employment'),
        compensation: wanted.includes('compensation'),
        organizations: wanted.includes('organizations'),
      };
  }
  return Object.keys(scope).length ? scope : undefined;
}
