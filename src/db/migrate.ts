import type { Db } from './types';
import { DEFAULT_SCHEMA, quoteSchema } from './ident';
import { MIGRATIONS, type Migration } from './migrations';

export interface MigrateResult {
  schema: string;
  applied: number[];
  current: number;
}

/**
 * Brings `schema` up to the latest version. Runs in one transaction under an advisory lock keyed on
 * the schema, so workers starting together queue up and the later ones find nothing to do.
 * DDL is transactional in PostgreSQL: a failed migration leaves the schema as it was.
 */
export async function migrate(
  db: Db,
  schema: string = DEFAULT_SCHEMA,
  migrations: Migration[] = MIGRATIONS,
): Promise<MigrateResult> {
  const s = quoteSchema(schema);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`wdsync.migrate:${schema}`]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
        version int PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
    const { rows } = await tx.query<{ version: number }>(`SELECT version FROM ${s}.schema_migrations`);
    const done = new Set(rows.map((r) => Number(r.version)));
    const latest = Math.max(0, ...migrations.map((m) => m.version));
    const newest = Math.max(0, ...done);
    if (newest > latest) {
      throw new Error(
        `schema ${schema} is at version ${newest} but this wdsync knows only up to ${latest}; upgrade wdsync`,
      );
    }
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      for (const sql of m.statements(s)) await tx.query(sql);
      await tx.query(`INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`, [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    return { schema, applied, current: latest };
  });
}

const ensured = new WeakMap<Db, Map<string, Promise<MigrateResult>>>();

/** migrate() once per (db, schema) per process; sinks, staging and audit all call it on first use. */
export function ensureSchema(db: Db, schema: string = DEFAULT_SCHEMA): Promise<MigrateResult> {
  let bySchema = ensured.get(db);
  if (!bySchema) {
    bySchema = new Map();
    ensured.set(db, bySchema);
  }
  let p = bySchema.get(schema);
  if (!p) {
    p = migrate(db, schema);
    // A failure (database down at start) must not be cached forever.
    p.catch(() => bySchema.delete(schema));
    bySchema.set(schema, p);
  }
  return p;
}
