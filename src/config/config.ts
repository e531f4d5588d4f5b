import { lookaheadMs } from '../time/lookahead';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_PLAN_LIMITS } from '../activities/plan-limits';
import { STATE_DIR } from '../devserver/temporal-binary';
import { isTimeZone } from '../time/tenant-date';
import { webhookSecretProblem } from '../notify/signature';
import { checkWorkdayConnection, Secret, tenantOf, workdayFields } from '../workday/config';
import type { WorkdayConnectionId } from '../workflows/connection';
import { KafkaSecurity, parseKafkaTarget } from '../kafka/target';
import { DEFAULT_SAFETY } from '../safety/breaker';
import { SafetyOverrideSettings, SafetySettings } from '../safety/settings';
import { DEFAULT_BACKLOG, MAX_BACKLOG } from '../workflows/page-slots';

/**
 * wdsync configuration: an optional JSON file (WDSYNC_CONFIG, or ./wdsync.config.json) overlaid by
 * environment variables, validated once at the edge. Defaults point at a local simulator and an
 * embedded database, so a fresh machine can run everything with nothing configured.
 */

export const SIMULATOR_DEFAULTS = {
  port: 8080,
  tenant: 'acme',
  username: 'isu_wdsync@acme',
  password: 'wdsync',
  version: 'v44.0',
  timezone: '-08:00',
} as const;

const SinkConfig = z.discriminatedUnion('type', [
  z.object({
    name: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'sink names are lowercase letters, digits, - and _'),
    type: z.literal('postgres'),
    /** Defaults to the main database (DATABASE_URL). */
    url: z.string().optional(),
    /** Defaults to the database schema (WDSYNC_DB_SCHEMA). */
    schema: z.string().optional(),
  }),
  z.object({
    name: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'sink names are lowercase letters, digits, - and _'),
    type: z.literal('jsonl'),
    dir: z.string(),
  }),
  z.object({
    name: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'sink names are lowercase letters, digits, - and _'),
    type: z.literal('salesforce'),
    /** The mapping file (README "Mapping files"). */
    mapping: z.string().min(1, 'a salesforce sink needs a mapping file: salesforce:<mapping.json>'),
    /** Default SALESFORCE_LOGIN_URL, SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET, SALESFORCE_API_VERSION. */
    loginUrl: z.string().optional(),
    clientId: z.string().optional(),
    clientSecret: z.string().optional(),
    apiVersion: z.string().optional(),
    /** JWT bearer flow instead of the secret: SALESFORCE_USERNAME, SALESFORCE_PRIVATE_KEY_FILE, SALESFORCE_JWT_AUDIENCE. */
    username: z.string().optional(),
    privateKeyFile: z.string().optional(),
    audience: z.string().optional(),
    /** Records from which a page's upserts go as one Bulk API 2.0 job (SALESFORCE_BULK_THRESHOLD). */
    bulkThreshold: z.coerce
      .number()
      .int()
      .positive('bulkThreshold is a whole number of records, e.g. 600')
      .optional(),
    /** Share of the org's daily API allowance the sink may use before it waits (SALESFORCE_API_BUDGET_PERCENT). */
    apiBudgetPercent: z.coerce
      .number()
      .min(1, 'apiBudgetPercent is from 1 to 100')
      .max(100, 'apiBudgetPercent is from 1 to 100')
      .optional(),
    /** This sink's circuit-breaker limits, over the top-level `safety` defaults. */
    safety: SafetyOverrideSettings.optional(),
  }),
  z.object({
    name: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'sink names are lowercase letters, digits, - and _'),
    type: z.literal('zendesk'),
    /** The mapping file (README "The Zendesk sink"). */
    mapping: z.string().min(1, 'a zendesk sink needs a mapping file: zendesk:<mapping.json>'),
    /** Default ZENDESK_URL, ZENDESK_EMAIL, ZENDESK_API_TOKEN, ZENDESK_OAUTH_TOKEN. */
    url: z.string().optional(),
    email: z.string().optional(),
    apiToken: z.string().optional(),
    oauthToken: z.string().optional(),
    /** This sink's circuit-breaker limits, over the top-level `safety` defaults. */
    safety: SafetyOverrideSettings.optional(),
  }),
  z.object({
    name: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'sink names are lowercase letters, digits, - and _'),
    type: z.literal('dynamics'),
    /** The mapping file (README "The Dynamics 365 sink"). */
    mapping: z.string().min(1, 'a dynamics sink needs a mapping file: dynamics:<mapping.json>'),
    /** Default DATAVERSE_URL, DATAVERSE_TENANT_ID, DATAVERSE_CLIENT_ID, DATAVERSE_CLIENT_SECRET, DATAVERSE_AUTHORITY. */
    url: z.string().optional(),
    tenantId: z.string().optional(),
    clientId: z.string().optional(),
    clientSecret: z.string().optional(),
    authority: z.string().optional(),
    /** This sink's circuit-breaker limits, over the top-level `safety` defaults. */
    safety: SafetyOverrideSettings.optional(),
  }),
  z.object({
    name: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'sink names are lowercase letters, digits, - and _'),
    type: z.literal('kafka'),
    brokers: z.array(z.string().regex(/^[^\s:/,]+:\d{1,5}$/, 'a broker is host:port')).min(1),
    topic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'a Kafka topic is letters, digits, . _ and -'),
    /** What each change event carries: the field-level diff, the full record, or both. */
    payload: z.enum(['diff', 'full', 'both']).default('both'),
    /** Where the page-delivered markers go (in the same transaction); default <topic>.wdsync-delivered. */
    markerTopic: z.string().optional(),
    ...KafkaSecurity.shape,
  }),
]);
export type SinkConfig = z.infer<typeof SinkConfig>;

