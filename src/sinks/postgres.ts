import type { Db, Queryable } from '../db/types';
import { DEFAULT_SCHEMA, quoteSchema } from '../db/ident';
import { ensureSchema } from '../db/migrate';
import { MAPPING_VERSION, type NormalizedWorker } from '../domain/worker-record';
import { contentHash } from './hash';
import { mergeUnfetched, unfetchedSections } from './merge';
import type {
  DeliveryContext,
  DeliveryResult,
  FinalizeContext,
  FinalizeResult,
  RecordAction,
  RecordOutcome,
  Sink,
} from './types';
import { newDeliveryResult } from './types';
import { firstMissing } from '../domain/page';
import { ACTION_CODE, CODE_ACTION } from './ledger-codes';
import { WORKER_COLUMN_TYPES, WORKER_COLUMNS, workerColumns } from './worker-row';

export interface PostgresSinkOptions {
  name: string;
  db: Db;
  schema?: string;
  /** Rows per INSERT statement; a 999-worker page is one statement by default. */
  chunkSize?: number;
  /** Close the db when the sink closes (when the sink owns it). */
  ownsDb?: boolean;
}

function upsertSql(s: string): string {
  const n = WORKER_COLUMNS.length;
  const arrays = [...WORKER_COLUMNS, 'record', 'content_hash'].map((_, i) => `$${i + 1}::text[]`);
  const cols = WORKER_COLUMNS.map((c) =>
    WORKER_COLUMN_TYPES[c] === 'text' ? `u.${c}` : `u.${c}::${WORKER_COLUMN_TYPES[c]}`,
  );
  const updates = [
    ...WORKER_COLUMNS.slice(1),
    'record',
    'content_hash',
    'mapping_version',
    'as_of_entry',
    'source_run',
    'source_page',
  ]
    .map((c) => `${c} = excluded.${c}`)
    .join(', ');
  return `INSERT INTO ${s}.workers AS w (${WORKER_COLUMNS.join(', ')}, record, content_hash, mapping_version, as_of_entry, source_run, source_page)
    SELECT ${cols.join(', ')}, u.record::jsonb, u.content_hash, $${n + 3}::int, $${n + 4}::timestamptz, $${n + 5}::text, $${n + 6}::int
    FROM unnest(${arrays.join(', ')}) AS u(${WORKER_COLUMNS.join(', ')}, record, content_hash)
    ORDER BY u.wid
    ON CONFLICT (wid) DO UPDATE SET ${updates}, updated_at = now(), removed_at = NULL
    WHERE (w.content_hash IS DISTINCT FROM excluded.content_hash OR w.removed_at IS NOT NULL)
      AND w.as_of_entry <= excluded.as_of_entry
    RETURNING w.wid, (w.xmax = 0) AS inserted`;
}

/**
 * The newest-snapshot rule for unchanged records: a record whose stored hash equals the delivered
 * one is confirmed as of the delivering snapshot, so its row's marker moves forward (never back).
 * A later delivery from an older snapshot that overlapped this one then finds a newer marker and
 * cannot replace the row, whatever its hash says. Confirming first, by WID and hash only, keeps the
 * skip cheap: the unchanged rows' columns are never sent, and only the unindexed marker changes
 * (a HOT update where the page has room). The hash is compared on the row version the update
 * locks, so a concurrent change of the row is never confirmed by mistake.
 */
function confirmSql(s: string): string {
  return `UPDATE ${s}.workers AS w SET as_of_entry = $3::timestamptz
    FROM unnest($1::text[], $2::text[]) AS u(wid, content_hash)
    WHERE w.wid = u.wid AND w.content_hash = u.content_hash AND w.removed_at IS NULL
      AND w.as_of_entry < $3::timestamptz
    RETURNING w.wid`;
}

/**
 * PostgreSQL sink: batched upserts into <schema>.workers keyed by WID, skipping rows whose content
 * hash is unchanged, with a per-page delivery ledger in the same transaction. The workers table is
 * shared by every postgres sink on the same schema; only the ledger is per sink.
 */
