import { randomUUID } from 'node:crypto';
import type { Faults } from '../../salesforce/simulator/faults';
import { type EntityPath, type Literal, ODataError, parseFilter } from './odata';
import type { ColumnDef, DataverseFaultRule, TableDef } from './options';

/**
 * The environment's tables and what the Web API does to their rows: retrieve and query, create,
 * update and upsert by primary id or alternate key with If-Match / If-None-Match, delete, and
 * lookups bound with `<nav>@odata.bind`. Values are checked against the column definitions as
 * Dataverse does, with its error codes.
 */

export type Row = Record<string, Literal>;
export interface WriteEntry {
  set: string;
  key: Literal;
  action: 'created' | 'updated' | 'deleted';
}

const NOT_FOUND = '0x80040217';

export interface WriteAnswer {
  status: 200 | 201 | 204;
  id: string;
  row: Row;
}

export class DataverseStore {
  tables = new Map<string, { def: TableDef; rows: Map<string, Row> }>();
  writes: WriteEntry[] = [];
  private version = 1_000_000;

  constructor(
    defs: TableDef[],
    private readonly faults: Faults<DataverseFaultRule>,
    private readonly now: () => number = Date.now,
  ) {
    for (const def of defs) this.tables.set(def.entitySet, { def, rows: new Map() });
  }

  reset(): void {
    for (const t of this.tables.values()) t.rows.clear();
    this.writes = [];
  }

  /** A copy to restore when a changeset fails (rows are replaced on write, never mutated). */
  snapshot(): () => void {
    const saved = [...this.tables.values()].map((t) => [t, new Map(t.rows)] as const);
    const writes = this.writes.length;
    return () => {
      for (const [t, rows] of saved) t.rows = rows;
      this.writes.length = writes;
    };
  }

  table(set: string) {
    const t = this.tables.get(set);
    if (!t) throw new ODataError(404, '0x8006088a', `Resource not found for the segment '${set}'.`);
    return t;
  }

  column(def: TableDef, name: string): string {
    if (
      name === def.primaryId ||
      name in def.columns ||
      ['createdon', 'modifiedon', 'versionnumber'].includes(name)
    )
      return name;
    if (Object.values(def.lookups).some((l) => l.column === name)) return name;
    throw new ODataError(
      400,
      '0x80060888',
      `Could not find a property named '${name}' on type 'Microsoft.Dynamics.CRM.${def.logicalName}'.`,
    );
  }

  private find(set: string, p: EntityPath): [string, Row] | undefined {
    const t = this.table(set);
    if (p.id) {
      const r = t.rows.get(p.id);
      return r ? [p.id, r] : undefined;
    }
    const { column, value } = p.key!;
    if (column !== t.def.alternateKey)
      throw new ODataError(
        400,
        '0x80060888',
        `The key '${column}' is not defined as an alternate key for entity '${t.def.logicalName}'.`,
      );
    for (const [id, r] of t.rows) if (r[column] === value) return [id, r];
    return undefined;
  }

  private missing(def: TableDef, p: EntityPath): ODataError {
    return new ODataError(
      404,
      NOT_FOUND,
      p.id
        ? `${def.logicalName} With Id = ${p.id} Does Not Exist`
        : `A record with the specified key values does not exist in ${def.logicalName} entity`,
    );
  }

  represent(def: TableDef, id: string, row: Row, select?: string[]): Record<string, unknown> {
    const out: Record<string, unknown> = { '@odata.etag': `W/"${row.versionnumber}"` };
    const cols = select?.length
      ? select
      : [
          ...Object.keys(def.columns),
          ...Object.values(def.lookups).map((l) => l.column),
          'createdon',
          'modifiedon',
          'versionnumber',
        ];
    for (const c of cols) out[c] = row[c] ?? null;
    out[def.primaryId] = id;
    return out;
  }

  retrieve(p: EntityPath, select?: string[]): Record<string, unknown> {
    const t = this.table(p.set);
    for (const c of select ?? []) this.column(t.def, c);
    const hit = this.find(p.set, p);
    if (!hit) throw this.missing(t.def, p);
    return this.represent(t.def, hit[0], hit[1], select);
  }

  query(
    set: string,
    q: { select?: string[]; filter?: string; top?: number; orderby?: string },
  ): Record<string, unknown>[] {
    const t = this.table(set);
    for (const c of q.select ?? []) this.column(t.def, c);
    const pred = q.filter ? parseFilter(q.filter, (c) => this.column(t.def, c)) : () => true;
    let rows = [...t.rows].filter(([id, r]) => pred({ ...r, [t.def.primaryId]: id }));
    if (q.orderby) {
      const [col, dir] = q.orderby.trim().split(/\s+/);
      this.column(t.def, col!);
      const sign = dir === 'desc' ? -1 : 1;
      rows.sort(([, a], [, b]) =>
        String(a[col!] ?? '') < String(b[col!] ?? '')
          ? -sign
          : String(a[col!] ?? '') > String(b[col!] ?? '')
            ? sign
            : 0,
      );
    }
    if (q.top !== undefined) rows = rows.slice(0, q.top);
    return rows.map(([id, r]) => this.represent(t.def, id, r, q.select));
  }

