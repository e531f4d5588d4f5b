import { z } from 'zod';

export const ZENDESK_FAULT_TYPES = [
  'rateLimit',
  'validation',
  'jobFailed',
  'expireResults',
  'serverError',
] as const;

/**
 * One injected fault. `validation` hits `rate` (or the `next` n) of the users a bulk job carries;
 * `jobFailed` and `expireResults` hit bulk jobs (the job fails whole; its results are gone before
 * anyone reads them); `rateLimit` and `serverError` hit API requests (429 with Retry-After; 500).
 */
export const ZendeskFaultRule = z
  .object({
    type: z.enum(ZENDESK_FAULT_TYPES),
    rate: z.number().min(0).max(1).optional(),
    next: z.number().int().positive().optional(),
    message: z.string().optional(),
    /** rateLimit only: the Retry-After it answers, in seconds (default 1). */
    retryAfterSec: z.number().int().min(0).optional(),
  })
  .refine((r) => r.rate !== undefined || r.next !== undefined, { message: 'a fault needs rate or next' });
export type ZendeskFaultRule = z.infer<typeof ZendeskFaultRule>;

/** A custom user field (Admin Center > People > User fields): its key and type. */
export const UserFieldDef = z.object({
  key: z.string().regex(/^[A-Za-z0-9_]+$/),
  type: z.enum(['text', 'date', 'checkbox', 'integer']).default('text'),
});

export const ZendeskSimulatorOptions = z.object({
  port: z.number().int().min(0).max(65535).default(0),
  host: z.string().default('127.0.0.1'),
  /** The agent whose API token the sink uses (`<email>/token:<token>` basic auth). */
  email: z.string().min(3).default('wdsync@example.com'),
  apiToken: z.string().min(1).default('wdsync-zd-token'),
  /** An OAuth access token accepted as `Authorization: Bearer`. */
  oauthToken: z.string().min(1).default('wdsync-zd-oauth'),
  /** How long a bulk job stays queued, then working, before it completes. */
  jobDelayMs: z.number().int().min(0).default(40),
  /** How long a finished job's status (and results) can be read. Zendesk keeps them about an hour. */
  jobTtlMs: z.number().int().positive().default(3_600_000),
  /** Requests per minute before 429 (Zendesk plans allow 200 to 2500). */
  requestsPerMinute: z.number().int().positive().default(2500),
  seed: z.number().int().min(0).default(1),
  userFields: z.array(UserFieldDef).default([
    { key: 'workday_id', type: 'text' },
    { key: 'worker_id', type: 'text' },
    { key: 'manager_wid', type: 'text' },
    { key: 'hire_date', type: 'date' },
    { key: 'termination_date', type: 'date' },
    { key: 'location', type: 'text' },
    { key: 'workday_as_of', type: 'text' },
  ]),
  faults: z.array(ZendeskFaultRule).default([]),
});
export type ZendeskSimulatorOptions = z.infer<typeof ZendeskSimulatorOptions>;
export type ZendeskSimulatorOptionsInput = z.input<typeof ZendeskSimulatorOptions>;
