import type { Connection } from 'jsforce';
import { ErrorType, TypedError } from '../errors/types';

/**
 * One Bulk API 2.0 upsert job with jsforce: the records as CSV (relationship objects as
 * `ReportsTo.Workday_ID__c` columns, null as `#N/A`), UploadComplete, polled to the end, then
 * one result per record from the successful and failed results, matched back by external id.
 * Rows the job never reached (a job that failed or was aborted) come back as BULK_UNPROCESSED,
 * which the caller may send again.
 */

export const BULK_UNPROCESSED = 'BULK_UNPROCESSED';

export interface WriteResult {
  success: boolean;
  created?: boolean;
  errors?: { statusCode: string; message: string }[];
}

export interface BulkOptions {
  object: string;
  externalIdField: string;
  pollIntervalMs: number;
  /** How long a job may stay queued or running before it is aborted and the page retried. */
  pollTimeoutMs: number;
  heartbeat?: () => void;
}

type Body = Record<string, unknown>;

function cell(v: unknown): string {
  if (v === null) return '#N/A';
  if (v === undefined) return '';
  return String(v);
}

/** Column name -> how to read a record's cell. */
function columnsOf(records: Body[]): [string, (r: Body) => unknown][] {
  const cols = new Map<string, (r: Body) => unknown>();
  for (const r of records)
    for (const [k, v] of Object.entries(r)) {
      if (k === 'attributes') continue;
      if (v && typeof v === 'object') {
        for (const inner of Object.keys(v as Body))
          if (inner !== 'attributes' && !cols.has(`${k}.${inner}`))
            cols.set(`${k}.${inner}`, (x) => (x[k] as Body | undefined)?.[inner]);
      } else if (!cols.has(k)) cols.set(k, (x) => x[k]);
    }
  return [...cols];
}

export function toCsv(records: Body[]): string {
  const { stringify } = require('csv-stringify/sync') as typeof import('csv-stringify/sync');
  const cols = columnsOf(records);
  return stringify([cols.map(([name]) => name), ...records.map((r) => cols.map(([, get]) => cell(get(r))))], {
    record_delimiter: 'unix',
  });
}

/** "STATUS_CODE:message:fields --" as failedResults' sf__Error carries it. */
function parseError(text: string): { statusCode: string; message: string } {
  const m = /^([A-Z_]+):([\s\S]*?)(?::[^:]*--)?$/.exec(text.trim());
  return m ? { statusCode: m[1]!, message: m[2]! } : { statusCode: 'UNKNOWN', message: text };
}

export async function bulkUpsert(conn: Connection, records: Body[], o: BulkOptions): Promise<WriteResult[]> {
  const job = conn.bulk2.createJob({
    object: o.object,
    operation: 'upsert',
    externalIdFieldName: o.externalIdField,
    lineEnding: 'LF',
  });
  await job.open();
  await job.uploadData(toCsv(records));
  await job.close();
  job.on('inProgress', () => o.heartbeat?.());
  let failure: string | undefined;
  try {
    await job.poll(o.pollIntervalMs, o.pollTimeoutMs);
  } catch (e) {
    if (/JobPollingTimeout/.test((e as Error).name)) {
      // Processing may still happen later; the same upsert sent again is idempotent.
      await job.abort().catch(() => undefined);
      throw new TypedError(
        ErrorType.SalesforceRequest,
        `Salesforce Bulk API job ${job.id} for ${records.length} ${o.object} records did not finish within ${Math.round(o.pollTimeoutMs / 1000)}s; aborted it, the page is retried`,
        true,
      );
    }
    const info = await job.check().catch(() => undefined);
    if (!info || (info.state !== 'Failed' && info.state !== 'Aborted')) throw e;
    failure = info.errorMessage ?? `job ${info.state}`;
    // A file Salesforce could not read at all is ours to fix, not a record's.
    if (info.numberRecordsProcessed === 0 && /InvalidBatch|ClientInputError/.test(failure))
      throw new TypedError(
        ErrorType.SalesforceRequest,
        `Salesforce refused the Bulk API job ${job.id}: ${failure.slice(0, 300)}`,
      );
  }
  const { successfulResults, failedResults } = await job.getAllResults();
  const byKey = new Map<string, WriteResult>();
  for (const r of successfulResults as unknown as Record<string, string>[])
    byKey.set(r[o.externalIdField]!, { success: true, created: r.sf__Created === 'true' });
  for (const r of failedResults as unknown as Record<string, string>[])
    byKey.set(r[o.externalIdField]!, { success: false, errors: [parseError(r.sf__Error ?? '')] });
  const unprocessed = {
    success: false,
    errors: [{ statusCode: BULK_UNPROCESSED, message: failure ?? 'not processed by the job' }],
  };
  await job.delete().catch(() => undefined);
  return records.map((r) => byKey.get(String(r[o.externalIdField])) ?? unprocessed);
}
