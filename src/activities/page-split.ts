import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { NormalizedWorker } from '../domain/worker-record';
import type { DeadLetter } from '../domain/dead-letter';
import type { PageKey } from '../domain/page';
import { type PageSlice, type SplitPart, rowsOf } from '../domain/page-split';
import { gzipRaw } from '../staging/codec';
import type { FetchSummary, PageRequestSpec } from '../workflows/types';
import { type DueTerminations, fetchIntoStaging } from './fetch-page';
import { heartbeating } from './heartbeat';
import type { ActivityDeps } from './ports';

/*
 * A page Workday cannot answer whole (src/workflows/page-split.ts): each smaller request is its
 * own activity on the Workday queue, so the queue's rate limit and the run's concurrency bound it
 * like any page, and is staged apart; one join then stages the page itself from them, in row
 * order, under its own key. Sinks, replays and reconciliation only ever see the page.
 */

/** What one smaller request brought back; no worker data. */
export interface SubPageSummary extends SplitPart {
  totalResults: number;
  valid: number;
  deadLettered: number;
  checksum: string;
}

/**
 * Where a split page's smaller requests are staged until the join: a staging run of their own,
 * keyed by each request's first row (1-based), so they never collide with the run's pages.
 */
export function splitStagingKey(runId: string, page: number, part: PageSlice): PageKey {
  return { runId: splitStagingRun(runId, page), page: rowsOf(part).first + 1 };
}

export const splitStagingRun = (runId: string, page: number): string => `${runId}/page-${page}/split`;

/** Workday → staging for one smaller request of a split page. Registered on the Workday queue. */
export function createSplitWorkdayActivities(deps: ActivityDeps) {
  return {
    async fetchSubPage(input: {
      spec: PageRequestSpec;
      page: number;
      part: PageSlice;
      dueTerminations?: DueTerminations;
    }): Promise<SubPageSummary> {
      const { spec, page, part } = input;
      const r = await fetchIntoStaging(
        deps,
        spec,
        part,
        splitStagingKey(spec.runId, page, part),
        input.dueTerminations,
      );
      return {
        page: part.page,
        count: part.count,
        rows: r.rows,
        bytes: r.bytes,
        totalResults: r.totalResults,
        valid: r.valid,
        deadLettered: r.deadLetters.length,
        checksum: r.checksum,
      };
    },
  };
}

export interface JoinSplitInput {
  runId: string;
  page: number;
  pageSize: number;
  asOfEntry: string;
  /** Why the page was split (the failure's message, bounded). */
  reason: string;
  /** The requests that answered, in row order. */
  parts: SubPageSummary[];
  /** Requests that were too large themselves and were split again. */
  resplit: PageSlice[];
}

/** Staging and the audit trail: served on the sinks queue, whose workers hold both. */
export function createSplitSinkActivities(deps: ActivityDeps) {
  return {
    /**
     * Stages a split page under its own key from its smaller requests, in row order, records its
     * dead letters and its audit row (with how it was split), then drops the smaller requests.
     * Idempotent: a retry after the drop finds the page staged and records the same rows again.
     */
    async joinSplitPage(input: JoinSplitInput): Promise<FetchSummary> {
      const { runId, page, parts } = input;
      if (!parts.length) throw new Error(`page ${page} of run ${runId}: a split with no parts`);
      const key = { runId, page };
      const startedAt = new Date();
      const deadLetters = await heartbeating(
        () => stageJoined(deps, key, parts),
        () => ({ page, parts: parts.length }),
      );
      // Every part comes from the pinned snapshot, so all report the same total; one that does not
      // is passed on, for the run to report as a totals mismatch.
      const totalResults =
        parts.find((p) => p.totalResults !== parts[0]!.totalResults)?.totalResults ?? parts[0]!.totalResults;
      const totalPages = Math.ceil(totalResults / input.pageSize);
      const rows = parts.reduce((n, p) => n + p.rows, 0);
      // The raw page is its parts' responses one after the other, so its hash is theirs, in order.
      const checksum = createHash('sha256')
        .update(parts.map((p) => p.checksum).join('\n'))
        .digest('hex');
      if (deadLetters.length) await deps.audit.addDeadLetters(runId, page, deadLetters);
      await deps.audit.recordPage({
        runId,
        page,
        asOf: input.asOfEntry,
        totalResults,
        totalPages,
        rows,
        deadLetters: deadLetters.length,
        checksum,
        status: 'fetched',
        error: null,
        attempt: 1,
        split: {
          reason: input.reason,
          parts: parts.map(({ page: p, count, rows: r, bytes }) => ({ page: p, count, rows: r, bytes })),
          resplit: input.resplit,
        },
        startedAt,
        endedAt: new Date(),
      });
      await deps.staging.deleteRun(splitStagingRun(runId, page));
      return {
        page,
        totalResults,
        totalPages,
        rows,
        valid: parts.reduce((n, p) => n + p.valid, 0),
        deadLettered: deadLetters.length,
        bytes: parts.reduce((n, p) => n + p.bytes, 0),
        checksum,
      };
    },
  };
}

/** The page staged from its parts (or, on a retry after they were dropped, as staged before); its dead letters. */
async function stageJoined(deps: ActivityDeps, key: PageKey, parts: SubPageSummary[]): Promise<DeadLetter[]> {
  const partKeys = parts.map((p) => splitStagingKey(key.runId, key.page, p));
  if (!(await deps.staging.has(partKeys[0]!)) && (await deps.staging.has(key))) {
    return deps.staging.getDeadLetters(key);
  }
  const records: NormalizedWorker[] = [];
  const deadLetters: DeadLetter[] = [];
  const raw: Buffer[] = [];
  for (const k of partKeys) {
    for (const r of await deps.staging.getRecords(k)) records.push(r);
    deadLetters.push(...(await deps.staging.getDeadLetters(k)));
    raw.push(await deps.staging.getRaw(k));
    Context.current().heartbeat({ page: key.page, part: k.page });
  }
  await deps.staging.put(key, { rawGzip: await gzipRaw(Buffer.concat(raw)), records, deadLetters });
  return deadLetters;
}
