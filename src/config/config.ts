import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_PLAN_LIMITS } from '../activities/plan-limits';
import { STATE_DIR } from '../devserver/temporal-binary';
import { isTimeZone } from '../time/tenant-date';
import { webhookSecretProblem } from '../notify/signature';
import { checkWorkdayConnection, Secret, workdayFields } from '../workday/config';
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
    type: z.literal('salesforce'),
    /** The mapping file (README "Mapping files"). */
    mapping: z.string().min(1, 'a salesforce sink needs a mapping file: salesforce:<mapping.json>'),
    /** Default SALESFORCE_LOGIN_URL, SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET, SALESFORCE_API_VERSION. */
    loginUrl: z.string().optional(),
    clientId: z.string().optional(),
    clientSecret: z.string().optional(),
    apiVersion: z.string().optional(),
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
  }),
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
    if (type === 'salesforce') {
      if (!arg)
        throw new ConfigError(
          `WDSYNC_SINKS: "${item}" needs a mapping file, e.g. crm=salesforce:examples/salesforce-contact.json`,
        );
      return { name, type, mapping: arg };
    }
    throw new ConfigError(
      `WDSYNC_SINKS: unknown sink type "${type}" in "${item}"; use postgres, jsonl:<dir>, kafka:<host:port,...>/<topic> or salesforce:<mapping.json>`,
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

/** Loads and validates configuration; throws ConfigError with every problem on one line each. */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): WdsyncConfig {
  const fileName =
    env.WDSYNC_CONFIG ??
    (existsSync(path.join(cwd, 'wdsync.config.json')) ? 'wdsync.config.json' : undefined);
  const file = fileName ? readJsonFile(path.resolve(cwd, fileName)) : {};
  const section = (k: string) => (file[k] ?? {}) as Record<string, unknown>;

  const password =
    env.WORKDAY_PASSWORD ||
    (env.WORKDAY_PASSWORD_FILE
      ? readSecretFile('WORKDAY_PASSWORD_FILE', env.WORKDAY_PASSWORD_FILE, 'the Workday password')
      : undefined);
  const webhookSecretFile = env.WDSYNC_WEBHOOK_SECRET_FILE ?? section('notify').webhookSecretFile;
  const webhookSecret =
    typeof webhookSecretFile === 'string'
      ? readSecretFile('WDSYNC_WEBHOOK_SECRET_FILE', webhookSecretFile, 'the webhook signing secret')
      : undefined;
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
    staging: { ...section('staging'), ...defined({ kind: env.WDSYNC_STAGING, dir: env.WDSYNC_STAGING_DIR }) },
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
      ...defined({ pageSize: env.WDSYNC_PAGE_SIZE, concurrency: env.WDSYNC_CONCURRENCY }),
    },
    kafka: section('kafka'),
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
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  return parsed.data;
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
        : s.type === 'salesforce' && s.clientSecret
          ? { ...s, clientSecret: '***' }
          : s.type === 'kafka' && s.sasl
            ? { ...s, sasl: { ...s.sasl, password: '***' } }
            : s,
    ),
    kafka: cfg.kafka.sasl ? { ...cfg.kafka, sasl: { ...cfg.kafka.sasl, password: '***' } } : cfg.kafka,
  };
}
