import { randomBytes } from 'node:crypto';
import { ApiError } from './errors';
import type { Faults } from './faults';
import type { SalesforceSimulatorOptions } from './options';
import type { ContactStore, Incoming, UpsertResult } from './store';

/**
 * Bulk API 2.0 ingest jobs, as Salesforce documents them: create (POST /jobs/ingest), upload CSV
 * once (PUT .../batches), UploadComplete or Aborted (PATCH), job info (GET), the successful,
 * failed and unprocessed record results as CSV, delete. A job waits in UploadComplete, runs
 * InProgress for the simulated processing time, then applies its rows through the same store the
 * REST API writes, and ends JobComplete (or Failed, with the rest unprocessed).
 */

/** CSV libraries, loaded on first use: the CLI starts without them. */
const csvParse = (): typeof import('csv-parse/sync') => require('csv-parse/sync');
const csvStringify = (): typeof import('csv-stringify/sync') => require('csv-stringify/sync');

type JobState = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';

const DELIMITERS: Record<string, string> = {
  COMMA: ',',
  TAB: '\t',
  PIPE: '|',
  SEMICOLON: ';',
  CARET: '^',
  BACKQUOTE: '`',
};

interface Job {
  id: string;
  object: string;
  externalIdFieldName: string;
  lineEnding: 'LF' | 'CRLF';
  columnDelimiter: string;
  apiVersion: string;
  createdDate: string;
  systemModstamp: string;
  state: JobState;
  csv?: string;
  columns: string[];
  rows: string[][];
  results: { row: number; result: UpsertResult }[];
  processed: number;
  failed: number;
  errorMessage?: string;
  startedAt?: number;
  finishedAt?: number;
}

export interface BulkStats {
  jobs: number;
  records: number;
}

export class IngestJobs {
  private jobs = new Map<string, Job>();
  private timers = new Set<NodeJS.Timeout>();
  private seq = 0;
  stats: BulkStats = { jobs: 0, records: 0 };

  constructor(
    private readonly store: ContactStore,
    private readonly faults: Faults,
    private readonly latency: SalesforceSimulatorOptions['latency'],
    private readonly userId: string,
    private readonly now: () => number = Date.now,
  ) {}

