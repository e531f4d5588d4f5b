import { createHash } from 'node:crypto';
import type { Db, Queryable } from '../db/types';
import { DEFAULT_SCHEMA, quoteSchema } from '../db/ident';
import { ensureSchema } from '../db/migrate';
import { boundMessage } from '../errors/bound';
import type { DeadLetter, SinkDeadLetter } from '../domain/dead-letter';
import type { PageSplit } from '../domain/page-split';
import type {
  AuditEvent,
  DeadLetterRow,
  EventAction,
  RecordedTally,
  DeadLetterSummary,
  NewestSnapshot,
  PageRow,
  PageUpdate,
  RunEnd,
  RunRow,
  RunStart,
  Watermark,
  WorkerEvent,
} from './types';

/** How many events a tally holds, over every sink and action. */
export const tallied = (t: RecordedTally): number => t.reduce((n, x) => n + x.count, 0);

export type * from './types';

export interface AuditStore {
  /** Creates or migrates the schema; every method also does it on first use. */
  init(): Promise<void>;
  recordRunStart(run: RunStart): Promise<void>;
  recordRunEnd(run: RunEnd): Promise<void>;
  getRun(runId: string): Promise<RunRow | undefined>;
  listRuns(options?: { limit?: number; status?: string; tenant?: string }): Promise<RunRow[]>;
  recordPage(page: PageUpdate): Promise<void>;
  runPages(runId: string): Promise<PageRow[]>;
  /** Batched; an event already recorded (retried activity) is skipped. Returns what was new. */
  recordEvents(events: AuditEvent[]): Promise<RecordedTally>;
  /** Per sink and action, for a run's reconciliation. */
  runEventCounts(runId: string): Promise<{ sink: string; action: string; count: number }[]>;
  lastDeliveredHashes(sink: string, wids: string[]): Promise<Map<string, string>>;
  newestSnapshots(sink: string, wids: string[]): Promise<Map<string, NewestSnapshot>>;
  /** Events of one worker, by WID or Employee/Contingent_Worker ID, oldest first. */
  workerHistory(id: string, options?: { limit?: number }): Promise<WorkerEvent[]>;
  /**
   * Stores dead letters of a page (and a 'dead-lettered' event for each). Re-fetching the page adds
   * nothing: a dead letter is identified by run, page and a hash of its WID and fragment.
   */
  addDeadLetters(runId: string, page: number, list: DeadLetter[]): Promise<number>;
  /**
   * Records a target refused, as dead letters of that sink, keyed by where each record is staged:
   * one letter per (run, page, sink, worker), its code and message updated (and reopened) when the
   * record is refused again. Also a 'dead-lettered' event for the sink, under `auditRunId`.
   * Returns how many of those events are new (a retried delivery's refusals are not).
   */
  addSinkDeadLetters(
    sink: string,
    staged: { runId: string; page: number },
    auditRunId: string,
    list: SinkDeadLetter[],
  ): Promise<number>;
  listDeadLetters(options?: {
    runId?: string;
    released?: boolean;
    /** Only this sink's letters (records it refused); '' for Workday-side letters only. */
    sink?: string;
    limit?: number;
  }): Promise<DeadLetterSummary[]>;
  /**
   * Workers whose last event on the sink is a delivery (it holds them) and that the run gave it no
   * event for and held no action on: the removals of a complete full run, for ledger-less sinks.
   */
  absentFromRun(sink: string, runId: string): Promise<{ wid: string; workerId?: string }[]>;
  /** Closes the open letters of the sink for these workers (a later delivery got them there). */
  closeSinkDeadLetters(sink: string, wids: string[]): Promise<number>;
  getDeadLetter(id: number): Promise<DeadLetterRow | undefined>;
  /** Returns how many were newly marked. */
  markReleased(ids: number[]): Promise<number>;
  getWatermark(tenant: string, scopeKey: string): Promise<Watermark | undefined>;
  /** Moves forward only: an older updatedThrough (a late, retried run) leaves it as is. */
  setWatermark(tenant: string, scopeKey: string, updatedThrough: string | Date, runId: string): Promise<void>;
  /**
   * Repair only (`wdsync watermark reset`): sets the watermark to `to`, backwards too, or removes it
   * when `to` is undefined. Returns the watermark it replaced.
   */
  resetWatermark(
    tenant: string,
    scopeKey: string,
    to: string | undefined,
    by: string,
  ): Promise<Watermark | undefined>;
}

