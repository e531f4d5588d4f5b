// The shared plan of the mapped business targets under a person key (issue 16): two WIDs of one
// person in a page write once, the one still employed; a WID's termination deactivates only the
// record it owns, never the one its person's other WID (the converted employee) now owns.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import { parseMapping } from '../../src/mapping/mapping-file';
import { type Held, mappingDigest, planMappedWrites } from '../../src/sinks/mapped-plan';

const mapping = parseMapping(
  {
    object: 'user',
    matchKey: { field: 'external_id', from: 'personId', ownerField: 'user_fields.workday_id' },
    scope: 'employment.active',
    fields: { name: 'descriptor', suspended: 'false' },
    deactivate: { suspended: 'true' },
  },
  'person.json',
  'zendesk',
);

const CONTINGENT = 'c'.repeat(32);
const EMPLOYEE = 'e'.repeat(32);

function worker(wid: string, terminated: boolean): NormalizedWorker {
  return {
    wid,
    workerId: wid === CONTINGENT ? 'C100001' : '100201',
    workerType: wid === CONTINGENT ? 'Contingent_Worker' : 'Employee',
    descriptor: 'Ada Lovelace',
    personId: 'UID-00000001',
    employment: { active: !terminated, hireDate: '2026-01-05', terminated },
  };
}

async function plan(records: NormalizedWorker[], held: Map<string, Held>) {
  return planMappedWrites({
    mapping,
    digest: mappingDigest(mapping),
    ctx: { key: { runId: 'r', page: 1 }, asOfEntry: '2026-11-20T18:00:00.000Z' },
    records,
    lookup: async (keys) => new Map(keys.flatMap((k) => (held.has(k) ? [[k, held.get(k)!]] : []))),
  });
}

describe('mapped plan under a person key', () => {
  it('a page with both WIDs of a converted person writes once: the employee updates the held record', async () => {
    const held = new Map([['UID-00000001', { id: '7', owner: CONTINGENT }]]);
    const { writes, skipped } = await plan([worker(CONTINGENT, true), worker(EMPLOYEE, false)], held);
    assert.deepEqual(
      writes.map((w) => [w.wid, w.kind, w.m.values['user_fields.workday_id']]),
      [[EMPLOYEE, 'update', EMPLOYEE]],
    );
    assert.deepEqual(
      skipped.map((s) => s.wid),
      [CONTINGENT],
      'the ended WID is recorded as seen',
    );
  });

  it("the ended WID's termination leaves the record its person's employee owns, and deactivates its own", async () => {
    const owned = await plan(
      [worker(CONTINGENT, true)],
      new Map([['UID-00000001', { id: '7', owner: EMPLOYEE }]]),
    );
    assert.deepEqual(owned.writes, []);
    assert.deepEqual(owned.held, [], 'nothing held for the circuit breaker either');
    const own = await plan(
      [worker(CONTINGENT, true)],
      new Map([['UID-00000001', { id: '7', owner: CONTINGENT }]]),
    );
    // Terminations are held for the run's circuit breaker, not written with the page.
    assert.deepEqual(
      own.held.map((w) => [w.wid, w.kind]),
      [[CONTINGENT, 'deactivate']],
    );
  });

  it('a Universal_ID that appeared only at the conversion: the ended WID deactivates the record still keyed on it', async () => {
    const held = new Map([[CONTINGENT, { id: '5', owner: CONTINGENT }]]);
    const planned = await plan([worker(CONTINGENT, true), worker(EMPLOYEE, false)], held);
    assert.deepEqual(
      planned.held.map((w) => [w.wid, w.kind, w.m.key]),
      [[CONTINGENT, 'deactivate', CONTINGENT]],
    );
    assert.deepEqual(
      planned.writes.map((w) => [w.wid, w.kind, w.m.key]),
      [[EMPLOYEE, 'create', 'UID-00000001']],
    );
  });
});
