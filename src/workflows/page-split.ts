import { patched } from '@temporalio/workflow';
import { type PageSlice, rowsInSnapshot, splitSlice } from '../domain/page-split';
import { innermostMessage, innermostType } from '../errors/causes';
import { ErrorType } from '../errors/types';
import type { SubPageSummary } from '../activities/page-split';
import type { SinkProxy, WorkdayProxy } from './proxies';
import type { FetchSummary, PageRequestSpec } from './types';

/**
 * Marks histories whose page workflow may split a page too large for Workday. Checked only on
 * the way into a split, so a page Workday answers whole records exactly the commands it always did.
 */
export const PAGE_SPLIT_PATCH = 'adaptive-page-split';

const tooLarge = (err: unknown) => innermostType(err) === ErrorType.ResponseTooLarge;

/**
 * Workday → staging for one page, whatever its size. When Workday will not answer the page whole
 * (fetchPage failed with ResponseTooLarge: a size fault, or a cut or timeout that kept coming
 * back), the same rows of the pinned snapshot are asked for as smaller pages (Count 999 page n →
 * Count 333 pages 3n−2..3n), one request at a time so the page still holds one Workday slot, each
 * its own activity on the Workday queue; a smaller page still too large is split again. A join
 * then stages the page from them under its own key and records the split in the audit trail, so
 * sinks, replays and reconciliation see page n as if it had come whole.
 */
export async function fetchWithSplit(
  workday: WorkdayProxy,
  sinks: SinkProxy,
  input: { spec: PageRequestSpec; page: number; dueTerminations?: 'separate' },
): Promise<FetchSummary> {
  try {
    return await workday.fetchPage(input);
  } catch (err) {
    if (!tooLarge(err) || !patched(PAGE_SPLIT_PATCH)) throw err;
    const { spec, page } = input;
    let pending = splitSlice({ page, count: spec.pageSize });
    // A page of one row is as small as Workday pages come.
    if (!pending.length) throw err;
    const parts: SubPageSummary[] = [];
    const resplit: PageSlice[] = [];
    let total: number | undefined;
    while (pending.length) {
      const part = pending.shift()!;
      // The page's last rows may end before its Count does: nothing to ask for past the end.
      if (total !== undefined && rowsInSnapshot(part, total) === 0) continue;
      try {
        const got = await workday.fetchSubPage({
          spec,
          page,
          part,
          ...(input.dueTerminations ? { dueTerminations: input.dueTerminations } : {}),
        });
        parts.push(got);
        total ??= got.totalResults;
      } catch (partErr) {
        const smaller = tooLarge(partErr) ? splitSlice(part) : [];
        if (!smaller.length) throw partErr;
        resplit.push(part);
        pending = [...smaller, ...pending];
      }
    }
    return sinks.joinSplitPage({
      runId: spec.runId,
      page,
      pageSize: spec.pageSize,
      asOfEntry: spec.asOf.entryMoment,
      reason: innermostMessage(err),
      parts,
      resplit,
    });
  }
}
