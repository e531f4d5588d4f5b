import { ApiError, type RecordError } from './errors';
import type { Faults } from './faults';
import type { FieldDef } from './options';
import { type Literal, parseSoql } from './soql';

/**
 * The org's Contacts and what the REST API does to them: describe, sObject Collections upsert by
 * an external id, delete by id, and SOQL. Writes of one request are checked first and applied
 * after, so allOrNone can roll the whole request back as Salesforce does.
 */

export const MAX_COLLECTION = 200;
const QUERY_BATCH = 2000;
const OBJECT = 'Contact';

export type ContactRecord = Record<string, Literal>;

/** A relationship set by external id, resolved when the record is written. */
interface Ref {
  field: string;
  extField: string;
  value: Literal;
}

/** One record of an upsert: its field values and the relationships it sets. */
export interface Incoming {
  values: ContactRecord;
  refs: Ref[];
}

/** A CSV cell as the field's type; a value that is not one stays text and fails the type check. */
function csvValue(f: FieldDef, v: string): Literal {
  if (f.type === 'boolean') {
    const low = v.toLowerCase();
    return low === 'true' ? true : low === 'false' ? false : v;
  }
  if (f.type === 'double') return Number.isNaN(Number(v)) ? v : Number(v);
  return v;
}

export interface UpsertResult {
  id?: string;
  success: boolean;
  created?: boolean;
  errors: RecordError[];
}

export interface StoreCounters {
  created: number;
  updated: number;
  deleted: number;
  failed: Record<string, number>;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ROLLED_BACK: RecordError = {
  statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  message: 'Record rolled back because not all records were valid and the request was using AllOrNone header',
  fields: [],
};

export class ContactStore {
  private byId = new Map<string, ContactRecord>();
  private seq = 0;
  private cursors = new Map<string, { rows: ContactRecord[]; at: number }>();
  counters: StoreCounters = { created: 0, updated: 0, deleted: 0, failed: {} };
  private readonly fieldsByLower: Map<string, FieldDef>;
  private readonly allFields: FieldDef[];

  constructor(
    fields: FieldDef[],
    private readonly faults: Faults,
    private readonly now: () => number = Date.now,
  ) {
    const system: FieldDef[] = [
      { name: 'Id', type: 'id', externalId: false, unique: true, nillable: false, length: 18 },
      { name: 'CreatedDate', type: 'string', externalId: false, unique: false, nillable: false, length: 28 },
      {
        name: 'LastModifiedDate',
        type: 'string',
        externalId: false,
        unique: false,
        nillable: false,
        length: 28,
      },
    ];
    this.allFields = [...system, ...fields];
    this.fieldsByLower = new Map(this.allFields.map((f) => [f.name.toLowerCase(), f]));
  }

  reset(): void {
    this.byId.clear();
    this.cursors.clear();
    this.seq = 0;
    this.counters = { created: 0, updated: 0, deleted: 0, failed: {} };
  }

  get size(): number {
    return this.byId.size;
  }

  all(): ContactRecord[] {
    return [...this.byId.values()].map((r) => ({ ...r }));
  }

  private checkObject(object: string): void {
    if (object.toLowerCase() !== OBJECT.toLowerCase())
      throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
  }

  private field(name: string, where: 'column' | 'field'): FieldDef {
    const f = this.fieldsByLower.get(name.toLowerCase());
    if (!f)
      throw new ApiError(
        400,
        'INVALID_FIELD',
        where === 'column'
          ? `No such column '${name}' on sobject of type ${OBJECT}`
          : `No such column '${name}' on entity '${OBJECT}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`,
      );
    return f;
  }