export function createPostgresSink(options: PostgresSinkOptions): Sink {
  const { name, db } = options;
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const s = quoteSchema(schema);
  const chunkSize = options.chunkSize ?? 1000;
  const upsert = upsertSql(s);
  const confirm = confirmSql(s);

  async function upsertChunk(
    tx: Queryable,
    ctx: DeliveryContext,
    all: { r: NormalizedWorker; hash: string }[],
  ) {
    const confirmed = await tx.query<{ wid: string }>(confirm, [
      all.map(({ r }) => r.wid),
      all.map(({ hash }) => hash),
      ctx.asOfEntry,
    ]);
    const done = new Set(confirmed.rows.map((c) => c.wid));
    // The rest: new, changed, removed, or already confirmed by this or a newer snapshot.
    const rows = done.size ? all.filter(({ r }) => !done.has(r.wid)) : all;
    if (rows.length === 0) return [];
    const columns: (string | null)[][] = Array.from({ length: WORKER_COLUMNS.length + 2 }, () => []);
    for (const { r, hash } of rows) {
      const values = workerColumns(r);
      values.push(JSON.stringify(r), hash);
      values.forEach((v, i) => {
        columns[i].push(v);
      });
    }
    const params = [...columns, MAPPING_VERSION, ctx.asOfEntry, ctx.key.runId, ctx.key.page];
    const { rows: written } = await tx.query<{ wid: string; inserted: boolean }>(upsert, params);
    return written;
  }

  async function deliver(
    tx: Queryable,
    ctx: DeliveryContext,
    fetched: NormalizedWorker[],
  ): Promise<DeliveryResult> {
    const { runId, page } = ctx.key;
    // Ledger first: a concurrent attempt of the same page blocks on this row until we commit,
    // then finds it and does nothing.
    const claimed = await tx.query(
      `INSERT INTO ${s}.sink_ledger (sink, run_id, page, as_of_entry) VALUES ($1, $2, $3, $4)
       ON CONFLICT (sink, run_id, page) DO NOTHING RETURNING page`,
      [name, runId, page, ctx.asOfEntry],
    );
    const records = await withStoredSections(tx, ctx, fetched);
    const hashes = records.map((r) => contentHash(r));
    if (claimed.rowCount === 0) return previousDelivery(tx, ctx, records, hashes);

    // Last occurrence of a WID wins; an earlier duplicate in the same page counts as unchanged.
    const last = new Map<string, number>();
    records.forEach((r, i) => {
      last.set(r.wid, i);
    });
    const unique = [...last.values()].sort((a, b) => (records[a].wid < records[b].wid ? -1 : 1));

    const newer = await tx.query(`SELECT run_id FROM ${s}.workers_snapshot WHERE as_of_entry > $1`, [
      ctx.asOfEntry,
    ]);
    const actions = new Map<string, RecordAction>();
    // A page older than the last confirmed full snapshot would only bring back stale data.
    if (newer.rowCount === 0) {
      for (let i = 0; i < unique.length; i += chunkSize) {
        const chunk = unique.slice(i, i + chunkSize).map((j) => ({ r: records[j], hash: hashes[j] }));
        for (const w of await upsertChunk(tx, ctx, chunk))
          actions.set(w.wid, w.inserted ? 'inserted' : 'updated');
        ctx.heartbeat?.();
      }
    }

    const result = newDeliveryResult();
    records.forEach((r, i) => {
      const action = last.get(r.wid) === i ? (actions.get(r.wid) ?? 'unchanged') : 'unchanged';
      result[action]++;
      result.outcomes.push({ wid: r.wid, action, hash: hashes[i] });
    });
    await tx.query(
      `UPDATE ${s}.sink_ledger SET inserted = $4, updated = $5, unchanged = $6, wids = $7::text[], actions = $8, delivered_at = now()
       WHERE sink = $1 AND run_id = $2 AND page = $3`,
      [
        name,
        runId,
        page,
        result.inserted,
        result.updated,
        result.unchanged,
        result.outcomes.map((o) => o.wid),
        result.outcomes.map((o) => ACTION_CODE[o.action]).join(''),
      ],
    );
    return result;
  }

  /**
   * A run with reduced response groups: each record gets the sections it did not fetch from the
   * stored row, so the upsert never replaces them with nothing, and the content hash is over the
   * merged record (what the row will hold).
   */
  async function withStoredSections(
    tx: Queryable,
    ctx: DeliveryContext,
    records: NormalizedWorker[],
  ): Promise<NormalizedWorker[]> {
    const unfetched = unfetchedSections(ctx.responseGroups);
    if (unfetched.length === 0 || records.length === 0) return records;
    const { rows } = await tx.query<{ wid: string; record: NormalizedWorker | string }>(
      `SELECT wid, record FROM ${s}.workers WHERE wid = ANY($1::text[]) ORDER BY wid FOR UPDATE`,
      [[...new Set(records.map((r) => r.wid))]],
    );
    const stored = new Map(
      rows.map((r) => [
        r.wid,
        (typeof r.record === 'string' ? JSON.parse(r.record) : r.record) as NormalizedWorker,
      ]),
    );
    return records.map((r) => mergeUnfetched(r, stored.get(r.wid), unfetched));
  }

  async function previousDelivery(
    tx: Queryable,
    ctx: DeliveryContext,
    records: NormalizedWorker[],
    hashes: string[],
  ): Promise<DeliveryResult> {
    const { rows } = await tx.query<{ wids: string[]; actions: string }>(
      `SELECT wids, actions FROM ${s}.sink_ledger WHERE sink = $1 AND run_id = $2 AND page = $3`,
      [name, ctx.key.runId, ctx.key.page],
    );
    const hashOf = new Map(records.map((r, i) => [r.wid, hashes[i]]));
    const prev = rows[0];
    const previousOutcomes: RecordOutcome[] = (prev?.wids ?? []).map((wid, i) => ({
      wid,
      action: CODE_ACTION[prev.actions[i]] ?? 'unchanged',
      hash: hashOf.get(wid) ?? '',
    }));
    return { alreadyDelivered: true, inserted: 0, updated: 0, unchanged: 0, outcomes: [], previousOutcomes };
  }

  async function finalize(ctx: FinalizeContext): Promise<FinalizeResult> {
    if (!ctx.complete || ctx.mode !== 'full') return { removed: 0, removedWids: [] };
    return db.transaction(async (tx) => {
      const { rows } = await tx.query<{ page: number }>(
        `SELECT page FROM ${s}.sink_ledger WHERE sink = $1 AND run_id = $2`,
        [name, ctx.runId],
      );
      const delivered = new Set(rows.map((r) => Number(r.page)));
      const missing = await firstMissing(ctx.pages, (p) => delivered.has(p));
      if (missing.length > 0) {
        throw new Error(
          `sink ${name}: cannot mark removed workers for run ${ctx.runId}, pages ${missing.join(', ')} ` +
            'were never delivered to it; deliver them first (wdsync replay) or finalize with complete=false',
        );
      }
      // The planner underestimates unnest() and picks a nested-loop anti-join: quadratic over the
      // table (minutes at 20k rows, hours at 1M). A hash anti-join is linear.
      await tx.query('SET LOCAL enable_nestloop = off');
      await tx.query(`SET LOCAL work_mem = '256MB'`);
      // Absent = not in any page this sink received for the run, and not written by a newer snapshot.
      const removed = await tx.query<{ wid: string }>(
        `WITH seen AS (SELECT DISTINCT unnest(wids) AS wid FROM ${s}.sink_ledger WHERE sink = $1 AND run_id = $2)
         UPDATE ${s}.workers w SET removed_at = now(), updated_at = now()
         WHERE w.removed_at IS NULL AND w.as_of_entry < $3::timestamptz
           AND NOT EXISTS (SELECT 1 FROM seen WHERE seen.wid = w.wid)
         RETURNING w.wid`,
        [name, ctx.runId, ctx.asOfEntry],
      );
      await tx.query(
        `INSERT INTO ${s}.workers_snapshot (singleton, as_of_entry, run_id) VALUES (true, $1, $2)
         ON CONFLICT (singleton) DO UPDATE SET as_of_entry = excluded.as_of_entry, run_id = excluded.run_id, confirmed_at = now()
         WHERE workers_snapshot.as_of_entry < excluded.as_of_entry`,
        [ctx.asOfEntry, ctx.runId],
      );
      return { removed: removed.rows.length, removedWids: removed.rows.map((r) => r.wid) };
    });
  }

  async function resetMarkers(limit: string) {
    return db.transaction(async (tx) => {
      const rows = await tx.query(
        `UPDATE ${s}.workers SET as_of_entry = $1::timestamptz WHERE as_of_entry > $1::timestamptz`,
        [limit],
      );
      const snap = await tx.query<{ was: Date | string }>(
        `UPDATE ${s}.workers_snapshot w SET as_of_entry = $1::timestamptz
         FROM ${s}.workers_snapshot old WHERE w.singleton AND old.singleton AND w.as_of_entry > $1::timestamptz
         RETURNING old.as_of_entry AS was`,
        [limit],
      );
      const was = snap.rows[0]?.was;
      return {
        records: rows.rowCount,
        snapshotWas: was === undefined ? undefined : new Date(was).toISOString(),
      };
    });
  }

  return {
    name,
    type: 'postgres',
    capabilities: {
      comparesHashes: true,
      keepsUnfetchedSections: true,
      marksRemovals: true,
      ledgerOutlivesRun: true,
      transactional: true,
      batchSize: chunkSize,
    },
    async init() {
      await ensureSchema(db, schema);
    },
    async deliverPage(ctx, records) {
      await ensureSchema(db, schema);
      return db.transaction((tx) => deliver(tx, ctx, records));
    },
    async finalizeRun(ctx) {
      await ensureSchema(db, schema);
      return finalize(ctx);
    },
    async resetMarkers(limit) {
      await ensureSchema(db, schema);
      return resetMarkers(limit);
    },
    async close() {
      if (options.ownsDb) await db.close();
    },
  };
}
