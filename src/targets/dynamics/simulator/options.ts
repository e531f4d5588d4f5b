import { z } from 'zod';

export const DATAVERSE_FAULT_TYPES = ['recordError', 'throttle', 'serverError', 'expireToken'] as const;

/**
 * One injected fault. `recordError` hits `rate` (or the `next` n) of the writes (a plug-in
 * refusing the row, 0x80040265); `throttle`, `serverError` and `expireToken` hit requests (429
 * with Retry-After; 500; 401 with the token revoked).
 */
export const DataverseFaultRule = z
  .object({
    type: z.enum(DATAVERSE_FAULT_TYPES),
    rate: z.number().min(0).max(1).optional(),
    next: z.number().int().positive().optional(),
    message: z.string().optional(),
    /** throttle only: the Retry-After it answers, in seconds (default 1). */
    retryAfterSec: z.number().int().min(0).optional(),
  })
  .refine((r) => r.rate !== undefined || r.next !== undefined, { message: 'a fault needs rate or next' });
export type DataverseFaultRule = z.infer<typeof DataverseFaultRule>;

export const ColumnDef = z.object({
  type: z.enum(['string', 'memo', 'int', 'bool', 'date', 'datetime']),
  maxLength: z.number().int().positive().optional(),
});
export type ColumnDef = z.infer<typeof ColumnDef>;

export const TableDef = z.object({
  entitySet: z.string().regex(/^[a-z][a-z0-9_]*$/),
  logicalName: z.string().regex(/^[a-z][a-z0-9_]*$/),
  primaryId: z.string(),
  /** The alternate key (one column) rows can be addressed and upserted by. */
  alternateKey: z.string(),
  columns: z.record(z.string(), ColumnDef),
  /** Single-valued navigation properties: name -> the entity set it points at and the _x_value column. */
  lookups: z.record(z.string(), z.object({ target: z.string(), column: z.string() })).default({}),
});
export type TableDef = z.infer<typeof TableDef>;

const s = (maxLength: number) => ({ type: 'string' as const, maxLength });

export const DEFAULT_TABLES: z.input<typeof TableDef>[] = [
  {
    entitySet: 'contacts',
    logicalName: 'contact',
    primaryId: 'contactid',
    alternateKey: 'wd_workdayid',
    columns: {
      firstname: s(50),
      lastname: s(50),
      emailaddress1: s(100),
      telephone1: s(50),
      jobtitle: s(100),
      department: s(100),
      address1_city: s(80),
      address1_country: s(80),
      description: { type: 'memo', maxLength: 2000 },
      statecode: { type: 'int' },
      statuscode: { type: 'int' },
      wd_workdayid: s(32),
      wd_workerid: s(40),
      wd_managerwid: s(32),
      wd_company: s(100),
      wd_location: s(120),
      wd_source: s(40),
      wd_active: { type: 'bool' },
      wd_hiredate: { type: 'date' },
      wd_terminationdate: { type: 'date' },
      wd_asof: { type: 'datetime' },
    },
    lookups: { parentcustomerid_account: { target: 'accounts', column: '_parentcustomerid_value' } },
  },
  {
    entitySet: 'accounts',
    logicalName: 'account',
    primaryId: 'accountid',
    alternateKey: 'accountnumber',
    columns: { name: s(160), accountnumber: s(20) },
  },
];

export const DataverseSimulatorOptions = z.object({
  port: z.number().int().min(0).max(65535).default(0),
  host: z.string().default('127.0.0.1'),
  /** The Entra ID tenant the token endpoint serves: /{tenantId}/oauth2/v2.0/token. */
  tenantId: z.string().min(1).default('5f2b3c4d-0000-4000-8000-00000000aaaa'),
  /** The app registration (application user) and its client secret. */
  clientId: z.string().min(1).default('6a1e9f00-0000-4000-8000-00000000bbbb'),
  clientSecret: z.string().min(1).default('wdsync-dv-secret'),
  tokenTtlSec: z.number().int().positive().default(3599),
  /** Service protection: requests per user in the sliding window (each operation of a $batch counts). */
  requestLimit: z.number().int().positive().default(6000),
  windowSec: z.number().int().positive().default(300),
  /** Service protection: concurrent requests per user. */
  concurrencyLimit: z.number().int().positive().default(52),
  seed: z.number().int().min(0).default(1),
  tables: z.array(TableDef).default(DEFAULT_TABLES.map((t) => TableDef.parse(t))),
  faults: z.array(DataverseFaultRule).default([]),
});
export type DataverseSimulatorOptions = z.infer<typeof DataverseSimulatorOptions>;
export type DataverseSimulatorOptionsInput = z.input<typeof DataverseSimulatorOptions>;
