import { Context } from '@temporalio/activity';
import type { DeadLetter } from '../domain/dead-letter';
import type { PageKey } from '../domain/page';
import type { PageSlice } from '../domain/page-split';
import { createRecordsPacker } from '../staging/codec';
import { createRawBodyStager } from '../staging/raw-body';
import { WorkdayResponseTooLargeError, isWorkdayError } from '../workday/errors';
import type { PageRequestSpec } from '../workflows/types';
import { looksAhead } from '../time/lookahead';
import { applyDueTerminations } from './due-terminations';
import { heartbeating } from './heartbeat';
import type { ActivityDeps } from './ports';

/** What one Get_Workers request left in staging: counts and a hash, and the dead letters to record. */
export interface StagedFetch {
  totalResults: number;
  totalPages: number;
  rows: number;
  valid: number;
  deadLetters: DeadLetter[];
  bytes: number;
  /** sha256 of the raw response. */
  checksum: string;
}

/**
 * Attempts after which a timeout, or a connection cut mid-body, on the same request is taken for
 * Workday refusing a response this large (it aborts such responses instead of faulting, at times).
 * A run allowed fewer attempts reaches it on its last one, so the page is split instead of failed.
 */
export const SIZE_SUSPECT_ATTEMPTS = 3;

/**
 * 'separate': the workflow asks for the termination look-ahead in its own activity
 * (fetchDueTerminations), so every Workday request is one activity under the queue's rate limit.
 * Absent (histories from before): the look-ahead request is made here, after the page's.
 */
export type DueTerminations = 'separate';

/**
 * Workday → staging under `key`: one request (Page, Count) of the run's pinned snapshot. Streams
 * the response, keeps the raw body gzip (as Workday sent it, when it did), hashes it and keeps the
 * parsed records packed, never as objects.
 */
export async function fetchIntoStaging(
  deps: ActivityDeps,
  spec: PageRequestSpec,
  request: PageSlice,
  key: PageKey,
  dueTerminations?: DueTerminations,
): Promise<StagedFetch> {
  let bytes = 0;
  const raw = createRawBodyStager();
  // Records go to the packer as they are parsed: the page is held as gzip, never as objects.
  const packer = createRecordsPacker();
  const aheadOfTime = looksAhead(spec) && dueTerminations !== 'separate';
  try {
    const result = await heartbeating(
      () =>
        deps.workday.fetchPage(spec, request.page, request.count, {
          signal: Context.current().cancellationSignal,
          onRawChunk: raw.onRawChunk,
          onGzipChunk: raw.onGzipChunk,
          onProgress: (b) => {
            bytes = b;
          },
          // A look-ahead page patches terminations after a second request, so it is held.
          onRecord: aheadOfTime ? undefined : (r) => packer.add(r),
        }),
      () => ({ page: key.page, bytes }),
    );
    const { rawGzip, checksum } = await raw.finish();
    // Records the port returned rather than streamed: test doubles, and look-ahead pages.
    const held = aheadOfTime
      ? (await applyDueTerminations(deps.workday, spec, result.records, Context.current().cancellationSignal))
          .records
      : result.records;
    for (const r of held) packer.add(r);
    const records = await packer.finish();
    await deps.staging.put(key, { rawGzip, records, deadLetters: result.deadLetters });
    return {
      totalResults: result.totalResults,
      totalPages: result.totalPages,
      rows: result.rows,
      valid: records.count,
      deadLetters: result.deadLetters,
      bytes: result.bytes,
      checksum,
    };
  } catch (err) {
    raw.discard();
    packer.discard();
    throw sizeSuspect(err, bytes, request);
  }
}

/**
 * A timeout or a mid-body cut that keeps coming back on this request, at its SIZE_SUSPECT_ATTEMPTS
 * attempt (or its last, if sooner), becomes a WorkdayResponseTooLargeError; anything else as it was.
 * Only transport failures count: a refused connection (no answer begun) is not about size.
 */
function sizeSuspect(err: unknown, bytes: number, request: PageSlice): unknown {
  if (!isWorkdayError(err) || err.kind !== 'transient') return err;
  const cut = err.reason === 'truncated' || (err.reason === 'network' && (err.midBody || bytes > 0));
  if (!cut && err.reason !== 'timeout') return err;
  const info = Context.current().info;
  const allowed = info.retryPolicy?.maximumAttempts;
  const threshold = Math.min(
    SIZE_SUSPECT_ATTEMPTS,
    allowed && allowed > 0 ? allowed : Number.POSITIVE_INFINITY,
  );
  if (info.attempt < threshold) return err;
  const how = cut ? `was cut off mid-body (${bytes} bytes read)` : 'timed out';
  return new WorkdayResponseTooLargeError(
    `Workday's answer to Page ${request.page} (Count ${request.count}) ${how} on attempt ${info.attempt}; taken for a response too large to send, so wdsync asks for the same rows as smaller pages (${err.message})`,
    { cause: err, status: err.status, detail: err.detail },
  );
}