const BATCH = 5000;

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const dateOrNull = (v: unknown): Date | null =>
  v === null || v === undefined ? null : new Date(v as string);

function toRun(r: Record<string, unknown>): RunRow {
  return {
    runId: r.run_id as string,
    mode: r.mode as string,
    tenant: r.tenant as string,
    scope: (r.scope as Record<string, unknown>) ?? {},
    asOfEntry: dateOrNull(r.as_of_entry),
    asOfEffective: (r.as_of_effective as string | null) ?? null,
    status: r.status as string,
    startedAt: new Date(r.started_at as string),
    endedAt: dateOrNull(r.ended_at),
    summary: (r.summary as Record<string, unknown> | null) ?? null,
  };
}

function toPage(r: Record<string, unknown>): PageRow {
  return {
    runId: r.run_id as string,
    page: num(r.page),
    asOf: dateOrNull(r.as_of),
    totalResults: numOrNull(r.total_results),
    totalPages: numOrNull(r.total_pages),
    rows: numOrNull(r.rows),
    deadLetters: numOrNull(r.dead_letters),
    checksum: (r.checksum as string | null) ?? null,
    attempts: num(r.attempts),
    startedAt: new Date(r.started_at as string),
    endedAt: dateOrNull(r.ended_at),
    status: r.status as string,
    error: (r.error as string | null) ?? null,
    split: (r.split as PageSplit | null) ?? null,
  };
}

function toDeadLetter(r: Record<string, unknown>): DeadLetterSummary {
  return {
    id: num(r.id),
    runId: r.run_id as string,
    page: num(r.page),
    wid: (r.wid as string | null) ?? null,
    workerId: (r.worker_id as string | null) ?? null,
    reason: r.reason as string,
    sink: (r.sink as string | null) ?? null,
    code: (r.code as string | null) ?? null,
    createdAt: new Date(r.created_at as string),
    releasedAt: dateOrNull(r.released_at),
  };
}

export function fragmentHash(d: DeadLetter): string {
  return createHash('sha256')
    .update(`${d.wid ?? ''}\n${d.workerId ?? ''}\n`)
    .update(d.fragment)
    .digest('hex');
}

const RUN_COLUMNS = `run_id, mode, tenant, scope, as_of_entry, as_of_effective::text AS as_of_effective, status, started_at, ended_at, summary`;
const DL_COLUMNS =
  'id::text AS id, run_id, page, wid, worker_id, reason, sink, code, created_at, released_at';

/** A sink letter's identity within its staged page: the sink and the worker. */
export function sinkLetterHash(sink: string, wid: string): string {
  return createHash('sha256').update(`sink\n${sink}\n${wid}`).digest('hex');
}

