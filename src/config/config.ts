import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_PLAN_LIMITS } from '../activities/plan-limits';
import { STATE_DIR } from '../devserver/temporal-binary';
import { isTimeZone } from '../time/tenant-date';
import { KafkaSecurity, parseKafkaTarget } from '../kafka/target';

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

export const ConfigSchema = z.object({
  workday: z
    .object({
      endpoint: z.url({
        message: 'WORKDAY_ENDPOINT must be a URL like https://host/ccx/service/TENANT/Human_Resources/v44.0',
      }),
      username: z
        .string({ error: 'set WORKDAY_USERNAME (user@tenant)' })
        .regex(/^[^@\s]+@[^@\s]+$/, 'WORKDAY_USERNAME must be user@tenant'),
      /** Optional only with OAuth (refresh-token grant); WS-Security needs it. */
      password: z.string().min(1, 'WORKDAY_PASSWORD is empty; set it or WORKDAY_PASSWORD_FILE').optional(),
      version: z
        .string()
        .regex(/^v\d+\.\d+$/, 'WORKDAY_VERSION looks like v44.0')
        .default(SIMULATOR_DEFAULTS.version),
      /** The tenant's time zone: effective dates are days there. */
      timezone: z
        .string()
        .refine(
          isTimeZone,
          'WORKDAY_TIMEZONE must be an IANA zone like America/New_York, or an offset like -08:00',
        )
        .default(SIMULATOR_DEFAULTS.timezone),
      timeoutMs: positiveInt.default(300_000),
      /** Until response headers arrive; defaults to min(180 s, timeoutMs). */
      responseTimeoutMs: positiveInt.optional(),
      /** Longest silence while the body streams; defaults to min(60 s, timeoutMs). */
      idleTimeoutMs: positiveInt.optional(),
      oauth: z
        .object({
          tokenUrl: z.url(),
          clientId: z.string().min(1),
          clientSecret: z.string().min(1),
          refreshToken: z.string().min(1),
        })
        .optional(),
    })
    .refine((w) => w.password !== undefined || w.oauth !== undefined, {
      message:
        'no Workday password: set WORKDAY_PASSWORD or WORKDAY_PASSWORD_FILE (or OAuth via WORKDAY_OAUTH_*)',
      path: ['password'],
    }),
  temporal: z.object({
    address: z.string().default('127.0.0.1:7233'),
    namespace: z.string().default('default'),
  }),
  database: z.object({
    /** postgres://… for a server, pglite:<dir> for the embedded database. */
    url: z.string().default(`pglite:${path.join(STATE_DIR, 'db')}`),
    schema: z.string().default('wdsync'),
  }),
  staging: z.object({
    kind: z.enum(['fs', 'postgres']).default('fs'),
    dir: z.string().default(path.join(STATE_DIR, 'staging')),
  }),
  sinks: z
    .array(SinkConfig)
    .min(1)
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
  }),
  /** Connection settings every Kafka client of wdsync shares unless a sink sets its own. */
  kafka: z
    .object({ clientId: z.string().default('wdsync'), ...KafkaSecurity.shape })
    .default({ clientId: 'wdsync' }),
  notify: z.object({
    webhookUrl: z.url().optional(),
    /** Operational events as CloudEvents on Kafka: brokers and topic (WDSYNC_EVENTS_KAFKA=<brokers>/<topic>). */
    kafka: z.object({ brokers: z.array(z.string()).min(1), topic: z.string() }).optional(),
    deadLetterThreshold: positiveInt.default(100),
  }),
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
    throw new ConfigError(
      `WDSYNC_SINKS: unknown sink type "${type}" in "${item}"; use postgres, jsonl:<dir> or kafka:<host:port,...>/<topic>`,
    );
  });
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

function readJsonFile(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;
}

/** Loads and validates configuration; throws ConfigError with every problem on one line each. */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): WdsyncConfig {
  const fileName =
    env.WDSYNC_CONFIG ??
    (existsSync(path.join(cwd, 'wdsync.config.json')) ? 'wdsync.config.json' : undefined);
  const file = fileName ? readJsonFile(path.resolve(cwd, fileName)) : {};
  const section = (k: string) => (file[k] ?? {}) as Record<string, unknown>;

  let password = env.WORKDAY_PASSWORD;
  if (!password && env.WORKDAY_PASSWORD_FILE) {
    try {
      password = readFileSync(env.WORKDAY_PASSWORD_FILE, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(
        `cannot read WORKDAY_PASSWORD_FILE ${env.WORKDAY_PASSWORD_FILE}: ${(err as Error).message}`,
      );
    }
    if (!password) {
      throw new ConfigError(
        `WORKDAY_PASSWORD_FILE ${env.WORKDAY_PASSWORD_FILE} is empty; put the Workday password in it`,
      );
    }
  }
  const d = SIMULATOR_DEFAULTS;
  const fileWorkday = section('workday');
  // The simulator's endpoint and credentials only when no Workday is configured at all: a real
  // endpoint with a missing password must fail, not try the simulator's password on it.
  const simulator = !env.WORKDAY_ENDPOINT && fileWorkday.endpoint === undefined;
  if (!simulator && env.WORKDAY_PASSWORD === '' && !env.WORKDAY_PASSWORD_FILE) {
    throw new ConfigError('WORKDAY_PASSWORD is empty; set the Workday password or WORKDAY_PASSWORD_FILE');
  }
  const raw = {
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
      ...defined({ address: env.TEMPORAL_ADDRESS, namespace: env.TEMPORAL_NAMESPACE }),
    },
    database: { ...section('database'), ...defined({ url: env.DATABASE_URL, schema: env.WDSYNC_DB_SCHEMA }) },
    staging: { ...section('staging'), ...defined({ kind: env.WDSYNC_STAGING, dir: env.WDSYNC_STAGING_DIR }) },
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
      ...defined({ pageSize: env.WDSYNC_PAGE_SIZE, concurrency: env.WDSYNC_CONCURRENCY }),
    },
    kafka: section('kafka'),
    notify: {
      ...section('notify'),
      ...defined({
        webhookUrl: env.WDSYNC_WEBHOOK_URL,
        deadLetterThreshold: env.WDSYNC_DEAD_LETTER_THRESHOLD,
        kafka: env.WDSYNC_EVENTS_KAFKA === undefined ? undefined : eventsKafkaEnv(env.WDSYNC_EVENTS_KAFKA),
      }),
    },
  };
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  return parsed.data;
}

/** The tenant is the part of the username after @ (Workday's ISU@tenant convention). */
export const tenantOf = (cfg: WdsyncConfig): string => cfg.workday.username.split('@')[1]!;

/** For logs and `wdsync config`: the configuration with secrets replaced. */
export function redacted(cfg: WdsyncConfig): WdsyncConfig {
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
        : s.type === 'kafka' && s.sasl
          ? { ...s, sasl: { ...s.sasl, password: '***' } }
          : s,
    ),
    kafka: cfg.kafka.sasl ? { ...cfg.kafka, sasl: { ...cfg.kafka.sasl, password: '***' } } : cfg.kafka,
  };
}