  describe(version: string): unknown {
    return {
      name: OBJECT,
      label: 'Contact',
      labelPlural: 'Contacts',
      keyPrefix: '003',
      custom: false,
      createable: true,
      updateable: true,
      deletable: true,
      queryable: true,
      urls: {
        sobject: `/services/data/v${version}/sobjects/${OBJECT}`,
        describe: `/services/data/v${version}/sobjects/${OBJECT}/describe`,
        rowTemplate: `/services/data/v${version}/sobjects/${OBJECT}/{ID}`,
      },
      fields: this.allFields.map((f) => ({
        name: f.name,
        label: f.name.replace(/__c$/, '').replace(/_/g, ' '),
        type: f.type,
        length: f.type === 'string' || f.type === 'email' || f.type === 'phone' ? f.length : 0,
        custom: f.name.endsWith('__c'),
        externalId: f.externalId,
        idLookup: f.name === 'Id' || f.externalId || f.type === 'email',
        unique: f.unique,
        nillable: f.nillable,
        createable: f.type !== 'id' && !f.name.endsWith('Date') ? true : f.name.endsWith('__c'),
        updateable: f.type !== 'id' && !f.name.endsWith('Date') ? true : f.name.endsWith('__c'),
        defaultedOnCreate: f.type === 'boolean' || f.type === 'id',
        referenceTo: f.type === 'reference' ? [OBJECT] : [],
        relationshipName: f.type === 'reference' ? f.name.replace(/__c$/, '__r').replace(/Id$/, '') : null,
      })),
    };
  }

  private newId(): string {
    this.seq++;
    return `003${this.seq.toString(36).toUpperCase().padStart(12, '0')}AAA`;
  }

  private fail(e: RecordError): UpsertResult {
    this.counters.failed[e.statusCode] = (this.counters.failed[e.statusCode] ?? 0) + 1;
    return { success: false, errors: [e] };
  }

  /** Field-level checks Salesforce makes on every written value. */
  private valueError(f: FieldDef, v: unknown): RecordError | undefined {
    if (v === null) {
      return f.nillable
        ? undefined
        : {
            statusCode: 'REQUIRED_FIELD_MISSING',
            message: `Required fields are missing: [${f.name}]`,
            fields: [f.name],
          };
    }
    const bad = (what: string): RecordError => ({
      statusCode: 'INVALID_TYPE_ON_FIELD_IN_RECORD',
      message: `${f.name}: value not of required type: ${what}`,
      fields: [f.name],
    });
    switch (f.type) {
      case 'boolean':
        return typeof v === 'boolean' ? undefined : bad(String(v));
      case 'double':
        return typeof v === 'number' ? undefined : bad(String(v));
      case 'date':
        return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? undefined : bad(String(v));
      case 'datetime':
        return typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? undefined : bad(String(v));
      default: {
        if (typeof v !== 'string') return bad(String(v));
        if (f.type === 'email' && !EMAIL.test(v))
          return {
            statusCode: 'INVALID_EMAIL_ADDRESS',
            message: `${f.name}: invalid email address: ${v}`,
            fields: [f.name],
          };
        if (v.length > f.length)
          return {
            statusCode: 'STRING_TOO_LONG',
            message: `${f.name}: data value too large: ${v.slice(0, 40)} (max length=${f.length})`,
            fields: [f.name],
          };
        return undefined;
      }
    }
  }

  private findBy(field: string, value: Literal): ContactRecord | undefined {
    for (const r of this.byId.values()) if (r[field] === value) return r;
    return undefined;
  }

  /** The external-id field an upsert matches on (or Id), as describe names it. */
  matchField(object: string, extFieldName: string): FieldDef {
    this.checkObject(object);
    const ext = this.field(extFieldName, 'field');
    if (!ext.externalId && ext.name !== 'Id')
      throw new ApiError(
        400,
        'INVALID_FIELD',
        `Field ${ext.name} is not an External ID or indexed field for ${OBJECT}`,
      );
    return ext;
  }

  /** A reference field by its relationship name (ReportsTo for ReportsToId), if there is one. */
  private relationship(name: string): FieldDef | undefined {
    const low = name.toLowerCase();
    const f = this.fieldsByLower.get(low.endsWith('__r') ? `${low.slice(0, -3)}__c` : `${low}id`);
    return f?.type === 'reference' ? f : undefined;
  }

