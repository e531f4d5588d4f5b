import { z } from 'zod';

/** A Contact field as describe reports it. */
export const FieldDef = z.object({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/),
  type: z.enum(['id', 'string', 'email', 'boolean', 'date', 'datetime', 'double', 'phone', 'reference']),
  externalId: z.boolean().default(false),
  unique: z.boolean().default(false),
  nillable: z.boolean().default(true),
  length: z.number().int().positive().default(255),
});
export type FieldDef = z.infer<typeof FieldDef>;

export const FAULT_TYPES = [
  'lock',
  'validation',
  'expireToken',
  'requestLimit',
  'slowJob',
  'jobFailure',
  'serverError',
] as const;

/**
 * One injected fault. Per-record faults (lock, validation) hit `rate` of the records an upsert
 * carries, or the `next` n of them; request faults (expireToken, requestLimit) hit `rate` of the
 * API requests, or the `next` n (serverError: 503 SERVER_UNAVAILABLE). Bulk faults hit `rate` of the ingest jobs, or the `next` n: a
 * slow job waits `delayMs` in UploadComplete before it runs; a failed job stops halfway (state
 * Failed, the rest unprocessed).
 */
export const FaultRule = z
  .object({
    type: z.enum(FAULT_TYPES),
    rate: z.number().min(0).max(1).optional(),
    next: z.number().int().positive().optional(),
    message: z.string().optional(),
    delayMs: z.number().int().min(0).max(600_000).optional(),
  })
  .refine((r) => r.rate !== undefined || r.next !== undefined, { message: 'a fault needs rate or next' });
export type FaultRule = z.infer<typeof FaultRule>;

/** The Contact fields the simulator describes unless told others (a test adds its own to these). */
export const DEFAULT_FIELDS: z.input<typeof FieldDef>[] = [
  { name: 'FirstName', type: 'string', length: 40 },
  { name: 'LastName', type: 'string', length: 80, nillable: false },
  { name: 'Email', type: 'email', length: 80 },
  { name: 'Phone', type: 'phone', length: 40 },
  { name: 'Title', type: 'string', length: 128 },
  { name: 'Department', type: 'string', length: 80 },
  { name: 'MailingCity', type: 'string', length: 40 },
  { name: 'MailingCountry', type: 'string', length: 80 },
  { name: 'Workday_ID__c', type: 'string', length: 32, externalId: true, unique: true },
  { name: 'Worker_ID__c', type: 'string', length: 40, externalId: true, unique: true },
  { name: 'Workday_Manager_ID__c', type: 'string', length: 32 },
  { name: 'Active__c', type: 'boolean' },
  { name: 'Hire_Date__c', type: 'date' },
  { name: 'Termination_Date__c', type: 'date' },
  { name: 'Company__c', type: 'string', length: 80 },
  { name: 'Location__c', type: 'string', length: 120 },
  { name: 'Worker_Type__c', type: 'string', length: 40 },
  { name: 'Source__c', type: 'string', length: 40 },
  { name: 'Workday_As_Of__c', type: 'datetime' },
  { name: 'ReportsToId', type: 'reference', length: 18 },
];

export const SalesforceSimulatorOptions = z.object({
  port: z.number().int().min(0).max(65535).default(0),
  host: z.string().default('127.0.0.1'),
  clientId: z.string().min(1).default('wdsync-sf-client'),
  clientSecret: z.string().min(1).default('wdsync-sf-secret'),
  /** Highest API version served, as `/services/data` lists it. */
  apiVersion: z
    .string()
    .regex(/^\d+\.\d$/)
    .default('62.0'),
  tokenTtlSec: z.number().int().positive().default(7200),
  /** The org's API request allowance (Sforce-Limit-Info's m); beyond it every call is REQUEST_LIMIT_EXCEEDED. */
  apiLimit: z.number().int().positive().default(1_000_000),
  seed: z.number().int().min(0).default(1),
  /**
   * Simulated service time, so transports can be compared as against a real org: every API
   * request waits requestMs, every record written costs recordMs (Collections serially; a Bulk job
   * over bulkParallel workers), and a Bulk job queues bulkQueueMs before it runs. All 0 by default.
   */
  latency: z
    .object({
      requestMs: z.number().min(0).default(0),
      recordMs: z.number().min(0).default(0),
      bulkQueueMs: z.number().min(0).default(0),
      bulkParallel: z.number().int().positive().default(4),
    })
    .default({ requestMs: 0, recordMs: 0, bulkQueueMs: 0, bulkParallel: 4 }),
  /**
   * The JWT bearer flow: the connected app's certificate (or public key), PEM, and the username
   * an assertion's sub must name. Absent: the flow is refused as for an app without a certificate.
   */
  jwt: z.object({ certificate: z.string().min(1), username: z.string().min(1) }).optional(),
  fields: z.array(FieldDef).default(DEFAULT_FIELDS.map((f) => FieldDef.parse(f))),
  faults: z.array(FaultRule).default([]),
});
export type SalesforceSimulatorOptions = z.infer<typeof SalesforceSimulatorOptions>;
export type SalesforceSimulatorOptionsInput = z.input<typeof SalesforceSimulatorOptions>;
