import { z } from 'zod';

/**
 * Everything the simulator can be told at start. Every field has a default, so
 * `startSimulator()` with no argument gives a working tenant; the CLI maps its flags onto this
 * schema and tests pass partial objects. Runtime changes (faults, latency, churn rate, clock) go
 * through the admin API, validated by the schemas exported here.
 */

const isoDateTime = z.iso.datetime({ offset: true });

export const LatencyModel = z
  .object({
    /** Fixed cost of every Get_Workers answer before the first byte (ms). */
    baseMs: z.number().min(0).default(20),
    /** Cost per worker written, paid while streaming, so a 999-worker page is slow (ms). */
    perWorkerMs: z.number().min(0).default(0.05),
    /** Uniform random extra in [0, jitterMs) added to the base (ms, seeded). */
    jitterMs: z.number().min(0).default(20),
    /** Probability that a request lands in the slow tail. */
    slowTailRate: z.number().min(0).max(1).default(0),
    /** Extra delay of a slow-tail request (ms). */
    slowTailMs: z.number().min(0).default(5000),
  })
  .strict();
export type LatencyModel = z.infer<typeof LatencyModel>;

export const FAULT_TYPES = [
  'processing',
  'throttle',
  'http429',
  'http503',
  'maintenance',
  'hang',
  'reset',
  'truncate',
  /** Dirty data, not a transport fault: the first `records` workers of the page carry an invalid WID. */
  'dirtyRecords',
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

export const FaultRule = z
  .object({
    type: z.enum(FAULT_TYPES),
    /** Seeded probability per matching request (reproducible for a given request order). */
    rate: z.number().min(0).max(1).optional(),
    /** Only requests for these page numbers match. */
    pages: z.array(z.number().int().min(1)).min(1).optional(),
    /** Fire on the next N matching requests, then stop. */
    next: z.number().int().min(1).optional(),
    /** Retry-After seconds for http429 / http503 / maintenance. */
    retryAfterSec: z.number().int().min(0).optional(),
    /** Where reset/truncate cut the body: fraction of the page's workers written first. */
    atFraction: z.number().min(0).max(1).optional(),
    /** dirtyRecords: how many workers of each matching page are dirty (default 1). */
    records: z.number().int().min(1).optional(),
    /** Overrides the Detail_Message of a processing fault. */
    message: z.string().min(1).optional(),
  })
  .strict();
export type FaultRule = z.infer<typeof FaultRule>;

/**
 * Workday's limit on one Get_Workers response. Over it the tenant refuses the page in one of the
 * ways Workday does: a Processing_Fault saying the response is too large (sent after building the
 * page, before any of it), the connection cut once the body has passed the limit, or no answer at
 * all until the client gives up.
 */
export const ResponseLimit = z
  .object({
    /** Largest response body the tenant sends, in bytes before gzip. */
    maxBytes: z.number().int().min(1),
    mode: z.enum(['fault', 'reset', 'hang']).default('fault'),
  })
  .strict();
export type ResponseLimit = z.infer<typeof ResponseLimit>;

export const Maintenance = z
  .object({
    active: z.boolean().default(false),
    /** A window on the simulator clock; inside it every SOAP request gets 503. */
    from: isoDateTime.optional(),
    until: isoDateTime.optional(),
    retryAfterSec: z.number().int().min(0).default(300),
  })
  .strict();
export type Maintenance = z.infer<typeof Maintenance>;

export const FaultSettings = z
  .object({
    rules: z.array(FaultRule).default([]),
    /** Admitted Get_Workers requests in flight per tenant; beyond it requests are throttled. */
    concurrencyCap: z.number().int().min(1).nullable().default(null),
    /** How a request over the cap is refused: Workday's SOAP 500 throttle, or 429/503 with Retry-After. */
    capResponse: z.enum(['throttle', 'http429', 'http503']).default('throttle'),
    /** A response-size limit (default none: any page is answered whole). */
    responseLimit: ResponseLimit.nullable().default(null),
    maintenance: Maintenance.default({ active: false, retryAfterSec: 300 }),
    latency: LatencyModel.default(LatencyModel.parse({})),
  })
  .strict();
export type FaultSettings = z.infer<typeof FaultSettings>;

/** A maintenance change: given keys replace; `from` / `until` set to null clear the window's ends. */
export const MaintenancePatch = z
  .object({
    active: z.boolean().optional(),
    from: isoDateTime.nullable().optional(),
    until: isoDateTime.nullable().optional(),
    retryAfterSec: z.number().int().min(0).optional(),
  })
  .strict();
export type MaintenancePatch = z.infer<typeof MaintenancePatch>;

/** A runtime change: top-level keys replace, latency and maintenance merge. */
export const FaultPatch = z
  .object({
    rules: z.array(FaultRule).optional(),
    concurrencyCap: z.number().int().min(1).nullable().optional(),
    capResponse: z.enum(['throttle', 'http429', 'http503']).optional(),
    responseLimit: ResponseLimit.nullable().optional(),
    maintenance: MaintenancePatch.optional(),
    latency: LatencyModel.partial().optional(),
  })
  .strict();
export type FaultPatch = z.infer<typeof FaultPatch>;

export const OAuthOptions = z
  .object({
    clientId: z.string().min(1).default('wdsync-client'),
    clientSecret: z.string().min(1).default('wdsync-secret'),
    refreshToken: z.string().min(1).default('wdsync-refresh-token'),
    /** Lifetime of issued Bearer tokens, on the simulator clock. */
    accessTokenTtlSec: z.number().int().min(1).default(3600),
  })
  .strict();
export type OAuthOptions = z.infer<typeof OAuthOptions>;

export const SimulatorOptions = z
  .object({
    /** 0 picks a free port. */
    port: z.number().int().min(0).max(65535).default(0),
    host: z.string().min(1).default('127.0.0.1'),
    tenant: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'tenant must be letters, digits, _ or -')
      .default('acme'),
    /** Integration system user; Workday wants `user@tenant`. */
    username: z.string().min(1).default('isu_wdsync@acme'),
    password: z.string().min(1).default('wdsync'),
    /** Web service version the endpoint advertises and echoes as wd:version. */
    version: z
      .string()
      .regex(/^v\d+\.\d+$/, 'version looks like v44.0')
      .default('v44.0'),
    /** Workers in the initial population (churn hires add more). */
    workers: z.number().int().min(0).max(5_000_000).default(10_000),
    seed: z.number().int().min(0).max(0xffffffff).default(42),
    /** Simulator clock start (ISO). Default: the real time at start. The dataset is anchored on its date. */
    clockStart: isoDateTime.optional(),
    /** A frozen clock only moves by admin set/advance (and by 1 ms per churn batch). */
    clockFrozen: z.boolean().default(false),
    /** Tenant UTC offset used for "today" and for dates/dateTimes in responses. */
    timezone: z
      .string()
      .regex(/^[+-]\d{2}:\d{2}$/, 'timezone looks like -08:00')
      .default('-08:00'),
    /** Background changes per second of real time (hires, terminations, edits). */
    churnRate: z.number().min(0).default(0),
    /**
     * Who carries a Universal_ID (Worker_Data/Universal_ID): `every-person`, as in a tenant with a
     * Universal ID sequence generator (Edit Tenant Setup - System), where every person gets one at
     * hire and keeps it across WIDs; `conversions`, only a person with a second WID (a converted
     * contingent worker), from the conversion on.
     */
    universalIds: z.enum(['conversions', 'every-person']).default('conversions'),
    /** Report Page_Results = Count instead of the rows returned, as some real tenants do. */
    pageResultsQuirk: z.boolean().default(false),
    /** Requests kept in the request log (oldest dropped first). */
    requestLogSize: z.number().int().min(0).default(10_000),
    faults: FaultSettings.default(FaultSettings.parse({})),
    oauth: OAuthOptions.default(OAuthOptions.parse({})),
  })
  .strict();
export type SimulatorOptions = z.infer<typeof SimulatorOptions>;
export type SimulatorOptionsInput = z.input<typeof SimulatorOptions>;

/** Parses options, turning zod's issues into one readable line. */
export function parseSimulatorOptions(input: unknown): SimulatorOptions {
  const given = (input ?? {}) as Record<string, unknown>;
  // A tenant without a username gets the default user on that tenant, so `user@tenant` agrees.
  const withUser =
    typeof given.tenant === 'string' && given.username === undefined
      ? { ...given, username: `isu_wdsync@${given.tenant}` }
      : given;
  const r = SimulatorOptions.safeParse(withUser);
  if (!r.success) throw new Error(`invalid simulator options: ${formatIssues(r.error)}`);
  return r.data;
}

export function formatIssues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}
