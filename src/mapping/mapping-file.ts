import { readFileSync } from 'node:fs';
import jsonata from 'jsonata';
import { z } from 'zod';
import type { NormalizedWorker } from '../domain/worker-record';

/**
 * A sink's mapping file: which target object, the match key, the target fields as JSONata
 * expressions over the normalized record, fields set only on create, a scoping filter and the
 * action switches. Validated with zod, then every expression is compiled, so a bad file fails at
 * start with the path of the bad entry and what to change, never halfway through a run.
 */

const API_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * What a field, object and match-key name may be in each target, so a typo fails at load: a
 * Salesforce API name; a Zendesk user property, a custom user field (`user_fields.<key>`) or the
 * user's organization (`organization.external_id`, `organization.name`); a Dataverse column's
 * logical name, or a lookup bound to another row (`<navigation property>@odata.bind`).
 */
export const MAPPING_TARGETS = {
  salesforce: {
    field: API_NAME,
    object: API_NAME,
    fieldHint: 'field names are API names such as Title or Active__c',
    objectHint: 'expected a Salesforce API name such as Title or Active__c',
  },
  zendesk: {
    field: /^(?:(?:user_fields\.)?[a-z][a-z0-9_]*|organization\.(?:external_id|name))$/,
    object: /^user$/,
    fieldHint:
      'field names are Zendesk user properties (name, email, role, suspended, ...), user_fields.<key> or organization.external_id / organization.name',
    objectHint: 'the Zendesk object is "user"',
  },
  dynamics: {
    field: /^(?:[a-z][a-z0-9_]*|[A-Za-z][A-Za-z0-9_]*@odata\.bind)$/,
    object: /^[a-z][a-z0-9_]*$/,
    fieldHint:
      'field names are Dataverse logical names such as firstname or wd_workdayid, or lookups such as parentcustomerid_account@odata.bind',
    objectHint: 'expected a Dataverse entity set name such as contacts',
  },
} as const;
export type MappingTarget = keyof typeof MAPPING_TARGETS;

/**
 * A relationship set by external id: the record whose `externalIdField` equals this record's
 * `field` (a mapped field, e.g. Workday_Manager_ID__c from employment.managerWid). The key lives in
 * a field of the target so a pass at run end can link what a page could not (a manager written
 * on a later page) from what the target holds, on any worker and after any crash.
 */
const salesforceName = z.string().regex(API_NAME, MAPPING_TARGETS.salesforce.fieldHint);
const Reference = z
  .object({
    object: salesforceName,
    externalIdField: salesforceName,
    field: salesforceName,
  })
  .strict();

export const LIFECYCLE_ACTIONS = ['deactivate', 'delete', 'nothing'] as const;
export const MATCH_KEY_SOURCES = ['wid', 'workerId', 'personId'] as const;

const expr = z.string().min(1, 'expected a JSONata expression, e.g. "employment.businessTitle"');