/** Audit and state tables (runs, pages, record events, dead letters, watermarks) in <schema>. */
export function createAuditStore(db: Db, schema: string = DEFAULT_SCHEMA): AuditStore {
  const s = quoteSchema(schema);
  const ready = () => ensureSchema(db, schema);

  async function insertEvents(q: Queryable, events: AuditEvent[]): Promise<RecordedTally> {
    const tally = new Map<string, RecordedTally[number]>();
    for (let i = 0; i < events.length; i += BATCH) {
      const chunk = events.slice(i, i + BATCH);
      const { rows } = await q.query<{ sink: string; action: EventAction }>(
        `INSERT INTO ${s}.record_events (run_id, page, wid, worker_id, sink, action, content_hash, as_of_entry)
         SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
         ON CONFLICT (run_id, page, sink, wid, action, content_hash) DO NOTHING
         RETURNING sink, action`,
        [
          chunk.map((e) => e.runId),
          chunk.map((e) => e.page),
          chunk.map((e) => e.wid ?? ''),
          chunk.map((e) => e.workerId ?? null),
          chunk.map((e) => e.sink ?? ''),
          chunk.map((e) => e.action),
          chunk.map((e) => e.hash ?? ''),
          chunk.map((e) => e.asOfEntry ?? null),
        ],
      );
      for (const r of rows) {
        const key = `${r.sink}\u0000${r.action}`;
        const t = tally.get(key);
        if (t) t.count++;
        else tally.set(key, { sink: r.sink, action: r.action, count: 1 });
      }
    }
    return [...tally.values()];
  }

  return {
    async init() {
      await ready();
    },

    async recordRunStart(run) {
      await ready();
      // A continued-as-new or re-attached run calls this again: keep the first started_at.
      await db.query(
        `INSERT INTO ${s}.runs (run_id, mode, tenant, scope, as_of_entry, as_of_effective, status, started_at)
         VALUES ($1, $2, $3, $4::jsonb, $5::timestamptz, left($6, 10)::date, $7, COALESCE($8::timestamptz, now()))
         ON CONFLICT (run_id) DO UPDATE SET mode = excluded.mode, tenant = excluded.tenant, scope = excluded.scope,
           as_of_entry = COALESCE(excluded.as_of_entry, runs.as_of_entry),
           as_of_effective = COALESCE(excluded.as_of_effective, runs.as_of_effective),
           status = excluded.status, ended_at = NULL`,
        [
          run.runId,
          run.mode,
          run.tenant,
          JSON.stringify(run.scope ?? {}),
          run.asOfEntry ?? null,
          run.asOfEffective ?? null,
          run.status ?? 'RUNNING',
          run.startedAt?.toISOString() ?? null,
        ],
      );
    },

    async recordRunEnd(run) {
      await ready();
      // Upsert: the end of a run whose start was never recorded (audit db was down) still lands.
      await db.query(
        `INSERT INTO ${s}.runs (run_id, mode, tenant, status, ended_at, summary)
         VALUES ($1, 'unknown', 'unknown', $2, COALESCE($3::timestamptz, now()), $4::jsonb)
         ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, ended_at = excluded.ended_at,
           summary = COALESCE(excluded.summary, runs.summary)`,
        [
          run.runId,
          run.status,
          run.endedAt?.toISOString() ?? null,
          run.summary ? JSON.stringify(run.summary) : null,
        ],
      );
    },

    async getRun(runId) {
      await ready();
      const { rows } = await db.query(`SELECT ${RUN_COLUMNS} FROM ${s}.runs WHERE run_id = $1`, [runId]);
      return rows[0] ? toRun(rows[0]) : undefined;
    },

    async listRuns(options = {}) {
      await ready();
      const { rows } = await db.query(
        `SELECT ${RUN_COLUMNS} FROM ${s}.runs
         WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR tenant = $2)
         ORDER BY started_at DESC LIMIT $3`,
        [options.status ?? null, options.tenant ?? null, options.limit ?? 50],
      );
      return rows.map(toRun);
    },

    async recordPage(p) {
      await ready();
      await db.query(
        `INSERT INTO ${s}.pages AS p (run_id, page, status, as_of, total_results, total_pages, rows, dead_letters,
           checksum, error, attempts, started_at, ended_at, split)
         VALUES ($1, $2, $3, $4::timestamptz, $5, $6, $7, $8, $9, $10, GREATEST(COALESCE($12::int, 1), 1),
           COALESCE($14::timestamptz, now()), $15::timestamptz, $16::jsonb)
         ON CONFLICT (run_id, page) DO UPDATE SET
           status = excluded.status,
           as_of = COALESCE(excluded.as_of, p.as_of),
           total_results = COALESCE(excluded.total_results, p.total_results),
           total_pages = COALESCE(excluded.total_pages, p.total_pages),
           rows = COALESCE(excluded.rows, p.rows),
           dead_letters = COALESCE(excluded.dead_letters, p.dead_letters),
           checksum = COALESCE(excluded.checksum, p.checksum),
           error = CASE WHEN $11::boolean THEN excluded.error ELSE p.error END,
           attempts = GREATEST(p.attempts + CASE WHEN $13::boolean THEN 1 ELSE 0 END, COALESCE($12::int, 0)),
           ended_at = COALESCE(excluded.ended_at, p.ended_at),
           split = COALESCE(excluded.split, p.split)`,
        [
          p.runId,
          p.page,
          p.status,
          p.asOf ?? null,
          p.totalResults ?? null,
          p.totalPages ?? null,
          p.rows ?? null,
          p.deadLetters ?? null,
          p.checksum ?? null,
          // Upstream text: bounded here too, whichever path it came by.
          p.error == null ? null : boundMessage(p.error),
          p.error !== undefined,
          p.attempt ?? null,
          p.bumpAttempts ?? false,
          p.startedAt?.toISOString() ?? null,
          p.endedAt?.toISOString() ?? null,
          // Upstream text again (the reason): bounded like an error.
          p.split ? JSON.stringify({ ...p.split, reason: boundMessage(p.split.reason) }) : null,
        ],
      );
    },

    async runPages(runId) {
      await ready();
      const { rows } = await db.query(`SELECT * FROM ${s}.pages WHERE run_id = $1 ORDER BY page`, [runId]);
      return rows.map(toPage);
    },

    async recordEvents(events) {
      if (events.length === 0) return [];
      await ready();
      return insertEvents(db, events);
    },

    /**
     * The content hash each worker last had when it reached a sink, for sinks that cannot look
     * their own rows up cheaply (JSONL). Removal events carry no content and do not count.
     */
    async lastDeliveredHashes(sink, wids) {
      if (wids.length === 0) return new Map();
      await ready();
      const { rows } = await db.query<{ wid: string; content_hash: string }>(
        `SELECT DISTINCT ON (wid) wid, content_hash FROM ${s}.record_events
         WHERE sink = $1 AND wid = ANY($2::text[]) AND action IN ('inserted', 'updated', 'unchanged')
         ORDER BY wid, at DESC, id DESC`,
        [sink, wids],
      );
      return new Map(rows.map((r) => [r.wid, r.content_hash]));
    },

    /** The newest snapshot each worker reached a sink from (delivered or confirmed unchanged). */
    async newestSnapshots(sink, wids) {
      if (wids.length === 0) return new Map();
      await ready();
      const { rows } = await db.query<{ wid: string; as_of: Date; content_hash: string }>(
        `SELECT DISTINCT ON (wid) wid, as_of_entry AS as_of, content_hash FROM ${s}.record_events
         WHERE sink = $1 AND wid = ANY($2::text[]) AND action IN ('inserted', 'updated', 'unchanged')
           AND as_of_entry IS NOT NULL
         ORDER BY wid, as_of_entry DESC, id DESC`,
        [sink, wids],
      );
      return new Map(
        rows.map((r) => [r.wid, { asOfEntry: new Date(r.as_of).toISOString(), hash: r.content_hash }]),
      );
    },

    async runEventCounts(runId) {
      await ready();
      const { rows } = await db.query<{ sink: string; action: string; count: number }>(
        `SELECT sink, action, count(*)::int AS count FROM ${s}.record_events WHERE run_id = $1
         GROUP BY sink, action ORDER BY sink, action`,
        [runId],
      );
      return rows.map((r) => ({ ...r, count: num(r.count) }));
    },

    async workerHistory(id, options = {}) {
      await ready();
      const { rows } = await db.query(
        `SELECT e.run_id, e.page, e.wid, e.worker_id, e.sink, e.action, e.content_hash, e.at,
                r.mode AS run_mode, r.as_of_entry AS run_as_of_entry
         FROM ${s}.record_events e LEFT JOIN ${s}.runs r ON r.run_id = e.run_id
         WHERE e.wid = $1 OR e.worker_id = $1
         ORDER BY e.at, e.id LIMIT $2`,
        [id, options.limit ?? 1000],
      );
      return rows.map(
        (r): WorkerEvent => ({
          runId: r.run_id as string,
          page: num(r.page),
          wid: r.wid as string,
          workerId: (r.worker_id as string | null) ?? null,
          sink: r.sink as string,
          action: r.action as WorkerEvent['action'],
          hash: r.content_hash as string,
          at: new Date(r.at as string),
          runMode: (r.run_mode as string | null) ?? null,
          runAsOfEntry: dateOrNull(r.run_as_of_entry),
        }),
      );
    },

    async addDeadLetters(runId, page, list) {
      if (list.length === 0) return 0;
      await ready();
      const hashes = list.map(fragmentHash);
      return db.transaction(async (tx) => {
        const { rowCount } = await tx.query(
          `INSERT INTO ${s}.dead_letters (run_id, page, wid, worker_id, reason, fragment, fragment_hash)
           SELECT $1, $2, u.wid, u.worker_id, u.reason, u.fragment, u.fragment_hash
           FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
             AS u(wid, worker_id, reason, fragment, fragment_hash)
           ON CONFLICT (run_id, page, fragment_hash) DO NOTHING`,
          [
            runId,
            page,
            list.map((d) => d.wid ?? null),
            list.map((d) => d.workerId ?? null),
            list.map((d) => d.reason),
            list.map((d) => d.fragment),
            hashes,
          ],
        );
        await insertEvents(
          tx,
          list.map((d, i) => ({
            runId,
            page,
            wid: d.wid,
            workerId: d.workerId,
            action: 'dead-lettered' as const,
            hash: hashes[i],
          })),
        );
        return rowCount;
      });
    },

    async addSinkDeadLetters(sink, staged, auditRunId, list) {
      if (list.length === 0) return 0;
      await ready();
      const hashes = list.map((d) => sinkLetterHash(sink, d.wid));
      return db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO ${s}.dead_letters (run_id, page, wid, worker_id, reason, fragment, fragment_hash, sink, code)
           SELECT $1, $2, u.wid, u.worker_id, u.reason, '', u.fragment_hash, $3, u.code
           FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
             AS u(wid, worker_id, reason, code, fragment_hash)
           ON CONFLICT (run_id, page, fragment_hash) DO UPDATE SET reason = excluded.reason,
             code = excluded.code, released_at = NULL`,
          [
            staged.runId,
            staged.page,
            sink,
            list.map((d) => d.wid),
            list.map((d) => d.workerId ?? null),
            // The target's message is upstream text: bounded like every other.
            list.map((d) => boundMessage(d.message)),
            list.map((d) => d.code),
            hashes,
          ],
        );
        const recorded = await insertEvents(
          tx,
          list.map((d, i) => ({
            runId: auditRunId,
            page: staged.page,
            wid: d.wid,
            workerId: d.workerId,
            sink,
            action: 'dead-lettered' as const,
            hash: hashes[i],
          })),
        );
        return tallied(recorded);
      });
    },

    async listDeadLetters(options = {}) {
      await ready();
      const { rows } = await db.query(
        `SELECT ${DL_COLUMNS} FROM ${s}.dead_letters
         WHERE ($1::text IS NULL OR run_id = $1)
           AND ($2::boolean IS NULL OR (released_at IS NOT NULL) = $2)
           AND ($4::text IS NULL OR COALESCE(sink, '') = $4)
         ORDER BY id LIMIT $3`,
        [options.runId ?? null, options.released ?? null, options.limit ?? 1000, options.sink ?? null],
      );
      return rows.map(toDeadLetter);
    },

    async closeSinkDeadLetters(sink, wids) {
      if (wids.length === 0) return 0;
      await ready();
      const { rowCount } = await db.query(
        `UPDATE ${s}.dead_letters SET released_at = now()
         WHERE sink = $1 AND wid = ANY($2::text[]) AND released_at IS NULL`,
        [sink, wids],
      );
      return rowCount;
    },

    async absentFromRun(sink, runId) {
      await ready();
      const { rows } = await db.query<{ wid: string; worker_id: string | null }>(
        `WITH last AS (
           SELECT DISTINCT ON (wid) wid, worker_id, action FROM ${s}.record_events
           WHERE sink = $1 AND wid <> '' ORDER BY wid, at DESC, id DESC)
         SELECT l.wid, l.worker_id FROM last l
         WHERE l.action IN ('inserted', 'updated', 'unchanged')
           AND NOT EXISTS (SELECT 1 FROM ${s}.record_events e WHERE e.sink = $1 AND e.run_id = $2 AND e.wid = l.wid)
           AND NOT EXISTS (SELECT 1 FROM ${s}.held_actions h WHERE h.sink = $1 AND h.run_id = $2 AND h.wid = l.wid)
         ORDER BY l.wid`,
        [sink, runId],
      );
      return rows.map((r) => ({ wid: r.wid, workerId: r.worker_id ?? undefined }));
    },

    async getDeadLetter(id) {
      await ready();
      const { rows } = await db.query(`SELECT ${DL_COLUMNS}, fragment FROM ${s}.dead_letters WHERE id = $1`, [
        id,
      ]);
      return rows[0] ? { ...toDeadLetter(rows[0]), fragment: rows[0].fragment as string } : undefined;
    },

    async markReleased(ids) {
      if (ids.length === 0) return 0;
      await ready();
      const { rowCount } = await db.query(
        `UPDATE ${s}.dead_letters SET released_at = now() WHERE id = ANY($1::bigint[]) AND released_at IS NULL`,
        [ids],
      );
      return rowCount;
    },

    async getWatermark(tenant, scopeKey) {
      await ready();
      const { rows } = await db.query(
        `SELECT tenant, scope_key, updated_through, run_id, updated_at FROM ${s}.watermarks
         WHERE tenant = $1 AND scope_key = $2`,
        [tenant, scopeKey],
      );
      const r = rows[0];
      if (!r) return undefined;
      return {
        tenant: r.tenant as string,
        scopeKey: r.scope_key as string,
        updatedThrough: new Date(r.updated_through as string),
        runId: r.run_id as string,
        updatedAt: new Date(r.updated_at as string),
      };
    },

    async resetWatermark(tenant, scopeKey, to, by) {
      const was = await this.getWatermark(tenant, scopeKey);
      if (to === undefined) {
        await db.query(`DELETE FROM ${s}.watermarks WHERE tenant = $1 AND scope_key = $2`, [
          tenant,
          scopeKey,
        ]);
      } else {
        await db.query(
          `INSERT INTO ${s}.watermarks AS w (tenant, scope_key, updated_through, run_id) VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant, scope_key) DO UPDATE SET updated_through = excluded.updated_through,
             run_id = excluded.run_id, updated_at = now()`,
          [tenant, scopeKey, to, by],
        );
      }
      return was;
    },

    async setWatermark(tenant, scopeKey, updatedThrough, runId) {
      await ready();
      const through = updatedThrough instanceof Date ? updatedThrough.toISOString() : updatedThrough;
      await db.query(
        `INSERT INTO ${s}.watermarks AS w (tenant, scope_key, updated_through, run_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant, scope_key) DO UPDATE SET updated_through = excluded.updated_through,
           run_id = excluded.run_id, updated_at = now()
         WHERE w.updated_through <= excluded.updated_through`,
        [tenant, scopeKey, through, runId],
      );
    },
  };
}
