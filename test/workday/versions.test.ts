// Each schema family round-trips exactly: the simulator answers in the family of the version asked
// for, the client (WORKDAY_VERSION) reads that family, and the records equal the simulator's truth.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import { type SimulatorHandle, startSimulator } from '../../src/simulator';
import { createWorkdayClient } from '../../src/workday/client';
import { parseWorkdayConfig } from '../../src/workday/config';
import { parsePage } from '../../src/workday/parse';
import { familyOfVersion } from '../../src/workday/schema-family';
import { endpointAt, getWorkers, NO_LATENCY } from '../simulator/helpers';

const WORKERS = 600;

describe('schema families through the client', () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startSimulator({ workers: WORKERS, seed: 16, faults: NO_LATENCY });
    // Terminations, rehires and title changes, so every status branch is on the page.
    sim.admin.churn(150);
  });
  after(() => sim.close());

  async function fetchAll(endpointVersion: string, configured: string): Promise<NormalizedWorker[]> {
    const c = createWorkdayClient(
      parseWorkdayConfig({
        endpoint: endpointAt(sim, endpointVersion),
        username: sim.credentials.username,
        password: sim.credentials.password,
        version: configured,
      }),
    );
    try {
      const asOf = { entryMoment: sim.admin.clock.now(), effectiveDate: sim.admin.clock.now().slice(0, 10) };
      const first = await c.getWorkersPage({ page: 1, count: 250, asOf });
      const pages = [first];
      for (let p = 2; p <= first.totalPages; p++)
        pages.push(await c.getWorkersPage({ page: p, count: 250, asOf }));
      for (const p of pages) assert.deepEqual(p.deadLetters, []);
      return pages.flatMap((p) => p.records);
    } finally {
      c.close();
    }
  }

  const truth = async (): Promise<Map<string, NormalizedWorker>> => {
    const now = sim.admin.clock.now();
    const all: NormalizedWorker[] = await sim.admin.workersAsOf({
      entryMoment: now,
      effectiveDate: now.slice(0, 10),
    });
    return new Map(all.map((w) => [w.wid, w]));
  };

  for (const version of ['v24.0', 'v29.0', 'v30.0', 'v31.2', 'v44.0']) {
    it(`${version} (${familyOfVersion(version)}): the records equal the simulator's truth`, async () => {
      const records = await fetchAll(version, version);
      const expected = await truth();
      assert.ok(expected.size >= WORKERS, 'churn hired, never removed');
      assert.equal(records.length, expected.size);
      let withPosition = 0;
      for (const r of records) {
        assert.deepEqual(r, expected.get(r.wid), `worker ${r.wid} at ${version}`);
        if (r.employment?.positionTitle) withPosition++;
      }
      assert.equal(withPosition, records.length, 'every worker has its position title');
    });
  }

  it('the family is chosen by WORKDAY_VERSION: read as another family, the answer loses fields', async () => {
    const page = async (version: string) =>
      (await getWorkers(sim, { count: 100, version }, endpointAt(sim, version))).text;
    const v24 = await page('v24.0');
    assert.deepEqual(parsePage(v24, { family: 'v2x' }).deadLetters, []);
    // A v30 reader finds no Worker_Job_Data in a v2x answer: no position, title or location.
    const asV30 = parsePage(v24, { family: 'v30' }).records;
    assert.equal(asV30.length, 100);
    assert.ok(asV30.every((r) => r.employment && r.employment.positionTitle === undefined));
    // A v30 reader finds no Formatted_Phone nor Area_Code element in a v31 answer, so the phone it
    // builds from the elements is not the tenant's format the truth holds.
    const expected = await truth();
    const v31AsV30 = parsePage(await page('v31.2'), { family: 'v30' }).records;
    assert.equal(v31AsV30.length, 100);
    for (const r of v31AsV30) assert.notEqual(r.personal?.phone, expected.get(r.wid)?.personal?.phone);
    const v31 = parsePage(await page('v31.2'), { family: 'v31' }).records;
    for (const r of v31) assert.deepEqual(r, expected.get(r.wid));
  });
});
