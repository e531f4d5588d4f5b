/**
 * The wdsync schema, one entry per version. Never edit an applied migration: append a new one.
 * `s` is the quoted schema name. Each statement runs separately (PGlite's extended protocol takes
 * one statement per query).
 */
export interface Migration {
  version: number;
  name: string;
  statements: (s: string) => string[];
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'workers and sink ledger',
    statements: (s) => [
      // The downstream contract: one row per worker keyed by WID. Documented in the README.
      `CREATE TABLE ${s}.workers (
        wid text PRIMARY KEY,
        worker_id text NOT NULL,
        worker_type text NOT NULL,
        descriptor text NOT NULL,
        first_name text,
        last_name text,
        preferred_name text,
        work_email text,
        active boolean,
        hire_date date,
        terminated boolean,
        termination_date date,
        position_title text,
        business_title text,
        supervisory_org_id text,
        manager_wid text,
        record jsonb NOT NULL,
        content_hash text NOT NULL,
        mapping_version int NOT NULL,
        as_of_entry timestamptz NOT NULL,
        source_run text NOT NULL,
        source_page int NOT NULL,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        removed_at timestamptz
      )`,
      `CREATE INDEX workers_worker_id_idx ON ${s}.workers (worker_id)`,
      `CREATE INDEX workers_updated_at_idx ON ${s}.workers (updated_at)`,
      // The newest snapshot the whole table was confirmed against (a complete full run finalized).
      // Unchanged rows keep their older as_of_entry, so this is what stops a late delivery from an
      // older run (a replay of a failed page) from bringing back stale data.
      `CREATE TABLE ${s}.workers_snapshot (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        as_of_entry timestamptz NOT NULL,
        run_id text NOT NULL,
        confirmed_at timestamptz NOT NULL DEFAULT now()
      )`,
      // wids/actions let finalize find absentees without rewriting unchanged rows, and let a retried
      // delivery report what the first one did (actions: one char per wid, i/u/n).
      `CREATE TABLE ${s}.sink_ledger (
        sink text NOT NULL,
        run_id text NOT NULL,
        page int NOT NULL,
        as_of_entry timestamptz NOT NULL,
        delivered_at timestamptz NOT NULL DEFAULT now(),
        inserted int NOT NULL DEFAULT 0,
        updated int NOT NULL DEFAULT 0,
        unchanged int NOT NULL DEFAULT 0,
        wids text[] NOT NULL DEFAULT '{}',
        actions text NOT NULL DEFAULT '',
        PRIMARY KEY (sink, run_id, page)
      )`,
    ],
  },
  {
    version: 2,
    name: 'audit and state',
    statements: (s) => [
      `CREATE TABLE ${s}.runs (
        run_id text PRIMARY KEY,
        mode text NOT NULL,
        tenant text NOT NULL,
        scope jsonb NOT NULL DEFAULT '{}',
        as_of_entry timestamptz,
        as_of_effective date,
        status text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        ended_at timestamptz,
        summary jsonb
      )`,
      `CREATE INDEX runs_started_at_idx ON ${s}.runs (started_at DESC)`,
      `CREATE TABLE ${s}.pages (
        run_id text NOT NULL,
        page int NOT NULL,
        as_of timestamptz,
        total_results int,
        total_pages int,
        rows int,
        dead_letters int,
        checksum text,
        attempts int NOT NULL DEFAULT 1,
        started_at timestamptz NOT NULL DEFAULT now(),
        ended_at timestamptz,
        status text NOT NULL,
        error text,
        PRIMARY KEY (run_id, page)
      )`,
      // page 0 = run-level events (removals at finalize); sink '' = not sink-specific (dead letters).
      `CREATE TABLE ${s}.record_events (
        id bigserial PRIMARY KEY,
        run_id text NOT NULL,
        page int NOT NULL,
        wid text NOT NULL DEFAULT '',
        worker_id text,
        sink text NOT NULL DEFAULT '',
        action text NOT NULL CHECK (action IN ('inserted', 'updated', 'unchanged', 'dead-lettered', 'removed')),
        content_hash text NOT NULL DEFAULT '',
        at timestamptz NOT NULL DEFAULT now()
      )`,
      // Makes recordEvents idempotent when a retried activity records the same delivery twice.
      `CREATE UNIQUE INDEX record_events_dedup_idx ON ${s}.record_events (run_id, page, sink, wid, action, content_hash)`,
      `CREATE INDEX record_events_wid_idx ON ${s}.record_events (wid, at)`,
      `CREATE INDEX record_events_worker_id_idx ON ${s}.record_events (worker_id) WHERE worker_id IS NOT NULL`,
      `CREATE TABLE ${s}.dead_letters (
        id bigserial PRIMARY KEY,
        run_id text NOT NULL,
        page int NOT NULL,
        wid text,
        worker_id text,
        reason text NOT NULL,
        fragment text NOT NULL,
        fragment_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        released_at timestamptz,
        UNIQUE (run_id, page, fragment_hash)
      )`,
      `CREATE INDEX dead_letters_open_idx ON ${s}.dead_letters (created_at) WHERE released_at IS NULL`,
      `CREATE INDEX dead_letters_wid_idx ON ${s}.dead_letters (wid)`,
      `CREATE TABLE ${s}.watermarks (
        tenant text NOT NULL,
        scope_key text NOT NULL,
        updated_through timestamptz NOT NULL,
        run_id text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, scope_key)
      )`,
    ],
  },
  {
    version: 3,
    name: 'staged pages',
    statements: (s) => [
      // Claim-check store for multi-host workers: gzip'd raw response and gzip'd JSON payloads.
      `CREATE TABLE ${s}.staged_pages (
        run_id text NOT NULL,
        page int NOT NULL,
        raw bytea NOT NULL,
        records bytea NOT NULL,
        dead_letters bytea NOT NULL,
        record_count int NOT NULL,
        dead_letter_count int NOT NULL,
        bytes int NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_id, page)
      )`,
    ],
  },
  {
    version: 4,
    name: 'run specs for replay',
    statements: (s) => [
      // What each page of a run asked Workday for (page size, pinned as-of, scope, delta window), so a
      // replay with --refetch asks again for exactly the same page of exactly the same snapshot.
      `CREATE TABLE ${s}.run_specs (
        run_id text PRIMARY KEY,
        tenant text NOT NULL,
        page_size int NOT NULL,
        spec jsonb NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`,
    ],
  },
  {
    version: 5,
    name: 'room for snapshot markers',
    statements: (s) => [
      // An unchanged record still moves its row's as_of_entry forward. Free space on each heap page
      // keeps that a HOT update (no index entries, the toasted record untouched); it applies to
      // pages written from now on.
      `ALTER TABLE ${s}.workers SET (fillfactor = 80)`,
    ],
  },
  {
    version: 6,
    name: 'held destructive actions and per-sink dead letters',
    statements: (s) => [
      // The circuit breaker: a run's deactivations and deletions per sink, held until the run's end
      // and applied only under the sink's limits or once approved. A rejected row is the audit of
      // who skipped it. One row per (sink, run, worker, event), so a retried delivery adds nothing.
      `CREATE TABLE ${s}.held_actions (
        id bigserial PRIMARY KEY,
        sink text NOT NULL,
        run_id text NOT NULL,
        page int NOT NULL,
        wid text NOT NULL,
        worker_id text,
        event text NOT NULL CHECK (event IN ('termination', 'removal')),
        action text NOT NULL CHECK (action IN ('deactivate', 'delete')),
        content_hash text,
        status text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'applied', 'rejected', 'failed')),
        decided_by text,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        decided_at timestamptz,
        UNIQUE (sink, run_id, wid, event)
      )`,
      `CREATE INDEX held_actions_open_idx ON ${s}.held_actions (sink, run_id, id) WHERE status = 'held'`,
      // A record a target refused is a dead letter of that sink, with the target's error code; its
      // record is in staging (run, page), so the fragment stays empty.
      `ALTER TABLE ${s}.dead_letters ADD COLUMN sink text`,
      `ALTER TABLE ${s}.dead_letters ADD COLUMN code text`,
      // Closing a sink's letters on delivery looks up WIDs here: empty for sinks that refuse nothing.
      `CREATE INDEX dead_letters_sink_open_idx ON ${s}.dead_letters (sink, wid) WHERE released_at IS NULL AND sink IS NOT NULL`,
      `CREATE INDEX record_events_sink_wid_idx ON ${s}.record_events (sink, wid, at)`,
    ],
  },
  {
    version: 7,
    name: 'the snapshot each record event was delivered from',
    statements: (s) => [
      // The newest-snapshot rule for targets that keep no marker of ours: a record a newer run
      // delivered or confirmed unchanged is never replaced by an older run's (src/delivery/deliver.ts).
      `ALTER TABLE ${s}.record_events ADD COLUMN as_of_entry timestamptz`,
    ],
  },
  {
    version: 8,
    name: 'how a page too large for Workday was split',
    statements: (s) => [
      // The smaller requests (Page, Count, rows, bytes) a page was fetched as, and why; null for
      // a page Workday answered whole.
      `ALTER TABLE ${s}.pages ADD COLUMN split jsonb`,
    ],
  },
];
