import { patched } from '@temporalio/workflow';
import { looksAhead } from '../time/lookahead';
import { fetchWithSplit } from './page-split';
import type { SinkProxy, WorkdayProxy } from './proxies';
import type { FetchSummary, PageRequestSpec } from './types';

/**
 * Workday → staging for one page: fetched whole, or split when too large (fetchWithSplit). A run
 * with a termination look-ahead makes one more request per page; it is an activity of its own, so
 * the Workday queue's rate limit and the run's concurrency bound it as they bound the pages (a
 * request inside the page's activity would double the rate Workday sees). Histories from before
 * keep the look-ahead inside fetchPage.
 */
export async function fetchToStaging(
  workday: WorkdayProxy,
  sinks: SinkProxy,
  spec: PageRequestSpec,
  page: number,
): Promise<FetchSummary> {
  if (!looksAhead(spec) || !patched('due-terminations-activity'))
    return fetchWithSplit(workday, sinks, { spec, page });
  const fetched = await fetchWithSplit(workday, sinks, { spec, page, dueTerminations: 'separate' });
  await workday.fetchDueTerminations({ spec, page });
  return fetched;
}
