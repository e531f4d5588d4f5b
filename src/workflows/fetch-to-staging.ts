import { patched } from '@temporalio/workflow';
import { looksAhead } from '../time/lookahead';
import type { WorkdayProxy } from './proxies';
import type { FetchSummary, PageRequestSpec } from './types';

/**
 * Workday → staging for one page. A run with a termination look-ahead makes a second request per
 * page; it is an activity of its own, so the Workday queue's rate limit and the run's concurrency
 * bound it as they bound the pages (one request inside the page's activity would double the rate
 * Workday sees). Histories from before keep the look-ahead inside fetchPage.
 */
export async function fetchToStaging(
  workday: WorkdayProxy,
  spec: PageRequestSpec,
  page: number,
): Promise<FetchSummary> {
  if (!looksAhead(spec) || !patched('due-terminations-activity')) return workday.fetchPage({ spec, page });
  const fetched = await workday.fetchPage({ spec, page, dueTerminations: 'separate' });
  await workday.fetchDueTerminations({ spec, page });
  return fetched;
}