const positiveInt = z.coerce.number().int().positive();

/** The name of the connection of the config file's top level (and of the WORKDAY_* variables). */
export const DEFAULT_CONNECTION = 'default';

/**
 * One named connection of the config file (`connections: { prod: {...}, sandbox: {...} }`): its
 * own Workday (credentials, `passwordFile`), sinks, limits and defaults, and its own state: the
 * database schema (default `<database.schema>_<name>`) and staging folder (`<staging.dir>-<name>`),
 * so a production tenant and its sandbox, same WIDs and all, never share a row or a file.
 */
const ConnectionFile = z
  .object({
    workday: z.record(z.string(), z.unknown()),
    sinks: z.array(z.unknown()).optional(),
    limits: z.record(z.string(), z.unknown()).optional(),
    defaults: z.record(z.string(), z.unknown()).optional(),
    database: z.object({ url: z.string().optional(), schema: z.string().optional() }).strict().optional(),
    staging: z.object({ dir: z.string().optional() }).strict().optional(),
  })
  .strict();
type ConnectionFile = z.infer<typeof ConnectionFile>;
const CONNECTION_NAME = /^[a-z][a-z0-9_-]{0,39}$/;

/** A named connection's schema by default: `<base>_<name>`, a plain identifier. */
const ownSchema = (base: string, name: string) => `${base}_${name.replace(/-/g, '_')}`;

/** Settings of one connection that the environment gives only to the default connection. */
const CONNECTION_ENV =
  /^(WORKDAY_|WDSYNC_SINKS$|WDSYNC_WORKDAY_RPS$|WDSYNC_WORKDAY_CONCURRENCY$|WDSYNC_SINK_CONCURRENCY$|WDSYNC_PAGE_SIZE$|WDSYNC_CONCURRENCY$|WDSYNC_BACKLOG$)/;

