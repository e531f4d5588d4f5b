import { inspect } from 'node:util';
import { z } from 'zod';
import { WorkdayConfigError } from './errors';

/**
 * A secret that cannot leak by accident: string conversion, JSON and util.inspect (console.log,
 * error reporters) all print a placeholder. Only `reveal()` gives the value, at the point of use.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return '[redacted]';
  }
}

const secret = (what: string) =>
  z
    .union([z.string(), z.instanceof(Secret)])
    .transform((v) => (v instanceof Secret ? v : new Secret(v)))
    .refine((s) => s.reveal().length > 0, `${what} must not be empty`);

function safeUrl(u: string): URL | undefined {
  try {
    return new URL(u);
  } catch {
    return undefined;
  }
}

/** 127.0.0.0/8, ::1 and localhost: plain http there never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Decompressed bytes of one response wdsync reads at most: 8x the largest real page (~15 MB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 128 * 1024 * 1024;

/**
 * Problems with an endpoint that carries secrets where they do not belong. Messages never echo
 * the URL: the point is that it holds a secret.
 */
export function endpointSecurityProblems(
  endpoint: string,
  opts: { allowHttpHosts: readonly string[]; name?: string },
): string[] {
  const name = opts.name ?? 'WORKDAY_ENDPOINT';
  const u = safeUrl(endpoint);
  if (!u) return [];
  const problems: string[] = [];
  if (u.username || u.password) {
    problems.push(
      `${name} must not hold a user name or password (user:pass@host): remove them and set WORKDAY_USERNAME and WORKDAY_PASSWORD (or WORKDAY_PASSWORD_FILE)`,
    );
  }
  const host = u.hostname.toLowerCase();
  // Every request carries a secret: the WS-Security password, or an OAuth bearer token (and the
  // token URL gets the client secret and refresh token).
  if (
    u.protocol === 'http:' &&
    !isLoopbackHost(host) &&
    !opts.allowHttpHosts.some((h) => h.toLowerCase() === host)
  ) {
    problems.push(
      `${name} uses plain http:// to ${host}, which would send the Workday password or OAuth secrets unencrypted: use https://, or, for a simulator on a trusted network, list the host in WORKDAY_ALLOW_HTTP_HOSTS`,
    );
  }
  return problems;
}

/** `/ccx/service/<tenant>/Human_Resources[/vNN.N]`: where the tenant name comes from. */
const ENDPOINT_PATH = /\/ccx\/service\/([^/]+)\/Human_Resources(?:\/(v\d+(?:\.\d+)?))?\/?$/;

/**
 * The fields of one Workday connection. wdsync's own configuration embeds them (plus the tenant's
 * time zone) so Workday settings are validated once, at the edge, by the same rules.
 */
export const workdayFields = {
  /** Full Human_Resources URL, e.g. https://wd2-impl-services1.workday.com/ccx/service/acme/Human_Resources/v44.0 */
  endpoint: z
    .string()
    .url('WORKDAY_ENDPOINT must be a URL like https://<host>/ccx/service/<tenant>/Human_Resources/v44.0')
    .refine((u) => /^https?:$/.test(safeUrl(u)?.protocol ?? 'http:'), 'WORKDAY_ENDPOINT must be http(s)')
    .refine(
      (u) => !safeUrl(u) || /Human_Resources/.test(safeUrl(u)!.pathname),
      'WORKDAY_ENDPOINT must be the Human_Resources service URL (…/ccx/service/<tenant>/Human_Resources/v44.0)',
    ),
  /** Integration system user as user@tenant. */
  username: z
    .string({ error: 'set WORKDAY_USERNAME (user@tenant)' })
    .regex(/^[^@\s]+@[^@\s]+$/, 'WORKDAY_USERNAME must be user@tenant, e.g. isu_wdsync@acme'),
  password: secret('WORKDAY_PASSWORD').optional(),
  /** Sent as bsvc:version on the request root. */
  version: z
    .string()
    .regex(/^v\d+(\.\d+)?$/, 'WORKDAY_VERSION must look like v44.0')
    .default('v44.0'),
  /** Whole-request deadline: connect, Workday's processing and the full body. Big pages are slow. */
  timeoutMs: z.coerce.number().int().positive().default(300_000),
  /** Until the response headers arrive (connect plus Workday building the page); default min(180 s, timeoutMs). */
  responseTimeoutMs: z.coerce.number().int().positive().optional(),
  /** Longest silence allowed while the body streams; catches stalled connections early. Default min(60 s, timeoutMs). */
  idleTimeoutMs: z.coerce.number().int().positive().optional(),
  /** PEM bundle of the CA(s) that signed Workday's (or a TLS proxy's) certificate, beside the system's. */
  caFile: z.string().min(1).optional(),
  /** Client certificate and key (PEM), for endpoints behind mutual TLS. */
  clientCertFile: z.string().min(1).optional(),
  clientKeyFile: z.string().min(1).optional(),
  /** Most decompressed bytes of one response (a gzip bomb is refused, not held). */
  maxResponseBytes: z.coerce.number().int().positive().default(DEFAULT_MAX_RESPONSE_BYTES),
  /** Hosts besides loopback the password may go to over plain http:// (a simulator on a trusted network). */
  allowHttpHosts: z.array(z.string().min(1)).default([]),
  oauth: z
    .object({
      tokenUrl: z.string().url('oauth.tokenUrl must be a URL like https://<host>/ccx/oauth2/<tenant>/token'),
      clientId: z.string().min(1, 'oauth.clientId must not be empty'),
      clientSecret: secret('oauth.clientSecret'),
      refreshToken: secret('oauth.refreshToken'),
    })
    .optional(),
};