  /**
   * A relationship set by the target's external id (`"ReportsTo": {"Workday_ID__c": "..."}` in
   * JSON, a `ReportsTo.Workday_ID__c` column in CSV), resolved to the reference field's value.
   */
  private reference(rel: string, extName: string, value: unknown): Ref {
    const f = this.relationship(rel);
    if (!f) throw new ApiError(400, 'INVALID_FIELD', `No such column '${rel}' on entity '${OBJECT}'.`);
    // Every reference is to a Contact here (describe says referenceTo: [Contact]).
    const ext = this.matchField(OBJECT, extName);
    return { field: f.name, extField: ext.name, value: value as Literal };
  }

  /** PATCH /composite/sobjects/Contact/<extField>: one result per record, in order. */
  upsert(object: string, extFieldName: string, body: unknown): UpsertResult[] {
    const ext = this.matchField(object, extFieldName);
    const b = body as { allOrNone?: unknown; records?: unknown } | null;
    if (!b || typeof b !== 'object' || !Array.isArray(b.records))
      throw new ApiError(
        400,
        'JSON_PARSER_ERROR',
        'The request body must be {"allOrNone": boolean, "records": [...]}',
      );
    if (b.records.length > MAX_COLLECTION)
      throw new ApiError(
        400,
        'EXCEEDED_ID_LIMIT',
        `record limit reached. cannot submit more than ${MAX_COLLECTION} records into this call`,
      );
    // Unknown fields fail the whole request, before any record is looked at.
    const records = b.records.map((raw): Incoming => {
      if (!raw || typeof raw !== 'object' || Array.isArray(raw))
        throw new ApiError(400, 'JSON_PARSER_ERROR', 'each record must be a JSON object');
      const { attributes, ...rest } = raw as Record<string, unknown>;
      const type = (attributes as { type?: unknown } | undefined)?.type;
      if (typeof type !== 'string')
        throw new ApiError(400, 'INVALID_TYPE', 'Must send a concrete entity type.');
      this.checkObject(type);
      const values: ContactRecord = {};
      const refs: Ref[] = [];
      for (const [k, v] of Object.entries(rest)) {
        if (v && typeof v === 'object' && !Array.isArray(v) && this.relationship(k)) {
          const { attributes: _a, ...key } = v as Record<string, unknown>;
          const [extName, value] = Object.entries(key)[0] ?? [];
          if (!extName)
            throw new ApiError(400, 'JSON_PARSER_ERROR', `${k} needs one external id field and value`);
          refs.push(this.reference(k, extName, value));
          continue;
        }
        const f = this.field(k, 'field');
        values[f.name] = v as Literal;
      }
      return { values, refs };
    });
    return this.apply(ext, records, b.allOrNone === true);
  }

  /**
   * A Bulk API 2.0 job's CSV rows, typed by describe: an empty cell leaves the field as it is,
   * `#N/A` sets it to null, `Rel.ExtId__c` columns set a relationship by external id. An unknown
   * column fails the job, as Salesforce's InvalidBatch does.
   */
  fromCsv(columns: string[], rows: string[][]): Incoming[] {
    const setters = columns.map((c): ((r: Incoming, v: string) => void) => {
      if (c.toLowerCase() === 'id') return () => {};
      const dot = c.indexOf('.');
      if (dot > 0) {
        const [rel, extName] = [c.slice(0, dot), c.slice(dot + 1)];
        this.reference(rel, extName, null);
        return (r, v) => void r.refs.push(this.reference(rel, extName, v === '#N/A' ? null : v));
      }
      const f = this.fieldsByLower.get(c.toLowerCase());
      if (!f) throw new ApiError(400, 'InvalidBatch', `Field name not found : ${c}`);
      return (r, v) => {
        r.values[f.name] = v === '#N/A' ? null : csvValue(f, v);
      };
    });
    return rows.map((row) => {
      const r: Incoming = { values: {}, refs: [] };
      row.forEach((v, i) => {
        if (v !== '' && setters[i]) setters[i](r, v);
      });
      return r;
    });
  }

  /** Bulk rows: no request-size limit, never all-or-none. */
  upsertRows(ext: FieldDef, records: Incoming[]): UpsertResult[] {
    return this.apply(ext, records, false);
  }