  private checkValue(def: TableDef, name: string, col: ColumnDef, v: unknown): Literal {
    if (v === null) return null;
    const type = (edm: string) =>
      new ODataError(
        400,
        '0x80048d19',
        `Error identified in Payload provided by the user for Entity :'${def.entitySet}', Cannot convert the literal '${String(v)}' to the expected type '${edm}'.`,
      );
    switch (col.type) {
      case 'int':
        if (typeof v !== 'number' || !Number.isInteger(v)) throw type('Edm.Int32');
        return v;
      case 'bool':
        if (typeof v !== 'boolean') throw type('Edm.Boolean');
        return v;
      case 'date':
        if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) throw type('Edm.Date');
        return v;
      case 'datetime':
        if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw type('Edm.DateTimeOffset');
        return new Date(v).toISOString().replace(/\.\d{3}Z$/, 'Z');
      default:
        if (typeof v !== 'string') throw type('Edm.String');
        if (col.maxLength && v.length > col.maxLength)
          throw new ODataError(
            400,
            '0x80044331',
            `A validation error occurred. The length of the '${name}' attribute of the '${def.logicalName}' entity exceeded the maximum allowed length of '${col.maxLength}'.`,
          );
        return v;
    }
  }

  private bind(def: TableDef, nav: string, v: unknown): [string, Literal] {
    const l = def.lookups[nav];
    if (!l)
      throw new ODataError(
        400,
        '0x80060888',
        `An undeclared property '${nav}' which only has property annotations in the payload but no property value was found in the payload.`,
      );
    if (v === null) return [l.column, null];
    const ref = String(v)
      .replace(/^.*\/api\/data\/v\d+\.\d+\//, '')
      .replace(/^\//, '');
    const p = ref.includes('(') ? this.tryPath(ref) : undefined;
    if (!p || p.set !== l.target)
      throw new ODataError(
        400,
        '0x80048d19',
        `The value '${String(v)}' for ${nav}@odata.bind is not a valid reference to ${l.target}.`,
      );
    const target = this.table(p.set);
    const hit = this.find(p.set, p);
    if (!hit)
      throw new ODataError(
        400,
        NOT_FOUND,
        `${target.def.logicalName} With Ids = ${ref.slice(ref.indexOf('(') + 1, -1)} Does Not Exist`,
      );
    return [l.column, hit[0]];
  }

  private tryPath(ref: string): EntityPath | undefined {
    const m = /^([a-z][a-z0-9_]*)\((.*)\)$/.exec(ref);
    if (!m) return undefined;
    const inner = m[2]!;
    if (/^[0-9a-f-]{36}$/i.test(inner)) return { set: m[1]!, id: inner.toLowerCase() };
    const kv = /^([a-z][a-z0-9_]*)='((?:[^']|'')*)'$/.exec(inner);
    return kv ? { set: m[1]!, key: { column: kv[1]!, value: kv[2]!.replace(/''/g, "'") } } : undefined;
  }

  /** The body's values, checked: unknown properties and bad values refuse the whole write. */
  private values(def: TableDef, body: unknown): Row {
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw new ODataError(400, '0x80048d19', 'The request body must be a JSON object.');
    const out: Row = {};
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      if (k.startsWith('@odata.')) continue;
      if (k.endsWith('@odata.bind')) {
        const [col, id] = this.bind(def, k.slice(0, -'@odata.bind'.length), v);
        out[col] = id;
        continue;
      }
      const col = def.columns[k];
      if (!col)
        throw new ODataError(
          400,
          '0x80060888',
          `The property '${k}' does not exist on type 'Microsoft.Dynamics.CRM.${def.logicalName}'. Make sure to only use property names that are defined by the type.`,
        );
      out[k] = this.checkValue(def, k, col, v);
    }
    return out;
  }

  /**
   * PATCH (upsert, or update-only with If-Match: *, or create-only with If-None-Match: *) and
   * POST (create). Dataverse answers 204, or with Prefer: return=representation 201 / 200.
   */
  write(
    p: EntityPath,
    body: unknown,
    o: { method: 'PATCH' | 'POST'; ifMatch?: string; ifNoneMatch?: string; represent: boolean },
  ): WriteAnswer {
    const t = this.table(p.set);
    const values = this.values(t.def, body);
    const hit = p.id || p.key ? this.find(p.set, p) : undefined;
    if (o.ifMatch === '*' && !hit) throw this.missing(t.def, p);
    if (o.ifNoneMatch === '*' && hit)
      throw new ODataError(412, '0x80040237', 'A record with matching key values already exists.');
    if (o.method === 'POST' && values[t.def.alternateKey] !== undefined) {
      const dup = this.find(p.set, {
        set: p.set,
        key: { column: t.def.alternateKey, value: values[t.def.alternateKey]! },
      });
      if (dup) throw new ODataError(412, '0x80040237', 'A record with matching key values already exists.');
    }
    const rule = this.faults.fire('recordError');
    if (rule)
      throw new ODataError(
        400,
        '0x80040265',
        rule.message ?? 'Operation refused by a plug-in on this table (injected).',
      );
    const now = new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const id = hit?.[0] ?? p.id ?? randomUUID();
    const row: Row = {
      ...(hit?.[1] ?? { createdon: now, statecode: 0, statuscode: 1 }),
      ...values,
      ...(p.key ? { [p.key.column]: p.key.value } : {}),
      modifiedon: now,
      versionnumber: ++this.version,
    };
    t.rows.set(id, row);
    this.writes.push({ set: p.set, key: row[t.def.alternateKey] ?? id, action: hit ? 'updated' : 'created' });
    return { status: o.represent ? (hit ? 200 : 201) : 204, id, row };
  }

  delete(p: EntityPath): void {
    const t = this.table(p.set);
    const hit = this.find(p.set, p);
    if (!hit) throw this.missing(t.def, p);
    t.rows.delete(hit[0]);
    this.writes.push({ set: p.set, key: hit[1][t.def.alternateKey] ?? hit[0], action: 'deleted' });
  }
}