  reset(): void {
    this.close();
    this.jobs.clear();
    this.stats = { jobs: 0, records: 0 };
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private stamp(): string {
    return new Date(this.now()).toISOString().replace('Z', '+0000');
  }

  private get(id: string): Job {
    const job = this.jobs.get(id);
    if (!job) throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
    return job;
  }

  info(job: Job): Record<string, unknown> {
    return {
      id: job.id,
      operation: 'upsert',
      object: job.object,
      createdById: this.userId,
      createdDate: job.createdDate,
      systemModstamp: job.systemModstamp,
      state: job.state,
      externalIdFieldName: job.externalIdFieldName,
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      apiVersion: Number(job.apiVersion),
      jobType: 'V2Ingest',
      contentUrl: `services/data/v${job.apiVersion}/jobs/ingest/${job.id}/batches`,
      lineEnding: job.lineEnding,
      columnDelimiter: job.columnDelimiter,
      numberRecordsProcessed: job.processed,
      numberRecordsFailed: job.failed,
      retries: 0,
      totalProcessingTime: job.startedAt && job.finishedAt ? job.finishedAt - job.startedAt : 0,
      apiActiveProcessingTime: 0,
      apexProcessingTime: 0,
      ...(job.errorMessage ? { errorMessage: job.errorMessage } : {}),
    };
  }

  /** POST /jobs/ingest. */
  create(version: string, body: unknown): Record<string, unknown> {
    const b = (body ?? {}) as Record<string, unknown>;
    const bad = (msg: string) => new ApiError(400, 'INVALIDJOB', msg);
    if (typeof b.object !== 'string' || !b.object) throw bad('InvalidJob : object is required');
    if (b.operation !== 'upsert')
      throw bad(`InvalidJob : operation ${String(b.operation)} is not served by this simulator; use upsert`);
    if (typeof b.externalIdFieldName !== 'string' || !b.externalIdFieldName)
      throw bad('InvalidJob : External ID was blank; an upsert job needs externalIdFieldName');
    if (b.contentType !== undefined && b.contentType !== 'CSV')
      throw bad(`InvalidJob : contentType ${String(b.contentType)} is not supported; use CSV`);
    const lineEnding = b.lineEnding ?? 'LF';
    if (lineEnding !== 'LF' && lineEnding !== 'CRLF') throw bad('InvalidJob : lineEnding is LF or CRLF');
    const columnDelimiter = b.columnDelimiter ?? 'COMMA';
    if (typeof columnDelimiter !== 'string' || !DELIMITERS[columnDelimiter])
      throw bad(`InvalidJob : columnDelimiter is one of ${Object.keys(DELIMITERS).join(', ')}`);
    // The object and the external-id field are checked now, as Salesforce does at create.
    this.store.matchField(b.object, b.externalIdFieldName);
    this.seq++;
    const id = `750${this.seq.toString(36).toUpperCase().padStart(9, '0')}${randomBytes(2).toString('hex').toUpperCase()}AAM`;
    const at = this.stamp();
    const job: Job = {
      id,
      object: b.object,
      externalIdFieldName: b.externalIdFieldName,
      lineEnding,
      columnDelimiter,
      apiVersion: version,
      createdDate: at,
      systemModstamp: at,
      state: 'Open',
      columns: [],
      rows: [],
      results: [],
      processed: 0,
      failed: 0,
    };
    this.jobs.set(id, job);
    this.stats.jobs++;
    return this.info(job);
  }

  /** PUT /jobs/ingest/<id>/batches: the job's CSV, once, while it is Open. */
  upload(id: string, csv: string): void {
    const job = this.get(id);
    if (job.state !== 'Open' || job.csv !== undefined)
      throw new ApiError(
        409,
        'INVALIDJOBSTATE',
        `Job ${id} is in state ${job.state}${job.csv !== undefined ? ' and already has its data' : ''}; data is uploaded once, while the job is Open`,
      );
    job.csv = csv;
  }

  /** PATCH /jobs/ingest/<id>: UploadComplete starts processing; Aborted stops the job. */
  patch(id: string, body: unknown): Record<string, unknown> {
    const job = this.get(id);
    const state = (body as { state?: unknown } | null)?.state;
    if (state === 'UploadComplete') {
      if (job.state !== 'Open')
        throw new ApiError(409, 'INVALIDJOBSTATE', `Job ${id} is ${job.state}, not Open`);
      job.state = 'UploadComplete';
      job.systemModstamp = this.stamp();
      this.schedule(job);
    } else if (state === 'Aborted') {
      if (!['Open', 'UploadComplete', 'InProgress'].includes(job.state))
        throw new ApiError(409, 'INVALIDJOBSTATE', `Job ${id} is ${job.state} and cannot be aborted`);
      job.state = 'Aborted';
      job.systemModstamp = this.stamp();
    } else throw new ApiError(400, 'INVALIDJOBSTATE', 'state must be UploadComplete or Aborted');
    return this.info(job);
  }

  status(id: string): Record<string, unknown> {
    return this.info(this.get(id));
  }

  list(): Record<string, unknown> {
    return { done: true, records: [...this.jobs.values()].map((j) => this.info(j)), nextRecordsUrl: null };
  }

  delete(id: string): void {
    const job = this.get(id);
    if (job.state === 'Open' || job.state === 'InProgress')
      throw new ApiError(409, 'INVALIDJOBSTATE', `Job ${id} is ${job.state}; close or abort it first`);
    this.jobs.delete(id);
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private schedule(job: Job): void {
    const slow = this.faults.fire('slowJob');
    const failure = this.faults.fire('jobFailure');
    this.later(this.latency.bulkQueueMs + (slow ? (slow.delayMs ?? 30_000) : 0), () => {
      if (job.state !== 'UploadComplete') return;
      if (!this.load(job)) return;
      job.state = 'InProgress';
      job.startedAt = this.now();
      const n = job.rows.length;
      const runMs = Math.ceil(n / this.latency.bulkParallel) * this.latency.recordMs;
      this.later(runMs, () => {
        if (job.state !== 'InProgress') return;
        const upTo = failure ? Math.floor(n / 2) : n;
        const ran = this.process(job, upTo);
        job.finishedAt = this.now();
        job.systemModstamp = this.stamp();
        if (!ran) return;
        if (failure) {
          job.state = 'Failed';
          job.errorMessage = failure.message ?? 'InternalServerError : processing stopped (injected)';
        } else job.state = 'JobComplete';
      });
    });
  }

  /** Parses the uploaded CSV; a malformed file fails the job with Salesforce's wording. */
  private load(job: Job): boolean {
    const fail = (msg: string) => {
      job.state = 'Failed';
      job.errorMessage = msg;
      job.systemModstamp = this.stamp();
      return false;
    };
    const csv = job.csv ?? '';
    if (!csv.trim()) return fail('InvalidBatch : no data was uploaded for the job');
    if (job.lineEnding === 'LF' && csv.includes('\r\n'))
      return fail('ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF');
    let table: string[][];
    try {
      table = csvParse().parse(csv, {
        delimiter: DELIMITERS[job.columnDelimiter],
        relax_column_count: false,
      });
    } catch (e) {
      return fail(`InvalidBatch : ${(e as Error).message}`);
    }
    const [columns, ...rows] = table;
    job.columns = columns ?? [];
    job.rows = rows;
    return true;
  }

  /** Applies the first `upTo` rows; false when the file itself failed the job. */
  private process(job: Job, upTo: number): boolean {
    let incoming: Incoming[];
    let ext: ReturnType<ContactStore['matchField']>;
    try {
      ext = this.store.matchField(job.object, job.externalIdFieldName);
      incoming = this.store.fromCsv(job.columns, job.rows.slice(0, upTo));
    } catch (e) {
      job.errorMessage = (e as Error).message.startsWith('InvalidBatch')
        ? (e as Error).message
        : `InvalidBatch : ${(e as Error).message}`;
      job.state = 'Failed';
      return false;
    }
    const results = this.store.upsertRows(ext, incoming);
    job.results = results.map((result, row) => ({ row, result }));
    job.processed = results.length;
    job.failed = results.filter((r) => !r.success).length;
    this.stats.records += results.length;
    return true;
  }

  /** GET successfulResults/, failedResults/ or unprocessedrecords/ as CSV. */
  results(id: string, kind: 'successfulResults' | 'failedResults' | 'unprocessedrecords'): string {
    const job = this.get(id);
    const record_delimiter = job.lineEnding === 'CRLF' ? 'windows' : 'unix';
    const delimiter = DELIMITERS[job.columnDelimiter];
    const out = (header: string[], rows: string[][]) =>
      csvStringify().stringify([header, ...rows], { record_delimiter, delimiter, quoted: true });
    if (kind === 'unprocessedrecords') {
      const done = job.results.length;
      return out(job.columns, job.state === 'JobComplete' ? [] : job.rows.slice(done));
    }
    const ok = kind === 'successfulResults';
    const rows = job.results
      .filter((r) => r.result.success === ok)
      .map(({ row, result }) => {
        const e = result.errors[0];
        const second = ok
          ? String(result.created === true)
          : `${e?.statusCode}:${e?.message}:${(e?.fields ?? []).join(',')} --`;
        return [result.id ?? '', second, ...job.rows[row]!];
      });
    return out(['sf__Id', ok ? 'sf__Created' : 'sf__Error', ...job.columns], rows);
  }
}