  private apply(ext: FieldDef, records: Incoming[], allOrNone: boolean): UpsertResult[] {
    const now = new Date(this.now()).toISOString().replace('Z', '+0000');
    const staged = new Map<string, ContactRecord>();
    const seenExt = new Set<unknown>();
    const results: UpsertResult[] = records.map(({ values, refs }) => {
      const key = values[ext.name];
      if (key === undefined || key === null || key === '')
        return this.fail({
          statusCode: 'MISSING_ARGUMENT',
          message: `${ext.name} not specified`,
          fields: [],
        });
      if (seenExt.has(key))
        return this.fail({
          statusCode: 'DUPLICATE_EXTERNAL_ID',
          message: `Duplicate external id specified: ${key}`,
          fields: [ext.name],
        });
      seenExt.add(key);
      const existing = this.findBy(ext.name, key);
      const lock = this.faults.fire('lock');
      if (lock)
        return this.fail({
          statusCode: 'UNABLE_TO_LOCK_ROW',
          message:
            lock.message ??
            `unable to obtain exclusive access to this record or 1 records: ${existing?.Id ?? key}`,
          fields: [],
        });
      const rule = this.faults.fire('validation');
      if (rule)
        return this.fail({
          statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
          message: rule.message ?? 'This Contact failed a validation rule (injected)',
          fields: [],
        });
      for (const [k, v] of Object.entries(values)) {
        const e = this.valueError(this.fieldsByLower.get(k.toLowerCase())!, v);
        if (e) return this.fail(e);
      }
      const linked: ContactRecord = {};
      for (const ref of refs) {
        if (ref.value === null || ref.value === '') {
          linked[ref.field] = null;
          continue;
        }
        const target = this.findBy(ref.extField, ref.value);
        if (!target)
          return this.fail({
            statusCode: 'INVALID_FIELD',
            message: `Foreign key external ID: ${ref.value} not found for field ${ref.extField} in entity ${OBJECT}`,
            fields: [],
          });
        linked[ref.field] = target.Id!;
      }
      const next: ContactRecord = existing
        ? { ...existing, ...values, ...linked, LastModifiedDate: now }
        : { ...values, ...linked, Id: this.newId(), CreatedDate: now, LastModifiedDate: now };
      if (!existing && (next.LastName === undefined || next.LastName === null || next.LastName === ''))
        return this.fail({
          statusCode: 'REQUIRED_FIELD_MISSING',
          message: 'Required fields are missing: [LastName]',
          fields: ['LastName'],
        });
      for (const f of this.allFields) {
        if (!f.unique || f.name === 'Id' || next[f.name] === undefined || next[f.name] === null) continue;
        const other = this.findBy(f.name, next[f.name]!);
        if (other && other.Id !== next.Id)
          return this.fail({
            statusCode: 'DUPLICATE_VALUE',
            message: `duplicate value found: ${f.name} duplicates value on record with id: ${other.Id}`,
            fields: [f.name],
          });
      }
      staged.set(next.Id as string, next);
      return { id: next.Id as string, success: true, created: !existing, errors: [] };
    });
    if (allOrNone && results.some((r) => !r.success)) {
      return results.map((r) => (r.success ? { success: false, errors: [ROLLED_BACK] } : r));
    }
    for (const [id, rec] of staged) this.byId.set(id, rec);
    for (const r of results) {
      if (r.success) r.created ? this.counters.created++ : this.counters.updated++;
    }
    return results;
  }

  /** DELETE /composite/sobjects?ids=...: one result per id, in order. */
  destroy(ids: string[], allOrNone: boolean): UpsertResult[] {
    if (ids.length > MAX_COLLECTION)
      throw new ApiError(
        400,
        'EXCEEDED_ID_LIMIT',
        `record limit reached. cannot submit more than ${MAX_COLLECTION} records into this call`,
      );
    const results = ids.map(
      (id): UpsertResult =>
        this.byId.has(id)
          ? { id, success: true, errors: [] }
          : this.fail({ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }),
    );
    if (allOrNone && results.some((r) => !r.success))
      return results.map((r) => (r.success ? { id: r.id, success: false, errors: [ROLLED_BACK] } : r));
    for (const r of results)
      if (r.success) {
        this.byId.delete(r.id!);
        this.counters.deleted++;
      }
    return results;
  }

