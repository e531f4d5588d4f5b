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

export const FAULT_TYPES = ['lock', 'validation', 'expireToken', 'requestLimit'] as const;

/**
 * One injected fault. Per-record faults (lock, validation) hit `rate` of the records an upsert
 * carries, or the `next` n of them; request faults (expireToken, requestLimit) hit `rate` of the
 * API requests, or the `next` n.
 */
export const FaultRule = z
  .object({
    type: z.enum(FAULT_TYPES),
    rate: z.number().min(0).max(1).optional(),
    next: z.number().int().positive().optional(),
    message: z.string().optional(),
  })
  .refine((r) => r.rate !== undefined || r.next !== undefined, { message: 'a fault needs rate or next' });
export type FaultRule = z.infer<typeof FaultRule>;

const DEFAULT_FIELDS: z.input<typeof FieldDef>[] = [
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
  fields: z.array(FieldDef).default(DEFAULT_FIELDS.map((f) => FieldDef.parse(f))),
  faults: z.array(FaultRule).default([]),
});
export type SalesforceSimulatorOptions = z.infer<typeof SalesforceSimulatorOptions>;
export type SalesforceSimulatorOptionsInput = z.input<typeof SalesforceSimulatorOptions>;
