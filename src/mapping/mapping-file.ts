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
const apiName = z.string().regex(API_NAME, 'expected a Salesforce API name such as Title or Active__c');
const expr = z.string().min(1, 'expected a JSONata expression, e.g. "employment.businessTitle"');
const fieldMap = z.record(z.string(), expr).superRefine((m, ctx) => {
  for (const k of Object.keys(m))
    if (!API_NAME.test(k))
      ctx.addIssue({
        code: 'custom',
        path: [k],
        message: 'field names are API names such as Title or Active__c',
      });
});

export const LIFECYCLE_ACTIONS = ['deactivate', 'delete', 'nothing'] as const;

export const MappingFile = z
  .object({
    /** The target object, e.g. Contact. */
    object: apiName,
    /** The external-id field records are matched on, and the worker field that feeds it. */
    matchKey: z.object({ field: apiName, from: z.enum(['wid', 'workerId']) }).strict(),
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
    if (m.fields[m.matchKey.field] !== undefined || m.onCreate[m.matchKey.field] !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['fields', m.matchKey.field],
        message: `${m.matchKey.field} is the match key, filled from ${m.matchKey.from}; remove it from fields`,
      });
    for (const action of ['onTermination', 'onRemoval', 'onRescind'] as const)
      if (m.actions[action] === 'deactivate' && Object.keys(m.deactivate).length === 0)
        ctx.addIssue({
          code: 'custom',
          path: ['deactivate'],
          message: `actions.${action} is "deactivate": say what that writes, e.g. "deactivate": { "Active__c": "false" }`,
        });
  });
export type MappingFile = z.infer<typeof MappingFile>;

export class MappingError extends Error {
  override name = 'ConfigError';
}

type Value = string | number | boolean | null;
type Compiled = [field: string, source: string, run: jsonata.Expression][];

export interface MappedRecord {
  /** The match key's value (the record's WID or worker id). */
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

/** Validates and compiles a mapping; `source` names the file in errors. */
export function parseMapping(input: unknown, source?: string): Mapping {
  const parsed = MappingFile.safeParse(input);
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
      return {
        key: file.matchKey.from === 'wid' ? record.wid : record.workerId,
        inScope,
        terminated: record.employment?.terminated === true,
        rescinded: record.employment?.hireRescinded === true,
        values: inScope ? await evaluate(fields, 'fields', record) : {},
        createOnly: inScope ? await evaluate(onCreate, 'onCreate', record) : {},
        deactivate: await evaluate(deactivate, 'deactivate', record),
      };
    },
  };
}

/** Reads and parses a mapping file (JSON). */
export function loadMapping(file: string): Mapping {
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
  return parseMapping(json, file);
}
