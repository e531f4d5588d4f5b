import type { Db } from '../db/types';
import { DEFAULT_SCHEMA, quoteSchema } from '../db/ident';
import { ensureSchema } from '../db/migrate';
import type { NormalizedWorker } from '../domain/worker-record';
import type { Cipher } from '../crypto/cipher';
import type { PageKey } from '../domain/page';
import { gunzipBuffer, packJson, packRecords, unpackJson } from './codec';
import { pageSealing, type StagedPart } from './sealing';
import { type StagedRunInfo, type StagingStore, StagingMissingError } from './types';
import type { DeadLetter } from '../domain/dead-letter';

export interface PgStagingOptions {
  db: Db;
  schema?: string;
  /** Close the db when the store closes (when the store owns it). */
  ownsDb?: boolean;
  /** Encrypts staged pages (AES-256-GCM); without it pages are stored as gzip only. */
  cipher?: Cipher;
}

/**
 * PostgreSQL staging, for workers on several hosts: one row per (run, page) in <schema>.staged_pages,
 * payloads gzip'd in bytea columns. A put replaces the row in one statement, so it is atomic.
 */
export function createPgStaging(options: PgStagingOptions): StagingStore {
  const { db } = options;
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const s = quoteSchema(schema);
  const ready = () => ensureSchema(db, schema);
  const sealing = pageSealing(options.cipher);

  async function column(key: PageKey, col: StagedPart): Promise<Buffer> {
    await ready();
    const { rows } = await db.query<{ data: Uint8Array }>(
      `SELECT ${col} AS data FROM ${s}.staged_pages WHERE run_id = $1 AND page = $2`,
      [key.runId, key.page],
    );
    if (rows.length === 0) throw new StagingMissingError(key);
    return sealing.open(key, col, rows[0]!.data);
  }

  return {
    kind: 'postgres',
    async put(key, page) {
      await ready();
      const [packed, packedDeadLetters] = await Promise.all([
        packRecords(page.records),
        packJson(page.deadLetters),
      ]);
      const packedRecords = packed.gzip;
      const raw = sealing.seal(key, 'raw', page.rawGzip);
      const records = sealing.seal(key, 'records', packedRecords);
      const deadLetters = sealing.seal(key, 'dead_letters', packedDeadLetters);
      const bytes = raw.length + records.length + deadLetters.length;
      await db.query(
        `INSERT INTO ${s}.staged_pages (run_id, page, raw, records, dead_letters, record_count, dead_letter_count, bytes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (run_id, page) DO UPDATE SET raw = excluded.raw, records = excluded.records,
           dead_letters = excluded.dead_letters, record_count = excluded.record_count,
           dead_letter_count = excluded.dead_letter_count, bytes = excluded.bytes, updated_at = now()`,
        [key.runId, key.page, raw, records, deadLetters, packed.count, page.deadLetters.length, bytes],
      );
      return { ref: `pg:${schema}.staged_pages/${encodeURIComponent(key.runId)}/${key.page}`, bytes };
    },
    async has(key) {
      await ready();
      const { rows } = await db.query(`SELECT 1 FROM ${s}.staged_pages WHERE run_id = $1 AND page = $2`, [
        key.runId,
        key.page,
      ]);
      return rows.length > 0;
    },
    async getRecords(key) {
      return unpackJson<NormalizedWorker[]>(await column(key, 'records'));
    },
    async getDeadLetters(key) {
      return unpackJson<DeadLetter[]>(await column(key, 'dead_letters'));
    },
    async getRaw(key) {
      return gunzipBuffer(await column(key, 'raw'));
    },
    async listRuns() {
      await ready();
      const { rows } = await db.query<{
        run_id: string;
        pages: number;
        bytes: string | number;
        updated_at: Date;
      }>(
        `SELECT run_id, count(*)::int AS pages, sum(bytes)::float8 AS bytes, max(updated_at) AS updated_at
         FROM ${s}.staged_pages GROUP BY run_id ORDER BY max(updated_at)`,
      );
      return rows.map(
        (r): StagedRunInfo => ({
          runId: r.run_id,
          pages: Number(r.pages),
          bytes: Number(r.bytes),
          updatedAt: new Date(r.updated_at),
        }),
      );
    },
    async deleteRun(runId) {
      await ready();
      const { rowCount } = await db.query(`DELETE FROM ${s}.staged_pages WHERE run_id = $1`, [runId]);
      return rowCount;
    },
    async close() {
      if (options.ownsDb) await db.close();
    },
  };
}