function mappingSchema(target: MappingTarget) {
  const rule = MAPPING_TARGETS[target];
  const apiName = z.string().regex(rule.field, rule.fieldHint);
  const fieldMap = z.record(z.string(), expr).superRefine((m, ctx) => {
    for (const k of Object.keys(m))
      if (!rule.field.test(k)) ctx.addIssue({ code: 'custom', path: [k], message: rule.fieldHint });
  });
  return z
    .object({
      /** The target object, e.g. Contact. */
      object: z.string().regex(rule.object, rule.objectHint),
      /**
       * The external-id field records are matched on, and the worker field that feeds it: the WID,
       * the worker id, or the person (Universal_ID, else the WID) so that a person's WIDs (a
       * contingent worker converted to an employee) share one record. A person key needs
       * `ownerField`: the field that holds the WID which last wrote the record, so the old WID's
       * termination or removal never deactivates the record the person's new WID now owns.
       */
      matchKey: z
        .object({ field: apiName, from: z.enum(MATCH_KEY_SOURCES), ownerField: apiName.optional() })
        .strict(),
      /** Target field -> JSONata expression over the normalized record. */
      fields: fieldMap,
      /** Set only when the record is created (e.g. a source marker), never on update. */
      onCreate: fieldMap.default({}),
      /** A JSONata expression; a record is in scope when it evaluates to true. Absent: every record. */
      scope: expr.optional(),
      /**
       * A datetime field the sink stamps with the delivering run's snapshot moment, so a run from an
       * older snapshot never writes over a newer one's values (runs may overlap). Absent: no guard.
       */
      asOfField: apiName.optional(),
      /** Relationship name (e.g. ReportsTo) -> the record it points to, by external id. */
      references: z.record(z.string(), Reference).default({}),
      /** The fields a deactivation writes, e.g. { "Active__c": "false" }. */
      deactivate: fieldMap.default({}),
      actions: z
        .object({
          create: z.boolean().default(true),
          update: z.boolean().default(true),
          onTermination: z.enum(LIFECYCLE_ACTIONS).default('deactivate'),
          onRemoval: z.enum(LIFECYCLE_ACTIONS).default('nothing'),
          /** A rescinded hire (employment.hireRescinded); default: what onTermination says. */
          onRescind: z.enum(LIFECYCLE_ACTIONS).optional(),
        })
        .strict()
        .default({ create: true, update: true, onTermination: 'deactivate', onRemoval: 'nothing' }),
    })
    .strict()
    .superRefine((m, ctx) => {
      for (const [rel, ref] of Object.entries(m.references)) {
        if (!API_NAME.test(rel) || rel.endsWith('__c') || rel.endsWith('Id'))
          ctx.addIssue({
            code: 'custom',
            path: ['references', rel],
            message:
              'a reference is named by its relationship, e.g. ReportsTo (for ReportsToId) or Manager__r (for Manager__c)',
          });
        if (m.fields[ref.field] === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['references', rel, 'field'],
            message: `${ref.field} is not in fields; map it there, e.g. "${ref.field}": "employment.managerWid"`,
          });
        if (m.fields[rel] !== undefined || m.fields[`${rel}Id`] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['fields', m.fields[rel] !== undefined ? rel : `${rel}Id`],
            message: `${rel} is set by references.${rel}; remove it from fields`,
          });
      }
      if (m.fields[m.matchKey.field] !== undefined || m.onCreate[m.matchKey.field] !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['fields', m.matchKey.field],
          message: `${m.matchKey.field} is the match key, filled from ${m.matchKey.from}; remove it from fields`,
        });
      const owner = m.matchKey.ownerField;
      if (m.matchKey.from === 'personId' && !owner)
        ctx.addIssue({
          code: 'custom',
          path: ['matchKey', 'ownerField'],
          message:
            'a person key needs an owner field that holds the WID owning the record, e.g. "ownerField": "Workday_ID__c", so the old WID\'s termination leaves the new WID\'s record alone',
        });
      if (owner && m.matchKey.from !== 'personId')
        ctx.addIssue({
          code: 'custom',
          path: ['matchKey', 'ownerField'],
          message: `ownerField is for "from": "personId"; a ${m.matchKey.from} key is one WID's already`,
        });
      if (owner && owner === m.matchKey.field)
        ctx.addIssue({
          code: 'custom',
          path: ['matchKey', 'ownerField'],
          message: 'ownerField holds the WID, matchKey.field the person: they must be two fields',
        });
      if (owner && (m.fields[owner] !== undefined || m.onCreate[owner] !== undefined))
        ctx.addIssue({
          code: 'custom',
          path: ['fields', owner],
          message: `${owner} is the owner field, filled with the WID; remove it from ${m.fields[owner] !== undefined ? 'fields' : 'onCreate'}`,
        });
      for (const action of ['onTermination', 'onRemoval', 'onRescind'] as const)
        if (m.actions[action] === 'deactivate' && Object.keys(m.deactivate).length === 0)
          ctx.addIssue({
            code: 'custom',
            path: ['deactivate'],
            message: `actions.${action} is "deactivate": say what that writes, e.g. "deactivate": { "Active__c": "false" }`,
          });
    });
}

export const MappingFile = mappingSchema('salesforce');
const SCHEMAS: Record<MappingTarget, typeof MappingFile> = {
  salesforce: MappingFile,
  zendesk: mappingSchema('zendesk'),
  dynamics: mappingSchema('dynamics'),
};
export type MappingFile = z.infer<typeof MappingFile>;

/**
 * What the mapping does to a leaver's record: a rescinded hire follows `onRescind` (or, unset,
 * `onTermination`), a terminated worker `onTermination`; undefined for a worker still employed.
 */
export function lifecycleAction(
  file: MappingFile,
  m: Pick<MappedRecord, 'rescinded' | 'terminated'>,
): (typeof LIFECYCLE_ACTIONS)[number] | undefined {
  if (m.rescinded) return file.actions.onRescind ?? file.actions.onTermination;
  return m.terminated ? file.actions.onTermination : undefined;
}

export class MappingError extends Error {
  override name = 'ConfigError';
}

type Value = string | number | boolean | null;
type Compiled = [field: string, source: string, run: jsonata.Expression][];