export const ConfigSchema = z.object({
  /** The connection this configuration is of (`--tenant NAME`); `default` for the single-connection config. */
  connection: z.string().default(DEFAULT_CONNECTION),
  /** Every connection the configuration names, for messages. */
  connectionNames: z.array(z.string()).default([DEFAULT_CONNECTION]),
  /** The Workday connection: the Workday client's own rules, plus the tenant's time zone. */
  workday: z
    .object({
      ...workdayFields,
      version: workdayFields.version.default(SIMULATOR_DEFAULTS.version),
      /** The tenant's time zone: effective dates are days there. */
      timezone: z
        .string()
        .refine(
          isTimeZone,
          'WORKDAY_TIMEZONE must be an IANA zone like America/New_York, or an offset like -08:00',
        )
        .default(SIMULATOR_DEFAULTS.timezone),
    })
    .superRefine(checkWorkdayConnection),
  temporal: z.object({
    address: z.string().default('127.0.0.1:7233'),
    namespace: z.string().default('default'),
    /**
     * TLS to the frontend (Temporal Cloud, or a self-hosted cluster behind TLS). `caFile` trusts a
     * private CA; `certFile` + `keyFile` is mTLS; `serverName` overrides the name checked in the
     * server's certificate (when the address is an IP or a load balancer).
     */
    tls: z
      .object({
        enabled: z.boolean().default(true),
        caFile: z.string().optional(),
        certFile: z.string().optional(),
        keyFile: z.string().optional(),
        serverName: z.string().optional(),
      })
      .refine((t) => !t.certFile === !t.keyFile, {
        message:
          'mTLS needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY (the client certificate and its key)',
      })
      .optional(),
    /** Temporal Cloud API key (sent as a bearer token; implies TLS). */
    apiKey: z
      .union([z.string().min(1), z.instanceof(Secret)])
      .transform((v) => (v instanceof Secret ? v : new Secret(v)))
      .optional(),
  }),
  database: z.object({
    /** postgres://… for a server, pglite:<dir> for the embedded database. */
    url: z
      .string()
      .refine(isDatabaseUrl, {
        error: (i) =>
          `DATABASE_URL must be postgres://user@host:5432/db or pglite:<dir>, got "${String(i.input)}"`,
      })
      .default(`pglite:${path.join(STATE_DIR, 'db')}`),
    schema: z.string().default('wdsync'),
  }),
  staging: z.object({
    kind: z.enum(['fs', 'postgres']).default('fs'),
    dir: z.string().default(path.join(STATE_DIR, 'staging')),
    /**
     * Staged pages are raw Workday responses (names, addresses, pay): a Temporal Schedule that
     * `wdsync worker` creates deletes runs staged longer ago than this. 0: kept until removed by hand.
     */
    retentionDays: z.coerce
      .number({ error: 'WDSYNC_STAGING_RETENTION_DAYS must be a number of days, e.g. 7 (0 keeps pages)' })
      .int()
      .min(0)
      .max(3650)
      .default(7),
  }),
  /** Encryption at rest of staged pages (raw Workday responses: names, addresses, pay). */
  encryption: z
    .object({
      /** The keyring; default .wdsync/keys.json, created (mode 0600) on first use. */
      keyFile: z.string().min(1).optional(),
      staging: z.boolean().default(true),
      /** Seal every Temporal payload (inputs, results, queries, failure details) with the keyring. */
      temporal: z.boolean().default(false),
    })
    .default({ staging: true, temporal: false }),
  sinks: z
    .array(SinkConfig)
    .min(1)
    // Two sinks of one name share one ledger: each page would be delivered twice at once, and the
    // second delivery would find it already done and report nothing written.
    .superRefine((sinks, ctx) => {
      const seen = new Set<string>();
      for (const s of sinks) {
        if (seen.has(s.name)) {
          ctx.addIssue({
            code: 'custom',
            message: `sink name "${s.name}" is used twice; give each sink its own name, e.g. WDSYNC_SINKS=${s.name},${s.name}2=${s.type}${s.type === 'jsonl' ? ':<dir>' : ''}`,
          });
        }
        seen.add(s.name);
      }
    })
    // No schema: the sink follows the database schema (WDSYNC_DB_SCHEMA, default wdsync).
    .default([{ name: 'postgres', type: 'postgres' }]),
  limits: z.object({
    /** Cluster-wide Workday requests per second (every worker must use the same value). */
    workdayRequestsPerSecond: z.coerce.number().positive().default(10),
    /** Workday calls one worker process runs at once. */
    workdayConcurrencyPerWorker: positiveInt.default(16),
    sinkConcurrencyPerWorker: positiveInt.default(16),
    /** A run whose Total_Results is past either bound fails before any page is planned. */
    maxTotalResults: positiveInt.default(DEFAULT_PLAN_LIMITS.maxTotalResults),
    maxPages: positiveInt.default(DEFAULT_PLAN_LIMITS.maxPages),
  }),
  defaults: z.object({
    pageSize: z.coerce.number().int().min(1).max(999).default(999),
    concurrency: z.coerce.number().int().min(1).max(64).default(4),
    /** Staged pages awaiting delivery beyond `concurrency` before fetches wait (src/workflows/page-slots.ts). */
    backlog: z.coerce.number().int().min(0).max(MAX_BACKLOG).default(DEFAULT_BACKLOG),
    /** Deliver terminations due within this window now (e.g. 24h); see README "Termination look-ahead". */
    terminationLookahead: z
      .string()
      .refine(
        (v) => lookaheadMs(v) !== undefined,
        'WDSYNC_TERMINATION_LOOKAHEAD must be a duration like 24h, 90m or 2d, at most 7d',
      )
      .optional(),
  }),
  /**
   * The circuit breaker on deactivations and deletions in business-system sinks: a run holding
   * more than either limit for a sink waits for approval (a sink's own `safety` wins).
   */
  safety: SafetySettings.default({ ...DEFAULT_SAFETY }),
  /** Connection settings every Kafka client of wdsync shares unless a sink sets its own. */
  kafka: z
    .object({ clientId: z.string().default('wdsync'), ...KafkaSecurity.shape })
    .default({ clientId: 'wdsync' }),
  notify: z.object({
    webhookUrl: z.url().optional(),
    /** Signs every webhook (Standard Webhooks). From the config file or WDSYNC_WEBHOOK_SECRET_FILE. */
    webhookSecret: z
      .union([z.string(), z.instanceof(Secret)])
      .transform((v) => (v instanceof Secret ? v : new Secret(v)))
      .superRefine((s, ctx) => {
        const problem = webhookSecretProblem(s.reveal());
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    /** Operational events as CloudEvents on Kafka: brokers and topic (WDSYNC_EVENTS_KAFKA=<brokers>/<topic>). */
    kafka: z.object({ brokers: z.array(z.string()).min(1), topic: z.string() }).optional(),
    deadLetterThreshold: positiveInt.default(100),
  }),
  /** What `wdsync worker` exposes about itself: Prometheus metrics, log level (traces: OTEL_* env). */
  observability: z
    .object({
      /** Serves /metrics on this port when set (WDSYNC_METRICS_PORT, `worker --metrics-port`). */
      metricsPort: z.coerce.number().int().min(1).max(65535).optional(),
      /** The address /metrics listens on; loopback unless opened on purpose (WDSYNC_METRICS_HOST). */
      metricsHost: z.string().default('127.0.0.1'),
      logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    })
    .default({ metricsHost: '127.0.0.1', logLevel: 'info' }),
});
export type WdsyncConfig = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/**
 * Splits `WDSYNC_SINKS` into items. A Kafka item's broker list has commas of its own
 * (`events=kafka:h1:9092,h2:9092/topic`), so an item continues until its topic is given.
 */
function sinkItems(value: string): string[] {
  const items: string[] = [];
  for (const part of value.split(',').map((s) => s.trim())) {
    const last = items[items.length - 1];
    if (last !== undefined && /(^|=)kafka:/.test(last) && !last.includes('/'))
      items[items.length - 1] = `${last},${part}`;
    else if (part) items.push(part);
  }
  return items;
}

/** The sink types that take a mapping file, and an example spec for each. */
const MAPPING_EXAMPLES = {
  salesforce: 'crm=salesforce:examples/salesforce-contact.json',
  zendesk: 'desk=zendesk:examples/zendesk-user.json',
  dynamics: 'dataverse=dynamics:examples/dynamics-contact.json',
} as const;

/** Parses `WDSYNC_SINKS`: `postgres,files=jsonl:./out,events=kafka:host:9092/topic` (name=type[:arg]). */
export function parseSinksEnv(value: string): unknown[] {
  return sinkItems(value).map((item) => {
    // At the first '=' only: a Kafka spec's ?payload= has one of its own.
    const eq = item.indexOf('=');
    const [maybeName, rest] = eq >= 0 ? [item.slice(0, eq), item.slice(eq + 1)] : [undefined, item];
    const [type, arg] = rest!.split(/:(.*)/s, 2);
    const name = maybeName ?? type;
    if (type === 'jsonl') return { name, type, dir: arg || path.join(STATE_DIR, 'out', name!) };
    if (type === 'postgres') return { name, type, ...(arg ? { url: arg } : {}) };
    if (type === 'kafka') return { name, type, ...kafkaSinkArg(item, arg) };
    const example = MAPPING_EXAMPLES[type as keyof typeof MAPPING_EXAMPLES];
    if (example) {
      if (!arg) throw new ConfigError(`WDSYNC_SINKS: "${item}" needs a mapping file, e.g. ${example}`);
      // Every mapped sink holds its deactivations and deletions for the circuit breaker.
      const [mapping, query] = arg.split('?', 2);
      return { name, type, mapping, ...safetyArg(item, query) };
    }
    throw new ConfigError(
      `WDSYNC_SINKS: unknown sink type "${type}" in "${item}"; use postgres, jsonl:<dir>, kafka:<host:port,...>/<topic> salesforce:<mapping.json>, zendesk:<mapping.json> or dynamics:<mapping.json>`,
    );
  });
}

/** A business-system sink spec's `?maxDestructive=N&maxDestructivePercent=P` (zod checks the values). */
function safetyArg(item: string, query: string | undefined) {
  if (!query) return {};
  const q = new URLSearchParams(query);
  const unknown = [...q.keys()].filter((k) => k !== 'maxDestructive' && k !== 'maxDestructivePercent');
  if (unknown.length)
    throw new ConfigError(
      `WDSYNC_SINKS: unknown setting ${unknown.join(', ')} in "${item}"; a sink spec takes ?maxDestructive=N&maxDestructivePercent=P`,
    );
  return { safety: Object.fromEntries(q) };
}

function kafkaSinkArg(item: string, arg: string | undefined) {
  const [target, query] = (arg ?? '').split('?', 2);
  const t = parseKafkaTarget(target!);
  const payload = query ? new URLSearchParams(query).get('payload') : undefined;
  if (!t || (query && !['diff', 'full', 'both'].includes(payload ?? ''))) {
    throw new ConfigError(
      `WDSYNC_SINKS: malformed kafka sink "${item}"; use name=kafka:<host:port,...>/<topic>[?payload=diff|full|both], e.g. events=kafka:127.0.0.1:9092/wd.workers`,
    );
  }
  return { ...t, ...(payload ? { payload } : {}) };
}

function eventsKafkaEnv(value: string) {
  const t = parseKafkaTarget(value);
  if (!t)
    throw new ConfigError(
      `WDSYNC_EVENTS_KAFKA: malformed "${value}"; use <host:port,...>/<topic>, e.g. 127.0.0.1:9092/wd.operations`,
    );
  return t;
}

/** postgres:// or postgresql:// with a host, or pglite:<dir|memory>. */
export function isDatabaseUrl(url: string): boolean {
  if (/^pglite:./.test(url)) return true;
  if (!/^postgres(ql)?:\/\//i.test(url)) return false;
  try {
    return new URL(url).hostname !== '' || /[?&]host=/.test(url);
  } catch {
    return false;
  }
}

const ConfigFile = z.record(z.string(), z.unknown());

function readJsonFile(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  const r = ConfigFile.safeParse(parsed);
  if (!r.success) {
    const what = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`;
    throw new ConfigError(
      `config file ${file} holds ${what}; it must be one JSON object like {"workday": {...}, "sinks": [...]}`,
    );
  }
  return r.data;
}

/** TEMPORAL_TLS* (the Temporal CLI's own names) over the config file's temporal.tls. */
function temporalTlsFromEnv(env: Env, fromFile: unknown): { tls?: Record<string, unknown> } {
  const fromEnv = defined({
    caFile: env.TEMPORAL_TLS_CA,
    certFile: env.TEMPORAL_TLS_CERT,
    keyFile: env.TEMPORAL_TLS_KEY,
    serverName: env.TEMPORAL_TLS_SERVER_NAME,
  });
  const flag = env.TEMPORAL_TLS?.toLowerCase();
  if (flag !== undefined && !['true', 'false', '1', '0'].includes(flag)) {
    throw new ConfigError(`TEMPORAL_TLS is "${env.TEMPORAL_TLS}"; use true or false`);
  }
  const base = fromFile && typeof fromFile === 'object' ? (fromFile as Record<string, unknown>) : undefined;
  if (!base && !Object.keys(fromEnv).length && flag === undefined) return {};
  return {
    tls: { ...base, ...fromEnv, ...(flag !== undefined ? { enabled: flag === 'true' || flag === '1' } : {}) },
  };
}

function onOff(name: string, env: Env): boolean | undefined {
  const v = env[name]?.toLowerCase();
  if (v === undefined || v === '') return undefined;
  if (['on', 'true', '1'].includes(v)) return true;
  if (['off', 'false', '0'].includes(v)) return false;
  throw new ConfigError(`${name} is "${env[name]}"; use on or off`);
}

/** A secret kept in a file (mounted by an orchestrator, never on a command line), trimmed. */
function readSecretFile(setting: string, file: string, what: string): string {
  let value: string;
  try {
    value = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`cannot read ${setting} ${file}: ${(err as Error).message}`);
  }
  if (!value) throw new ConfigError(`${setting} ${file} is empty; put ${what} in it`);
  return value;
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;
}

interface Selected {
  name: string;
  names: string[];
  /** The file as the selected connection sees it: its own workday, sinks, limits and defaults at the top. */
  file: Record<string, unknown>;
  env: Env;
  own?: ConnectionFile;
}

/**
 * Picks the connection WDSYNC_TENANT (`--tenant`) names. The top level of the file (or the
 * WORKDAY_* variables) is the connection `default`; with `connections` and no top-level Workday,
 * a single connection is the default, and several need a name.
 */
function selectConnection(file: Record<string, unknown>, env: Env, where: string): Selected {
  if (file.connections === undefined) {
    const asked = env.WDSYNC_TENANT;
    if (asked && asked !== DEFAULT_CONNECTION) {
      throw new ConfigError(
        `unknown tenant "${asked}": no connections are configured (only "${DEFAULT_CONNECTION}"); name them under "connections" in ${where}`,
      );
    }
    return { name: DEFAULT_CONNECTION, names: [DEFAULT_CONNECTION], file, env };
  }
  const r = z.record(z.string(), ConnectionFile).safeParse(file.connections);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `connections.${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const connections = r.data;
  for (const n of Object.keys(connections)) {
    if (!CONNECTION_NAME.test(n) || n === DEFAULT_CONNECTION) {
      throw new ConfigError(
        `connection name "${n}" in ${where}: use 1-40 lowercase letters, digits, - and _ (starting with a letter), not "${DEFAULT_CONNECTION}"`,
      );
    }
  }
  const hasDefault = file.workday !== undefined || env.WORKDAY_ENDPOINT !== undefined;
  const names = [...(hasDefault ? [DEFAULT_CONNECTION] : []), ...Object.keys(connections)];
  const only = names.length === 1 ? names[0] : undefined;
  const name = env.WDSYNC_TENANT || (hasDefault ? DEFAULT_CONNECTION : only);
  if (!name) {
    throw new ConfigError(
      `several connections are configured (${names.join(', ')}); pick one with --tenant NAME`,
    );
  }
  if (!names.includes(name)) {
    throw new ConfigError(`unknown tenant "${name}"; the configured connections are: ${names.join(', ')}`);
  }
  checkConnectionsApart(file, connections, hasDefault, where);
  const { connections: _all, ...shared } = file;
  const own = connections[name];
  if (!own) return { name, names, file: shared, env };
  const view: Record<string, unknown> = { ...shared, workday: own.workday };
  if (own.sinks) view.sinks = own.sinks;
  else delete view.sinks;
  for (const k of ['limits', 'defaults'] as const) {
    view[k] = { ...((shared[k] as Record<string, unknown> | undefined) ?? {}), ...own[k] };
  }
  // Shared settings (Temporal, database server, encryption, notify) still come from the environment.
  const sharedEnv = Object.fromEntries(Object.entries(env).filter(([k]) => !CONNECTION_ENV.test(k)));
  return { name, names, file: view, env: sharedEnv, own };
}

/**
 * Two connections writing one schema or one folder would overwrite each other's rows (a tenant
 * and its sandbox share WIDs), so the configuration is refused instead.
 */
function checkConnectionsApart(
  file: Record<string, unknown>,
  connections: Record<string, ConnectionFile>,
  hasDefault: boolean,
  where: string,
): void {
  const db = (file.database ?? {}) as { url?: string; schema?: string };
  const baseSchema = db.schema ?? 'wdsync';
  const places = new Map<string, string>();
  const claim = (place: string, name: string) => {
    const other = places.get(place);
    if (other !== undefined) {
      throw new ConfigError(
        `connections "${other}" and "${name}" in ${where} share ${place}; give each its own (database.schema, staging.dir, a jsonl sink's dir) so their records never overwrite each other`,
      );
    }
    places.set(place, name);
  };
  const jsonlDirs = (sinks: unknown) =>
    (Array.isArray(sinks) ? sinks : [])
      .filter((s): s is { type: string; dir: string } => s?.type === 'jsonl' && typeof s.dir === 'string')
      .map((s) => path.resolve(s.dir));
  /** A postgres sink given a schema of its own writes there, not in its connection's schema. */
  const sinkSchemas = (sinks: unknown, url: string | undefined) =>
    (Array.isArray(sinks) ? sinks : [])
      .filter(
        (s): s is { type: string; schema: string; url?: string } =>
          s?.type === 'postgres' && typeof s.schema === 'string',
      )
      .map((s) => `schema "${s.schema}" of database ${s.url ?? url ?? '(default)'}`);
  if (hasDefault) {
    claim(`schema "${baseSchema}" of database ${db.url ?? '(default)'}`, DEFAULT_CONNECTION);
    for (const d of jsonlDirs(file.sinks)) claim(`the folder ${d}`, DEFAULT_CONNECTION);
    for (const place of sinkSchemas(file.sinks, db.url)) claim(place, DEFAULT_CONNECTION);
  }
  for (const [name, c] of Object.entries(connections)) {
    claim(
      `schema "${c.database?.schema ?? ownSchema(baseSchema, name)}" of database ${c.database?.url ?? db.url ?? '(default)'}`,
      name,
    );
    if (c.staging?.dir) claim(`the staging folder ${path.resolve(c.staging.dir)}`, name);
    for (const d of jsonlDirs(c.sinks)) claim(`the folder ${d}`, name);
    for (const place of sinkSchemas(c.sinks, c.database?.url ?? db.url)) claim(place, name);
  }
}

/** Loads and validates configuration; throws ConfigError with every problem on one line each. */
export function loadConfig(processEnv: Env = process.env, cwd = process.cwd()): WdsyncConfig {
  const fileName =
    processEnv.WDSYNC_CONFIG ??
    (existsSync(path.join(cwd, 'wdsync.config.json')) ? 'wdsync.config.json' : undefined);
  const selected = selectConnection(
    fileName ? readJsonFile(path.resolve(cwd, fileName)) : {},
    processEnv,
    fileName ?? 'wdsync.config.json',
  );
  const { file, env } = selected;
  const section = (k: string) => (file[k] ?? {}) as Record<string, unknown>;

  const passwordFile = env.WORKDAY_PASSWORD_FILE ?? section('workday').passwordFile;
  const password =
    env.WORKDAY_PASSWORD ||
    (typeof passwordFile === 'string'
      ? readSecretFile('WORKDAY_PASSWORD_FILE', passwordFile, 'the Workday password')
      : undefined);
  const webhookSecretFile = env.WDSYNC_WEBHOOK_SECRET_FILE ?? section('notify').webhookSecretFile;
  const webhookSecret =
    typeof webhookSecretFile === 'string'
      ? readSecretFile('WDSYNC_WEBHOOK_SECRET_FILE', webhookSecretFile, 'the webhook signing secret')
      : undefined;
  const d = SIMULATOR_DEFAULTS;
  const { passwordFile: _passwordFile, ...fileWorkday } = section('workday');
  // The simulator's endpoint and credentials only when no Workday is configured at all: a real
  // endpoint with a missing password must fail, not try the simulator's password on it.
  const simulator = !env.WORKDAY_ENDPOINT && fileWorkday.endpoint === undefined;
  if (!simulator && env.WORKDAY_PASSWORD === '' && !env.WORKDAY_PASSWORD_FILE) {
    throw new ConfigError('WORKDAY_PASSWORD is empty; set the Workday password or WORKDAY_PASSWORD_FILE');
  }
  const raw = {
    connection: selected.name,
    connectionNames: selected.names,
    workday: {
      ...(simulator
        ? {
            endpoint: `http://127.0.0.1:${d.port}/ccx/service/${d.tenant}/Human_Resources/${d.version}`,
            username: d.username,
            password: d.password,
          }
        : {}),
      ...fileWorkday,
      ...defined({
        endpoint: env.WORKDAY_ENDPOINT,
        username: env.WORKDAY_USERNAME,
        password,
        version: env.WORKDAY_VERSION,
        timezone: env.WORKDAY_TIMEZONE,
        timeoutMs: env.WORKDAY_TIMEOUT_MS,
        responseTimeoutMs: env.WORKDAY_RESPONSE_TIMEOUT_MS,
        idleTimeoutMs: env.WORKDAY_IDLE_TIMEOUT_MS,
        caFile: env.WORKDAY_CA_FILE,
        clientCertFile: env.WORKDAY_CLIENT_CERT_FILE,
        clientKeyFile: env.WORKDAY_CLIENT_KEY_FILE,
        maxResponseBytes: env.WORKDAY_MAX_RESPONSE_BYTES,
        allowHttpHosts: env.WORKDAY_ALLOW_HTTP_HOSTS?.split(',')
          .map((h) => h.trim())
          .filter(Boolean),
      }),
      ...(env.WORKDAY_OAUTH_TOKEN_URL
        ? {
            oauth: {
              tokenUrl: env.WORKDAY_OAUTH_TOKEN_URL,
              clientId: env.WORKDAY_OAUTH_CLIENT_ID,
              clientSecret: env.WORKDAY_OAUTH_CLIENT_SECRET,
              refreshToken: env.WORKDAY_OAUTH_REFRESH_TOKEN,
            },
          }
        : {}),
    },
    temporal: {
      ...section('temporal'),
      ...defined({
        address: env.TEMPORAL_ADDRESS,
        namespace: env.TEMPORAL_NAMESPACE,
        apiKey:
          env.TEMPORAL_API_KEY ||
          (env.TEMPORAL_API_KEY_FILE
            ? readSecretFile('TEMPORAL_API_KEY_FILE', env.TEMPORAL_API_KEY_FILE, 'the Temporal API key')
            : undefined),
      }),
      ...temporalTlsFromEnv(env, section('temporal').tls),
    },
    database: { ...section('database'), ...defined({ url: env.DATABASE_URL, schema: env.WDSYNC_DB_SCHEMA }) },
    staging: {
      ...section('staging'),
      ...defined({
        kind: env.WDSYNC_STAGING,
        dir: env.WDSYNC_STAGING_DIR,
        retentionDays: env.WDSYNC_STAGING_RETENTION_DAYS,
      }),
    },
    encryption: {
      ...section('encryption'),
      ...defined({
        keyFile: env.WDSYNC_KEY_FILE,
        staging: onOff('WDSYNC_STAGING_ENCRYPTION', env),
        temporal: onOff('WDSYNC_TEMPORAL_ENCRYPTION', env),
      }),
    },
    sinks: env.WDSYNC_SINKS ? parseSinksEnv(env.WDSYNC_SINKS) : file.sinks,
    limits: {
      ...section('limits'),
      ...defined({
        workdayRequestsPerSecond: env.WDSYNC_WORKDAY_RPS,
        workdayConcurrencyPerWorker: env.WDSYNC_WORKDAY_CONCURRENCY,
        sinkConcurrencyPerWorker: env.WDSYNC_SINK_CONCURRENCY,
        maxTotalResults: env.WDSYNC_MAX_TOTAL_RESULTS,
        maxPages: env.WDSYNC_MAX_PAGES,
      }),
    },
    defaults: {
      ...section('defaults'),
      ...defined({
        pageSize: env.WDSYNC_PAGE_SIZE,
        concurrency: env.WDSYNC_CONCURRENCY,
        backlog: env.WDSYNC_BACKLOG,
        terminationLookahead: env.WDSYNC_TERMINATION_LOOKAHEAD,
      }),
    },
    kafka: section('kafka'),
    safety: {
      ...DEFAULT_SAFETY,
      ...section('safety'),
      ...defined({
        maxDestructive: env.WDSYNC_MAX_DESTRUCTIVE,
        maxDestructivePercent: env.WDSYNC_MAX_DESTRUCTIVE_PERCENT,
      }),
    },
    notify: {
      ...Object.fromEntries(Object.entries(section('notify')).filter(([k]) => k !== 'webhookSecretFile')),
      ...defined({
        webhookSecret,
        webhookUrl: env.WDSYNC_WEBHOOK_URL,
        deadLetterThreshold: env.WDSYNC_DEAD_LETTER_THRESHOLD,
        kafka: env.WDSYNC_EVENTS_KAFKA === undefined ? undefined : eventsKafkaEnv(env.WDSYNC_EVENTS_KAFKA),
      }),
    },
    observability: {
      ...section('observability'),
      ...defined({
        metricsPort: env.WDSYNC_METRICS_PORT,
        metricsHost: env.WDSYNC_METRICS_HOST,
        logLevel: env.WDSYNC_LOG_LEVEL?.toLowerCase(),
      }),
    },
  };
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const at = selected.own ? `connections.${selected.name}.` : '';
    const problems = parsed.error.issues.map((i) => `${at}${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const cfg = parsed.data;
  if (!selected.own) return cfg;
  // A named connection's own state: its schema and staging folder unless it names them.
  return {
    ...cfg,
    database: {
      url: selected.own.database?.url ?? cfg.database.url,
      schema: selected.own.database?.schema ?? ownSchema(cfg.database.schema, selected.name),
    },
    // Beside the default connection's folder, not in it: run ids name folders there.
    staging: { ...cfg.staging, dir: selected.own.staging?.dir ?? `${cfg.staging.dir}-${selected.name}` },
  };
}

/** The identity of the configured Workday connection that runs pin (no secret in it). */
export function connectionOf(cfg: Pick<WdsyncConfig, 'connection' | 'workday'>): WorkdayConnectionId {
  return {
    name: cfg.connection,
    host: new URL(cfg.workday.endpoint).host,
    tenant: tenantOf(cfg.workday),
    version: cfg.workday.version,
  };
}

type WorkdaySettings = WdsyncConfig['workday'];
export type RedactedConfig = Omit<WdsyncConfig, 'workday'> & {
  workday: Omit<WorkdaySettings, 'password' | 'oauth'> & {
    password?: string;
    oauth?: Omit<NonNullable<WorkdaySettings['oauth']>, 'clientSecret' | 'refreshToken'> & {
      clientSecret: string;
      refreshToken: string;
    };
  };
};

/** For logs and `wdsync config`: the configuration with secrets replaced. */
export function redacted(cfg: WdsyncConfig): RedactedConfig {
  const hide = (url: string) => url.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
  return {
    ...cfg,
    workday: {
      ...cfg.workday,
      password: cfg.workday.password === undefined ? undefined : '***',
      oauth: cfg.workday.oauth && { ...cfg.workday.oauth, clientSecret: '***', refreshToken: '***' },
    },
    database: { ...cfg.database, url: hide(cfg.database.url) },
    sinks: cfg.sinks.map((s) =>
      s.type === 'postgres' && s.url
        ? { ...s, url: hide(s.url) }
        : (s.type === 'salesforce' || s.type === 'dynamics') && s.clientSecret
          ? { ...s, clientSecret: '***' }
          : s.type === 'zendesk' && (s.apiToken || s.oauthToken)
            ? {
                ...s,
                ...(s.apiToken ? { apiToken: '***' } : {}),
                ...(s.oauthToken ? { oauthToken: '***' } : {}),
              }
            : s.type === 'kafka' && s.sasl
              ? { ...s, sasl: { ...s.sasl, password: '***' } }
              : s,
    ),
    kafka: cfg.kafka.sasl ? { ...cfg.kafka, sasl: { ...cfg.kafka.sasl, password: '***' } } : cfg.kafka,
  };
}
