// What the Salesforce engine tests share: the mapped truth from the PostgreSQL sink, and
// the checks on what the Salesforce simulator holds (managers linked, exactly the changed touched).
import assert from 'node:assert/strict';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import type { MappedRecord, Mapping } from '../../src/mapping/mapping-file';
import { sinkRows } from './harness';

export type MappedTruth = Map<string, { record: NormalizedWorker; m: MappedRecord }>;

/** The workers the PostgreSQL sink holds (the ground truth), each with its mapped record. */
export async function mappedTruth(schema: string, mapping: Mapping): Promise<MappedTruth> {
  const out: MappedTruth = new Map();
  for (const [wid, row] of await sinkRows(schema)) {
    const record = row.record as unknown as NormalizedWorker;
    out.set(wid, { record, m: await mapping.map(record) });
  }
  return out;
}

/** Each Contact's ReportsTo is the Contact of its Workday_Manager_ID__c, or none; returns how many are linked. */
export function assertManagersLinked(held: Map<string, Record<string, unknown>>): number {
  let linked = 0;
  for (const [wid, c] of held) {
    const manager = c.Workday_Manager_ID__c as string | null;
    const to = (c.ReportsTo as { Workday_ID__c: string } | null)?.Workday_ID__c ?? null;
    assert.equal(to, manager && held.has(manager) ? manager : null, `${wid} reports to`);
    if (to) linked++;
  }
  return linked;
}

/**
 * The Contacts a run wrote (LastModifiedDate moved) are exactly the expected ones, besides reports
 * relinked to a manager who came into Salesforce; returns how many of those there were.
 */
export function assertTouchedExactly(
  before: Map<string, Record<string, unknown>>,
  after: Map<string, Record<string, unknown>>,
  expected: Set<string>,
): number {
  const relinked = (wid: string, c: Record<string, unknown>) =>
    JSON.stringify(before.get(wid)?.ReportsTo ?? null) !== JSON.stringify(c.ReportsTo ?? null);
  const touched = [...after].filter(([wid, c]) => before.get(wid)?.LastModifiedDate !== c.LastModifiedDate);
  assert.deepEqual(
    touched
      .filter(([wid, c]) => expected.has(wid) || !relinked(wid, c))
      .map(([wid]) => wid)
      .sort(),
    [...expected].sort(),
  );
  return touched.filter(([wid]) => !expected.has(wid)).length;
}
