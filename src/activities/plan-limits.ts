import { ErrorType, TypedError } from '../errors/types';

/**
 * How big a run wdsync believes. A Total_Results over these is taken for a broken or hostile
 * answer, not a tenant: 99,999,999,999 once planned 100 million pages. The largest real tenants
 * hold a few hundred thousand workers, so the defaults leave two orders of magnitude of room.
 */
export interface PlanLimits {
  maxTotalResults: number;
  maxPages: number;
}

export const DEFAULT_PLAN_LIMITS: PlanLimits = { maxTotalResults: 50_000_000, maxPages: 100_000 };

/** Throws a non-retryable PlanTooLarge failure when a run's total is past a limit. */
export function checkPlan(totalResults: number, pageSize: number, limits: PlanLimits = DEFAULT_PLAN_LIMITS) {
  const pages = Math.ceil(totalResults / pageSize);
  const over: string[] = [];
  if (totalResults > limits.maxTotalResults) {
    over.push(`more than ${limits.maxTotalResults} results (WDSYNC_MAX_TOTAL_RESULTS)`);
  }
  if (pages > limits.maxPages) over.push(`more than ${limits.maxPages} pages (WDSYNC_MAX_PAGES)`);
  if (!over.length) return;
  throw new TypedError(
    ErrorType.PlanTooLarge,
    `Workday reported Total_Results ${totalResults}, ${pages} pages of ${pageSize}: ${over.join(' and ')}, ` +
      "so the total is not believed and no page was fetched. If the tenant really is that large, raise the limit on the workers' configuration" +
      (pages > limits.maxPages ? ' or use a larger --page-size' : ''),
  );
}
