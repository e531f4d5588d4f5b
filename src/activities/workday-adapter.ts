import type { GetWorkersRequestInput, WorkerRefType } from '../workday/request';
import type { PageRequestSpec } from '../workflows/types';
import type { WorkdayPort } from './ports';

const WID = /^[0-9a-f]{32}$/i;

/** Maps a run's page spec onto a Get_Workers request: same pinned as-of on every page. */
export function toGetWorkersRequest(
  spec: PageRequestSpec,
  page: number,
  count: number,
): GetWorkersRequestInput {
  const scope = spec.scope;
  const groups = scope?.responseGroups;
  return {
    page,
    count,
    asOf: spec.asOf,
    transactionLog: spec.window
      ? {
          updatedFrom: spec.window.updatedFrom,
          updatedThrough: spec.window.updatedThrough,
          effectiveFrom: spec.window.effectiveFrom,
          effectiveThrough: spec.window.effectiveThrough,
        }
      : undefined,
    scope: scope
      ? {
          workerRefs: scope.workerIds?.length
            ? scope.workerIds.flatMap((id): { type: WorkerRefType; id: string }[] =>
                // A worker id may be an Employee_ID or a Contingent_Worker_ID; with
                // Skip_Non_Existing_Instances the reference of the wrong type is simply skipped.
                WID.test(id)
                  ? [{ type: 'WID', id: id.toLowerCase() }]
                  : [
                      { type: 'Employee_ID', id },
                      { type: 'Contingent_Worker_ID', id },
                    ],
              )
            : undefined,
          skipNonExisting: scope.workerIds?.length ? true : undefined,
          // Not on a delta: Exclude_Inactive_Workers would drop a worker terminated in the window,
          // and the sink would keep it active forever. A delta fetches the changed workers of the
          // scope whatever their status, so terminations reach the sinks.
          excludeInactive: (scope.activeOnly && !spec.window) || undefined,
          excludeEmployees: scope.excludeEmployees || undefined,
          excludeContingent: scope.excludeContingent || undefined,
          organizations: scope.organizations?.length
            ? {
                ids: scope.organizations.map((o) => o.id),
                includeSubordinates: scope.organizations.some((o) => o.includeSubordinates),
              }
            : undefined,
        }
      : undefined,
    responseGroup: groups
      ? {
          includeReference: true,
          includePersonalInformation: groups.personal,
          includeEmploymentInformation: groups.employment,
          includeCompensation: groups.compensation,
          includeOrganizations: groups.organizations,
        }
      : undefined,
  };
}

type PageClient = {
  getWorkersPage(
    req: GetWorkersRequestInput,
    opts: {
      signal?: AbortSignal;
      onRawChunk?: (c: Buffer) => void;
      onGzipChunk?: (c: Buffer) => void;
      onProgress?: (bytes: number, workers: number) => void;
      onRecord?: (record: import('../domain/worker-record').NormalizedWorker) => void;
    },
  ): Promise<{
    totalResults: number;
    totalPages: number;
    records: import('../domain/worker-record').NormalizedWorker[];
    deadLetters: import('../domain/dead-letter').DeadLetter[];
    rows: number;
    bytes: number;
  }>;
};

export function workdayPort(client: PageClient): WorkdayPort {
  return {
    fetchPage: (spec, page, count, opts) =>
      client.getWorkersPage(toGetWorkersRequest(spec, page, count), opts),
  };
}
