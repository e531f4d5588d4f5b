import { quoteSchema } from '../db/ident';
import type { Db } from '../db/types';
import { createPostgresSink } from '../sinks/postgres';

/**
 * Scenario 10's slow and failing sinks: real PostgreSQL sinks whose database is made slow, or
 * refuses, where each page's delivery begins (the insert of its ledger row, once per attempt). So
 * the worker runs its ordinary sink code, and the slowness and the retries are the database's.
 *
 * - `delayMs`: every delivery attempt waits that long (pg_sleep) inside its transaction.
 * - `failAttempts`: the first N attempts of every page fail with SQLSTATE 40001 (a serialization
 *   failure, which wdsync retries like any transient database error). Attempts are counted in one
 *   sequence per page, since a sequence is the one thing a failed transaction does not roll back.
 *
 * Returns a function that counts the attempts the database refused.
 */
export async function slowSink(
  db: Db,
  schema: string,
  o: { delayMs?: number; failAttempts?: number; pages?: number },
): Promise<() => Promise<number>> {
  const sink = createPostgresSink({ name: 'bench-slow', db, schema });
  await sink.init();
  await sink.close();
  const s = quoteSchema(schema);
  const fail = o.failAttempts ?? 0;
  for (let p = 1; fail > 0 && p <= (o.pages ?? 0); p++) await db.query(`CREATE SEQUENCE ${s}.attempts_${p}`);
  await db.query(`CREATE FUNCTION ${s}.bench_slow_sink() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_sleep(${(o.delayMs ?? 0) / 1000});
      IF ${fail} > 0 AND nextval(format('%I.attempts_%s', TG_TABLE_SCHEMA, NEW.page)) <= ${fail} THEN
        RAISE EXCEPTION 'bench: this sink refuses the first ${fail} attempts of each page' USING ERRCODE = '40001';
      END IF;
      RETURN NEW;
    END $$`);
  await db.query(
    `CREATE TRIGGER bench_slow_sink BEFORE INSERT ON ${s}.sink_ledger FOR EACH ROW EXECUTE FUNCTION ${s}.bench_slow_sink()`,
  );
  return async () => {
    const { rows } = await db.query<{ n: string | null }>(
      `SELECT sum(least(last_value, ${fail})) AS n FROM pg_sequences WHERE schemaname = $1 AND sequencename LIKE 'attempts\\_%'`,
      [schema],
    );
    return Number(rows[0]?.n ?? 0);
  };
}

/**
 * Whether a sink's table holds exactly what another's holds (the fault-free run's): the same
 * workers, each with the same content hash, none removed.
 */
export async function sameRows(
  db: Db,
  schema: string,
  reference: string,
): Promise<{ ok: boolean; detail: string }> {
  const a = quoteSchema(schema);
  const b = quoteSchema(reference);
  const { rows } = await db.query<{ rows: string; missing: string; extra: string; removed: string }>(
    `SELECT (SELECT count(*) FROM ${a}.workers) AS rows,
       (SELECT count(*) FROM (SELECT wid, content_hash FROM ${b}.workers EXCEPT SELECT wid, content_hash FROM ${a}.workers) m) AS missing,
       (SELECT count(*) FROM (SELECT wid, content_hash FROM ${a}.workers EXCEPT SELECT wid, content_hash FROM ${b}.workers) e) AS extra,
       (SELECT count(*) FROM ${a}.workers WHERE removed_at IS NOT NULL) AS removed`,
  );
  const r = rows[0]!;
  const ok = Number(r.missing) === 0 && Number(r.extra) === 0 && Number(r.removed) === 0;
  return {
    ok,
    detail: `${r.rows} rows; ${r.missing} of the fault-free run's rows missing or different, ${r.extra} not in it, ${r.removed} marked removed`,
  };
}
