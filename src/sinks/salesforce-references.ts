import type { MappingFile } from '../mapping/mapping-file';
import type { WriteResult } from './salesforce-bulk';

/**
 * Relationships set by external id (the mapping's `references`, e.g. ReportsTo from the
 * manager's WID). A write names the related record only when Salesforce already holds it:
 * otherwise Salesforce refuses the whole record (foreign key not found). What a page cannot link
 * yet is linked after the page's writes, when the related record came in the same page, and the
 * rest at the end of the run by a pass over what Salesforce holds: the key is kept in a mapped
 * field, so that pass needs no state of ours and works on any worker after any crash.
 */

type Body = Record<string, unknown>;

export interface ReferenceApi {
  /** Which of these values some `object` record holds in `field`. */
  existing(object: string, field: string, values: string[]): Promise<Set<string>>;
  /** Every row of a SOQL query. */
  queryAll(soql: string): Promise<Record<string, unknown>[]>;
  /** Upserts by the match key, one result per body. */
  upsert(bodies: Body[]): Promise<WriteResult[]>;
}

interface Deferred {
  key: string;
  rel: string;
  value: string;
}

/** The field a relationship writes: ReportsTo -> ReportsToId, Manager__r -> Manager__c. */
export function referenceIdField(rel: string): string {
  return rel.endsWith('__r') ? `${rel.slice(0, -3)}__c` : `${rel}Id`;
}

export interface LinkCounts {
  linked: number;
  /** Records whose related record Salesforce does not hold (e.g. a manager out of scope). */
  unresolved: number;
}

export function createReferenceLinker(file: MappingFile, api: ReferenceApi) {
  const refs = Object.entries(file.references);
  const ext = file.matchKey.field;
  const linkBody = (key: string, rel: string, value: string): Body => ({
    attributes: { type: file.object },
    [ext]: key,
    [rel]: { [file.references[rel]!.externalIdField]: value },
  });

  async function link(wanted: Deferred[]): Promise<LinkCounts> {
    const found = new Map<string, Set<string>>();
    for (const [rel, ref] of refs) {
      const values = [...new Set(wanted.filter((d) => d.rel === rel).map((d) => d.value))];
      found.set(rel, values.length ? await api.existing(ref.object, ref.externalIdField, values) : new Set());
    }
    const ready = wanted.filter((d) => found.get(d.rel)!.has(d.value));
    let linked = 0;
    if (ready.length) {
      const res = await api.upsert(ready.map((d) => linkBody(d.key, d.rel, d.value)));
      linked = res.filter((r) => r.success).length;
    }
    return { linked, unresolved: wanted.length - linked };
  }

  return {
    active: refs.length > 0,

    /**
     * Sets each upsert's relationships that can be set now (or cleared: no key), in place, and
     * returns the ones that must wait for the related record.
     */
    async attach(bodies: Body[]): Promise<Deferred[]> {
      const deferred: Deferred[] = [];
      for (const [rel, ref] of refs) {
        const values = [
          ...new Set(
            bodies.map((b) => b[ref.field]).filter((v): v is string => typeof v === 'string' && v !== ''),
          ),
        ];
        const held = values.length ? await api.existing(ref.object, ref.externalIdField, values) : new Set();
        for (const b of bodies) {
          const v = b[ref.field];
          if (v === undefined) continue;
          if (v === null || v === '') b[referenceIdField(rel)] = null;
          else if (held.has(v as string)) b[rel] = { [ref.externalIdField]: v };
          else deferred.push({ key: String(b[ext]), rel, value: String(v) });
        }
      }
      return deferred;
    },

    /** After a page's writes: links what waited for a record the same page wrote. */
    linkDeferred: (deferred: Deferred[]) =>
      deferred.length ? link(deferred) : Promise.resolve({ linked: 0, unresolved: 0 }),

    /** At run end: every record whose relationship does not point where its key field says. */
    async reconcile(): Promise<LinkCounts> {
      const wanted: Deferred[] = [];
      for (const [rel, ref] of refs) {
        const rows = await api.queryAll(
          `SELECT ${ext}, ${ref.field}, ${rel}.${ref.externalIdField} FROM ${file.object} WHERE ${ref.field} != null`,
        );
        for (const r of rows) {
          const want = r[ref.field];
          const has = (r[rel] as Body | null | undefined)?.[ref.externalIdField];
          if (typeof want === 'string' && want !== '' && has !== want)
            wanted.push({ key: String(r[ext]), rel, value: want });
        }
      }
      return wanted.length ? link(wanted) : { linked: 0, unresolved: 0 };
    },
  };
}
