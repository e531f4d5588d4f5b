import { auditPort } from './activities/audit-adapter';
import type { ActivityDeps } from './activities/ports';
import { workdayPort } from './activities/workday-adapter';
import { type AuditStore, createAuditStore } from './audit/store';
import type { WdsyncConfig } from './config/config';
import { openDb } from './db/open';
import type { Db } from './db/types';
import { createWebhookNotifier } from './notify/webhook';
import { createKafkaNotifier, failuresOnly, fanOut, notifyConnection } from './notify/kafka';
import { tenantOf } from './config/config';
import { buildSink } from './sinks/registry';
import type { Sink } from './sinks/types';
import { createFsStaging } from './staging/fs';
import { createPgStaging } from './staging/postgres';
import type { StagingStore } from './staging/types';
import { createWorkdayClient } from './workday/client';
import { redactUrl } from './db/errors';
import { createRecoveryStore } from './replay/store';

/** Composition root: turns validated configuration into the dependencies activities run on. */
export interface Deps {
  activities: ActivityDeps;
  db: Db;
  audit: AuditStore;
  countWorkerRows(): Promise<number>;
  describeDatabase(): string;
  close(): Promise<void>;
}

export async function buildStaging(cfg: WdsyncConfig, db?: Db): Promise<StagingStore> {
  if (cfg.staging.kind === 'fs') return createFsStaging({ dir: cfg.staging.dir });
  const own = db ?? (await openDb(cfg.database.url));
  return createPgStaging({ db: own, schema: cfg.database.schema, ownsDb: !db });
}

export async function buildDeps(cfg: WdsyncConfig): Promise<Deps> {
  const db = await openDb(cfg.database.url);
  const audit = createAuditStore(db, cfg.database.schema);
  await audit.init();
  const sinks = new Map<string, Sink>();
  for (const s of cfg.sinks) {
    const sink = await buildSink(s, { cfg, db });
    await sink.init();
    sinks.set(s.name, sink);
  }
  const staging = await buildStaging(cfg, db);
  const workday = createWorkdayClient({
    endpoint: cfg.workday.endpoint,
    username: cfg.workday.username,
    password: cfg.workday.password,
    version: cfg.workday.version,
    timeoutMs: cfg.workday.timeoutMs,
    responseTimeoutMs: cfg.workday.responseTimeoutMs ?? Math.min(180_000, cfg.workday.timeoutMs),
    idleTimeoutMs: cfg.workday.idleTimeoutMs ?? Math.min(60_000, cfg.workday.timeoutMs),
    oauth: cfg.workday.oauth,
  });
  const webhook = failuresOnly(createWebhookNotifier({ url: cfg.notify.webhookUrl }));
  const notifyKafka = notifyConnection(cfg);
  const kafkaNotifier =
    notifyKafka &&
    createKafkaNotifier({ connection: notifyKafka, topic: cfg.notify.kafka!.topic, tenant: tenantOf(cfg) });
  const activities: ActivityDeps = {
    workday: workdayPort(workday),
    staging,
    sinks,
    audit: auditPort(audit),
    notifier: kafkaNotifier ? fanOut(webhook, kafkaNotifier) : webhook,
    recovery: { audit, store: createRecoveryStore(db, cfg.database.schema) },
    planLimits: { maxTotalResults: cfg.limits.maxTotalResults, maxPages: cfg.limits.maxPages },
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
