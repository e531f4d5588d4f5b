import { auditPort } from './activities/audit-adapter';
import { type Cipher, createCipher } from './crypto/cipher';
import { stagingKeyring } from './crypto/keyring';
import type { ActivityDeps } from './activities/ports';
import { workdayPort } from './activities/workday-adapter';
import { type AuditStore, createAuditStore } from './audit/store';
import { connectionOf, type WdsyncConfig } from './config/config';
import { openDb } from './db/open';
import type { Db } from './db/types';
import { createWebhookSigner } from './notify/signature';
import { createWebhookNotifier } from './notify/webhook';
import { createKafkaNotifier, failuresOnly, fanOut, notifyConnection } from './notify/kafka';
import { tenantOf } from './workday/config';
import { buildSink } from './sinks/registry';
import type { Sink } from './sinks/types';
import { createFsStaging } from './staging/fs';
import { createPgStaging } from './staging/postgres';
import type { StagingStore } from './staging/types';
import { createWorkdayClient } from './workday/client';
import { familyOfVersion } from './workday/schema-family';
import { redactUrl } from './db/errors';
import { createRecoveryStore, type RecoveryStore } from './replay/store';
import { createHeldActionsStore } from './audit/held-actions';

/** Composition root: turns validated configuration into the dependencies activities run on. */
export interface Deps {
  activities: ActivityDeps;
  db: Db;
  audit: AuditStore;
  countWorkerRows(): Promise<number>;
  /** Runs in the state store per status, for the worker's wdsync_runs gauge. */
  runsByState(): Promise<{ state: string; count: number }[]>;
  describeDatabase(): string;
  close(): Promise<void>;
}

/** The state stores a command reads (audit, recovery), on one database that is closed afterwards. */
export interface Stores {
  audit: AuditStore;
  recovery: RecoveryStore;
}

/**
 * Opens the state database named by the configuration, brings its schema up to date once, runs fn
 * and closes the database: what every read-only command (audit, dead-letters, watermarks) needs.
 */
export async function withStores<T>(cfg: WdsyncConfig, fn: (s: Stores) => Promise<T>): Promise<T> {
  const db = await openDb(cfg.database.url);
  try {
    const audit = createAuditStore(db, cfg.database.schema);
    await audit.init();
    return await fn({ audit, recovery: createRecoveryStore(db, cfg.database.schema) });
  } finally {
    await db.close();
  }
}

/**
 * The cipher for staged pages, or undefined when encryption is off. Without a configured key file,
 * the local one under .wdsync/ is created on first use, so the demo needs no setup.
 */
export function stagingCipher(cfg: WdsyncConfig): Cipher | undefined {
  if (!cfg.encryption.staging) return undefined;
  return createCipher(stagingKeyring(cfg.encryption.keyFile));
}

/** Listing and cleaning staging needs no key; delivering from it does (pass the cipher). */
export async function buildStaging(cfg: WdsyncConfig, db?: Db, cipher?: Cipher): Promise<StagingStore> {
  if (cfg.staging.kind === 'fs') return createFsStaging({ dir: cfg.staging.dir, cipher });
  const own = db ?? (await openDb(cfg.database.url));
  return createPgStaging({ db: own, schema: cfg.database.schema, ownsDb: !db, cipher });
}

/** The staging store the configuration names, for fn only. */
export async function withStaging<T>(cfg: WdsyncConfig, fn: (store: StagingStore) => Promise<T>): Promise<T> {
  const store = await buildStaging(cfg);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/**
 * `cipher`: the staging cipher when the caller already loaded the key file (no second read).
 * `log`: where notifiers report a webhook or event they could not send (stderr when absent).
 */
export async function buildDeps(
  cfg: WdsyncConfig,
  opts: { cipher?: Cipher; log?: (msg: string) => void } = {},
): Promise<Deps> {
  // First, before any connection: a missing or unreadable key file stops the worker at start.
  const cipher = opts.cipher ?? stagingCipher(cfg);
  const db = await openDb(cfg.database.url);
  const audit = createAuditStore(db, cfg.database.schema);
  await audit.init();
  const sinks = new Map<string, Sink>();
  for (const s of cfg.sinks) {
    const sink = await buildSink(s, { cfg, db });
    await sink.init();
    sinks.set(s.name, sink);
  }
  const staging = await buildStaging(cfg, db, cipher);
  const workday = createWorkdayClient(cfg.workday);
  const webhook = failuresOnly(
    createWebhookNotifier({
      url: cfg.notify.webhookUrl,
      sign: cfg.notify.webhookSecret && createWebhookSigner(cfg.notify.webhookSecret),
      log: opts.log,
    }),
  );
  const notifyKafka = notifyConnection(cfg);
  const kafkaNotifier =
    notifyKafka &&
    createKafkaNotifier({
      connection: notifyKafka,
      topic: cfg.notify.kafka!.topic,
      tenant: tenantOf(cfg.workday),
      log: opts.log,
    });
  const activities: ActivityDeps = {
    workday: workdayPort(workday),
    staging,
    sinks,
    audit: auditPort(audit),
    notifier: kafkaNotifier ? fanOut(webhook, kafkaNotifier) : webhook,
    recovery: { audit, store: createRecoveryStore(db, cfg.database.schema) },
    workdayFamily: familyOfVersion(cfg.workday.version),
    planLimits: { maxTotalResults: cfg.limits.maxTotalResults, maxPages: cfg.limits.maxPages },
    connection: connectionOf(cfg),
    held: createHeldActionsStore(db, cfg.database.schema),
    safety: {
      defaults: cfg.safety,
      perSink: Object.fromEntries(cfg.sinks.map((s) => [s.name, 'safety' in s ? s.safety : undefined])),
    },
  };
  return {
    activities,
    db,
    audit,
    async countWorkerRows() {
      const r = await db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM "${cfg.database.schema}".workers WHERE removed_at IS NULL`,
      );
      return Number(r.rows[0]?.n ?? 0);
    },
    async runsByState() {
      const r = await db.query<{ state: string; n: string }>(
        `SELECT status AS state, count(*)::text AS n FROM "${cfg.database.schema}".runs GROUP BY status`,
      );
      return r.rows.map((row) => ({ state: row.state, count: Number(row.n) }));
    },
    describeDatabase: () =>
      db.kind === 'pglite' ? `the embedded database ${cfg.database.url}` : redactUrl(cfg.database.url),
    async close() {
      for (const s of sinks.values()) await s.close();
      await kafkaNotifier?.close();
      await staging.close();
      await db.close();
    },
  };
}