  /** GET /query?q=...: the first batch, with nextRecordsUrl when more remain. */
  query(q: string, version: string): unknown {
    const parsed = parseSoql(q);
    this.checkObject(parsed.object);
    // A `ReportsTo.Workday_ID__c` column reads the field through the relationship.
    const fields = parsed.fields.map((f) => {
      const dot = f.indexOf('.');
      if (dot < 0) return { name: this.field(f, 'column').name };
      const ref = this.reference(f.slice(0, dot), f.slice(dot + 1), null);
      return { name: f.slice(0, dot), via: ref.field, target: this.field(ref.extField, 'column').name };
    });
    const where = parsed.where.map((c) => ({ ...c, field: this.field(c.field, 'column').name }));
    const eq = (a: Literal | undefined, b: Literal) =>
      typeof a === 'string' && typeof b === 'string'
        ? a.toLowerCase() === b.toLowerCase()
        : (a ?? null) === b;
    const holds = (r: ContactRecord, c: (typeof where)[number]) =>
      Array.isArray(c.value)
        ? c.value.some((v) => eq(r[c.field], v))
        : c.op === '='
          ? eq(r[c.field], c.value)
          : !eq(r[c.field], c.value);
    let rows = [...this.byId.values()].filter((r) => where.every((c) => holds(r, c)));
    if (parsed.orderBy) {
      const f = this.field(parsed.orderBy.field, 'column').name;
      const dir = parsed.orderBy.desc ? -1 : 1;
      rows.sort((a, b) =>
        String(a[f] ?? '') < String(b[f] ?? '') ? -dir : String(a[f] ?? '') > String(b[f] ?? '') ? dir : 0,
      );
    }
    if (parsed.limit !== undefined) rows = rows.slice(0, parsed.limit);
    if (parsed.count) return { totalSize: rows.length, done: true, records: [] };
    const projected = rows.map((r) => {
      const out: Record<string, unknown> = {
        attributes: { type: OBJECT, url: `/services/data/v${version}/sobjects/${OBJECT}/${r.Id}` },
      };
      for (const f of fields) {
        if (!f.via) out[f.name] = r[f.name] ?? null;
        else {
          const to = r[f.via] ? this.byId.get(r[f.via] as string) : undefined;
          const prev = out[f.name] as Record<string, unknown> | null | undefined;
          out[f.name] = to
            ? {
                attributes: { type: OBJECT, url: `/services/data/v${version}/sobjects/${OBJECT}/${to.Id}` },
                ...(prev ?? {}),
                [f.target!]: to[f.target!] ?? null,
              }
            : null;
        }
      }
      return out as ContactRecord;
    });
    return this.batch(projected, 0, version);
  }

  /** GET /query/<locator>-<offset>. */
  more(locator: string, version: string): unknown {
    const [id, at] = locator.split('-');
    const cursor = this.cursors.get(id!);
    if (!cursor || Number(at) !== cursor.at)
      throw new ApiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    return this.batch(cursor.rows, cursor.at, version, id);
  }

  private batch(rows: ContactRecord[], at: number, version: string, id?: string): unknown {
    const page = rows.slice(at, at + QUERY_BATCH);
    const done = at + page.length >= rows.length;
    const out: Record<string, unknown> = { totalSize: rows.length, done, records: page };
    if (!done) {
      const locator = id ?? `01g${(this.cursors.size + 1).toString().padStart(15, '0')}`;
      this.cursors.set(locator, { rows, at: at + QUERY_BATCH });
      out.nextRecordsUrl = `/services/data/v${version}/query/${locator}-${at + QUERY_BATCH}`;
    } else if (id) this.cursors.delete(id);
    return out;
  }
}