/**
 * The checks across fields: some way to log in, no secret in the URL nor over plain http to another
 * host, and a username of the endpoint's tenant.
 */
export function checkWorkdayConnection(
  c: {
    endpoint: string;
    username: string;
    password?: Secret;
    oauth?: { tokenUrl: string };
    allowHttpHosts: string[];
    clientCertFile?: string;
    clientKeyFile?: string;
  },
  ctx: z.RefinementCtx,
): void {
  if (!c.password && !c.oauth) {
    ctx.addIssue({
      code: 'custom',
      path: ['password'],
      message:
        'no Workday password: set WORKDAY_PASSWORD or WORKDAY_PASSWORD_FILE (or OAuth via WORKDAY_OAUTH_*)',
    });
  }
  for (const message of endpointSecurityProblems(c.endpoint, { allowHttpHosts: c.allowHttpHosts }))
    ctx.addIssue({ code: 'custom', path: ['endpoint'], message });
  if (c.oauth) {
    for (const message of endpointSecurityProblems(c.oauth.tokenUrl, {
      allowHttpHosts: c.allowHttpHosts,
      name: 'WORKDAY_OAUTH_TOKEN_URL',
    }))
      ctx.addIssue({ code: 'custom', path: ['oauth', 'tokenUrl'], message });
  }
  if (!c.clientCertFile !== !c.clientKeyFile) {
    ctx.addIssue({
      code: 'custom',
      path: ['clientCertFile'],
      message: 'a client certificate needs both WORKDAY_CLIENT_CERT_FILE and WORKDAY_CLIENT_KEY_FILE',
    });
  }
  const m = ENDPOINT_PATH.exec(safeUrl(c.endpoint)?.pathname ?? '');
  const userTenant = c.username.split('@')[1];
  if (m && userTenant && m[1] !== userTenant) {
    ctx.addIssue({
      code: 'custom',
      path: ['username'],
      message: `WORKDAY_USERNAME's tenant "${userTenant}" does not match the tenant "${m[1]}" in WORKDAY_ENDPOINT; Workday would reject the login`,
    });
  }
}

export const WorkdayConfigSchema = z.object(workdayFields).superRefine(checkWorkdayConnection);

export type WorkdayConfigInput = z.input<typeof WorkdayConfigSchema>;
export type WorkdayConfig = z.output<typeof WorkdayConfigSchema>;

/**
 * Validates Workday settings. The error lists each problem with what to change and never echoes a
 * value, so it is safe to print even when the password was the field at fault.
 */
export function parseWorkdayConfig(input: unknown): WorkdayConfig {
  const r = WorkdayConfigSchema.safeParse(input);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `${i.path.join('.') || 'workday'}: ${i.message}`);
  throw new WorkdayConfigError(`Invalid Workday configuration: ${lines.join('; ')}.`);
}

/** The tenant named in the endpoint (…/ccx/service/<tenant>/…), else the username's. */
export function tenantOf(config: Pick<WorkdayConfig, 'endpoint' | 'username'>): string {
  const m = ENDPOINT_PATH.exec(safeUrl(config.endpoint)?.pathname ?? '');
  return m?.[1] ?? config.username.split('@')[1] ?? '';
}

/** A loggable view of the settings: secrets replaced, never removed, so it is clear they are set. */
export function describeWorkdayConfig(config: WorkdayConfig): string {
  return JSON.stringify(config);
}
