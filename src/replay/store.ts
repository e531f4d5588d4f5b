import { DEFAULT_SCHEMA, quoteSchema } from '../db/ident';
import { ensureSchema } from '../db/migrate';
import type { Db } from '../db/types';
import type { PageRequestSpec } from '../workflows/types';

/** Where a worker id was seen in a run: from its record events or its dead letters. */
export interface WorkerPage {
  page: number;
  wid: string | null;
  workerId: string | null;
}

/**
 * The queries replay and dead-letter release need beyond the audit store: the spec each run asked
 * Workday for, which pages of a run hold given workers, and a dead letter's new reason.
 */
export interface RecoveryStore {
  /** Idempotent: a run's spec never changes, the first one recorded is kept. */
  recordRunSpec(spec: PageRequestSpec): Promise<void>;
  getRunSpec(runId: string): Promise<PageRequestSpec | undefined>;
  /** Pages of `runId` holding any of `ids` (WIDs, Employee_IDs or Contingent_Worker_IDs). */
  pagesOfWorkers(runId: string, ids: string[]): Promise<WorkerPage[]>;
  /** Re-validation failed again: keep the letter, with the reason the current mapping gives. */
  updateDeadLetterReason(id: number, reason: string): Promise<void>;
  /** Replays of a run (runs named `<runId>/replay-…`), oldest first. */
  replaysOf(runId: string): Promise<
    {
      runId: string;
      status: string;
      startedAt: Date;
      endedAt: Date | null;
      summary: Record<string, unknown> | null;
    }[]
  >;
}

export function createRecoveryStore(db: Db, schema: string = DEFAULT_SCHEMA): RecoveryStore {
  const s = quoteSchema(schema);
  const ready = () => ensureSchema(db, schema);
  return {
    async recordRunSpec(spec) {
      await ready();
      await db.query(
        `INSERT INTO ${s}.run_specs (run_id, tenant, page_size, spec) VALUES ($1, $2, $3, $4::jsonb)
         ON CONFLICT (run_id) DO NOTHING`,
        [spec.runId, spec.tenant, spec.pageSize, JSON.stringify(spec)],
      );
    },

    async getRunSpec(runId) {
      await ready();
      const { rows } = await db.query<{ spec: PageRequestSpec }>(
        `SELECT spec FROM ${s}.run_specs WHERE run_id = $1`,
        [runId],
      );
      return rows[0]?.spec;
    },

    async pagesOfWorkers(runId, ids) {
      if (ids.length === 0) return [];
      await ready();
      const lower = ids.map((id) => id.toLowerCase());
      const { rows } = await db.query<{ page: number; wid: string | null; worker_id: string | null }>(
        `SELECT DISTINCT page, NULLIF(wid, '') AS wid, worker_id FROM ${s}.record_events
         WHERE run_id = $1 AND page > 0 AND (wid = ANY($2::text[]) OR worker_id = ANY($3::text[]))
         UNION
         SELECT DISTINCT page, wid, worker_id FROM ${s}.dead_letters
         WHERE run_id = $1 AND (wid = ANY($2::text[]) OR worker_id = ANY($3::text[]))
         ORDER BY page`,
        [runId, lower, ids],
      );
      return rows.map((r) => ({ page: Number(r.page), wid: r.wid, workerId: r.worker_id }));
    },

    async updateDeadLetterReason(id, reason) {
      await ready();
      await db.query(`UPDATE ${s}.dead_letters SET reason = $2 WHERE id = $1`, [id, reason]);
    },

    async replaysOf(runId) {
      await ready();
      const { rows } = await db.query<{
        run_id: string;
        status: string;
        started_at: string;
        ended_at: string | null;
        summary: Record<string, unknown> | null;
      }>(
        `SELECT run_id, status, started_at, ended_at, summary FROM ${s}.runs
         WHERE mode = 'replay' AND left(run_id, length($1) + 8) = $1 || '/replay-' ORDER BY started_at`,
        [runId],
      );
      return rows.map((r) => ({
        runId: r.run_id,
        status: r.status,
        startedAt: new Date(r.started_at),
        endedAt: r.ended_at ? new Date(r.ended_at) : null,
        summary: r.summary,
      }));
    },
  };
}
