// The HR cases of issue 16 (leave of absence, concurrent positions, conversion) round-trip exactly in every
// schema family: the mapper reads what the simulator sends for v2x, v30 and v31+ into the records
// the simulator says it holds.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type SimulatorHandle, startSimulator } from '../../src/simulator';
import { parsePage } from '../../src/workday/parse';
import { familyOfVersion } from '../../src/workday/schema-family';
import { endpointAt, getWorkers, NO_LATENCY } from '../simulator/helpers';

describe('HR cases in every schema family', () => {
  let sim: SimulatorHandle;
  let asOf: { entryMoment: string; effectiveDate: string };
  const cases: Record<
    'leave' | 'back' | 'twoJobs' | 'threeJobs' | 'contingent' | 'employee' | 'rescinded',
    string
  > = {
    leave: '',
    back: '',
    twoJobs: '',
    threeJobs: '',
    contingent: '',
    employee: '',
    rescinded: '',
  };

  before(async () => {
    sim = await startSimulator({
      workers: 120,
      seed: 11,
      clockStart: '2026-03-02T18:00:00.000Z',
      clockFrozen: true,
      faults: NO_LATENCY,
    });
    const now = () => ({
      entryMoment: sim.admin.clock.now(),
      effectiveDate: sim.admin.clock.now().slice(0, 10),
    });
    const active = sim.admin.workersAsOf(now()).filter((w) => w.employment?.active);
    [cases.leave, cases.back, cases.twoJobs, cases.threeJobs] = active.slice(0, 4).map((w) => w.wid);
    // A back-dated leave (began ten days ago), and one already over.
    sim.admin.hrCase({ case: 'leave', wid: cases.leave, effectiveDate: '2026-02-20' });
    sim.admin.hrCase({ case: 'leave', wid: cases.back, effectiveDate: '2026-02-01' });
    sim.admin.hrCase({ case: 'return', wid: cases.back });
    sim.admin.hrCase({ case: 'additional-job', wid: cases.twoJobs });
    sim.admin.hrCase({ case: 'additional-job', wid: cases.threeJobs });
    sim.admin.hrCase({ case: 'additional-job', wid: cases.threeJobs });
    cases.contingent = active.find((w) => w.workerType === 'Contingent_Worker')!.wid;
    cases.employee = sim.admin.hrCase({ case: 'convert', wid: cases.contingent }).wid;
    cases.rescinded = active.slice(10).find((w) => w.workerType === 'Employee')!.wid;
    sim.admin.hrCase({ case: 'rescind', wid: cases.rescinded });
    sim.admin.clock.advance(60_000);
    asOf = now();
  });
  after(() => sim.close());

  for (const version of ['v24.0', 'v30.0', 'v31.2', 'v44.0']) {
    it(`${version}: leave and every position, primary marked, read exactly`, async () => {
      const r = await getWorkers(
        sim,
        { count: 200, asOfEntry: asOf.entryMoment, asOfEffective: asOf.effectiveDate },
        endpointAt(sim, version),
      );
      assert.equal(r.status, 200);
      const page = parsePage(r.text, { family: familyOfVersion(version) });
      assert.deepEqual(page.deadLetters, []);
      const truth = sim.admin.workersAsOf(asOf);
      assert.deepEqual(page.records, truth, 'the round trip is exact for every worker');
      const byWid = new Map(page.records.map((w) => [w.wid, w.employment!]));
      assert.equal(byWid.get(cases.leave)!.onLeave, true);
      assert.equal(byWid.get(cases.leave)!.leave?.startDate, '2026-02-20');
      assert.equal(byWid.get(cases.back)!.onLeave, false);
      assert.equal(byWid.get(cases.back)!.leave?.endDate, '2026-03-01');
      assert.deepEqual(
        byWid.get(cases.threeJobs)!.positions?.map((p) => p.primary),
        [true, false, false],
      );
      assert.equal(byWid.get(cases.twoJobs)!.positions?.length, 2);
      const before = page.records.find((w) => w.wid === cases.contingent)!;
      const after = page.records.find((w) => w.wid === cases.employee)!;
      assert.notEqual(cases.employee, cases.contingent, 'a conversion is a new WID');
      assert.equal(after.workerType, 'Employee');
      assert.equal(before.employment?.terminated, true, 'the contingent worker ended the day before');
      assert.equal(after.employment?.converted, true);
      assert.ok(before.personId, 'Universal_ID read');
      assert.equal(after.personId, before.personId, 'one person across the two WIDs');
      assert.deepEqual(after.personal?.legalName, before.personal?.legalName);
      assert.equal(byWid.get(cases.rescinded)!.hireRescinded, true);
      assert.equal(byWid.get(cases.rescinded)!.active, false);
      const plain = page.records.filter((w) => !Object.values(cases).includes(w.wid));
      assert.ok(
        plain.every((w) => w.employment!.positions === undefined && w.employment!.onLeave === undefined),
      );
    });
  }
});