/**
 * The match key's value for a worker: its WID, its worker id, or its person (Universal_ID, else
 * the WID: a worker Workday gives no Universal_ID is a person of one WID).
 */
export function matchKeyOf(
  file: Pick<MappingFile, 'matchKey'>,
  w: { wid: string; workerId?: string; personId?: string },
): string | undefined {
  const from = file.matchKey.from;
  return from === 'wid' ? w.wid : from === 'workerId' ? w.workerId : (w.personId ?? w.wid);
}

/**
 * Whether the record the target holds for a person key belongs to another of the person's WIDs
 * (its owner field names another WID): a termination or removal of this WID must leave it alone.
 */
export function ownedByAnother(held: { owner?: string } | undefined, wid: string): boolean {
  return Boolean(held?.owner && held.owner !== wid);
}

export interface MappedRecord {
  wid: string;
  /** The match key's value (the record's WID, worker id or person). */
  key: string;
  inScope: boolean;
  terminated: boolean;
  /** The hire was rescinded: the worker never started. */
  rescinded: boolean;
  /** Written on create and on update. */
  values: Record<string, Value>;
  /** Written on create only. */
  createOnly: Record<string, Value>;
  /** Written when the record is deactivated. */
  deactivate: Record<string, Value>;
}

export interface Mapping {
  readonly file: MappingFile;
  map(record: NormalizedWorker): Promise<MappedRecord>;
}

function where(source: string | undefined): string {
  return source ? ` (in ${source})` : '';
}

function issuePath(path: readonly PropertyKey[]): string {
  return path.length ? path.map(String).join('.') : '(top level)';
}

function compile(entries: Record<string, string>, at: string, source?: string): Compiled {
  return Object.entries(entries).map(([field, text]) => {
    try {
      return [field, text, jsonata(text)];
    } catch (e) {
      const err = e as { message: string; position?: number };
      throw new MappingError(
        `${at}.${field}${where(source)}: not a valid JSONata expression: ${err.message}${err.position !== undefined ? ` at position ${err.position}` : ''}; quote string constants ("'Workday'") and write paths like employment.businessTitle`,
      );
    }
  });
}

/** Validates and compiles a mapping for a target; `source` names the file in errors. */
export function parseMapping(input: unknown, source?: string, target: MappingTarget = 'salesforce'): Mapping {
  const parsed = SCHEMAS[target].safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${issuePath(i.path)}: ${i.message}`);
    throw new MappingError(`mapping${where(source)} is not valid: ${lines.join('; ')}`);
  }
  const file = parsed.data;
  const fields = compile(file.fields, 'fields', source);
  const onCreate = compile(file.onCreate, 'onCreate', source);
  const deactivate = compile(file.deactivate, 'deactivate', source);
  const scope = file.scope ? compile({ scope: file.scope }, '', source)[0]![2] : undefined;

  async function evaluate(
    list: Compiled,
    at: string,
    record: NormalizedWorker,
  ): Promise<Record<string, Value>> {
    const out: Record<string, Value> = {};
    for (const [field, text, run] of list) {
      const v: unknown = await run.evaluate(record);
      // A path that is absent (a section switched off) leaves the target field as it is.
      if (v === undefined) continue;
      if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
        throw new MappingError(
          `${at}.${field}${where(source)}: "${text}" gave ${Array.isArray(v) ? 'a list' : 'an object'}, not a single value; pick one element or use $string()/$join()`,
        );
      out[field] = v;
    }
    return out;
  }

  return {
    file,
    async map(record) {
      const inScope = scope ? (await scope.evaluate(record)) === true : true;
      const owner = file.matchKey.ownerField;
      return {
        wid: record.wid,
        key: matchKeyOf(file, record)!,
        inScope,
        terminated: record.employment?.terminated === true,
        rescinded: record.employment?.hireRescinded === true,
        // Every write by this WID claims the person's record for it.
        values: inScope
          ? { ...(await evaluate(fields, 'fields', record)), ...(owner ? { [owner]: record.wid } : {}) }
          : {},
        createOnly: inScope ? await evaluate(onCreate, 'onCreate', record) : {},
        deactivate: await evaluate(deactivate, 'deactivate', record),
      };
    },
  };
}

/** Reads and parses a mapping file (JSON) for a target. */
export function loadMapping(file: string, target: MappingTarget = 'salesforce'): Mapping {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MappingError(
      `cannot read mapping file ${file}: ${(e as Error).message}; check the path in the sink spec`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new MappingError(`mapping file ${file} is not JSON: ${(e as Error).message}`);
  }
  return parseMapping(json, file, target);
}
