import type { HeldActionsPort, StoredHeldAction } from '../activities/ports';
import { DEFAULT_SCHEMA, quoteSchema } from '../db/ident';
import { ensureSchema } from '../db/migrate';
import type { Db } from '../db/types';
import { boundMessage } from '../errors/bound';
import type { DestructiveAction, LifecycleEvent } from '../sinks/types';

/**
 * The circuit breaker's table (<schema>.held_actions): each run's deactivations and deletions per
 * sink, held until the run decides on them, then marked applied, failed or rejected (with who).
 * Only WIDs, worker ids, hashes and codes: the records themselves stay in staging.
 */
export function createHeldActionsStore(db: Db, schema: string = DEFAULT_SCHEMA): HeldActionsPort {
  const s = quoteSchema(schema);
  const ready = () => ensureSchema(db, schema);
  return {
    async hold(sink, runId, page, actions) {
      if (actions.length === 0) return;
      await ready();
      await db.query(
        `INSERT INTO ${s}.held_actions (sink, run_id, page, wid, worker_id, event, action, content_hash)
         SELECT $1, $2, $3, u.wid, u.worker_id, u.event, u.action, u.hash
         FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) AS u(wid, worker_id, event, action, hash)
         ON CONFLICT (sink, run_id, wid, event) DO NOTHING`,
        [
          sink,
          runId,
          page,
          actions.map((a) => a.wid),
          actions.map((a) => a.workerId ?? null),
          actions.map((a) => a.event),
          actions.map((a) => a.action),
          actions.map((a) => a.hash ?? null),
        ],
      );
    },

    async counts(sink, runId) {
      await ready();
      const { rows } = await db.query<{ action: DestructiveAction; n: string }>(
        `SELECT action, count(*)::text AS n FROM ${s}.held_actions
         WHERE sink = $1 AND run_id = $2 AND status = 'held' GROUP BY action`,
        [sink, runId],
      );
      const out = { deactivate: 0, delete: 0 };
      for (const r of rows) out[r.action] = Number(r.n);
      return out;
    },

    async list(sink, runId, afterId, limit) {
      await ready();
      const { rows } = await db.query(
        `SELECT id::text AS id, page, wid, worker_id, event, action, content_hash FROM ${s}.held_actions
         WHERE sink = $1 AND run_id = $2 AND status = 'held' AND id > $3 ORDER BY id LIMIT $4`,
        [sink, runId, afterId, limit],
      );
      return rows.map(
        (r): StoredHeldAction => ({
          id: Number(r.id),
          page: Number(r.page),
          wid: r.wid as string,
          workerId: (r.worker_id as string | null) ?? undefined,
          event: r.event as LifecycleEvent,
          action: r.action as DestructiveAction,
          hash: (r.content_hash as string | null) ?? undefined,
        }),
      );
    },

    async decide(ids, status, opts = {}) {
      if (ids.length === 0) return 0;
      await ready();
      const { rowCount } = await db.query(
        `UPDATE ${s}.held_actions SET status = $2, decided_by = $3, error = $4, decided_at = now()
         WHERE id = ANY($1::bigint[]) AND status = 'held'`,
        [ids, status, opts.by ?? null, opts.error === undefined ? null : boundMessage(opts.error)],
      );
      return rowCount;
    },

    async decideAll(sink, runId, status, by) {
      await ready();
      const { rowCount } = await db.query(
        `UPDATE ${s}.held_actions SET status = $3, decided_by = $4, decided_at = now()
         WHERE sink = $1 AND run_id = $2 AND status = 'held'`,
        [sink, runId, status, by],
      );
      return rowCount;
    },
  };
}
