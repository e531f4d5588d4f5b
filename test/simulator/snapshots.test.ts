// As-of semantics: pinned paging is one snapshot under churn, unpinned paging drifts, delta windows
// return exactly the changed workers, and the ground truth agrees with what the pages carry.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type SimulatorHandle, startSimulator } from '../../src/simulator';
import { Dataset } from '../../src/simulator/dataset';
import { TenantTime } from '../../src/simulator/time';
import { allPages, getWorkers, NO_LATENCY, REFS_ONLY, readPage } from './helpers';

const WORKERS = 3000;
const COUNT = 500;
// A Monday in June, frozen, so dates and windows are reproducible.
const START = '2024-06-03T20:00:00.000Z';

const today = (iso: string) => iso.slice(0, 10);

describe('snapshots and drift', () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startSimulator({
      workers: WORKERS,
      seed: 7,
      clockStart: START,
      clockFrozen: true,
      faults: NO_LATENCY,
      timezone: '+00:00',
    });
  });
  after(() => sim.close());

  it('serves the population deterministically from the seed', async () => {
    const other = await startSimulator({
      workers: WORKERS,
      seed: 7,
      clockStart: START,
      clockFrozen: true,
      faults: NO_LATENCY,
      timezone: '+00:00',
    });
    try {
      const a = await getWorkers(sim, { page: 3, count: 50, asOfEntry: START });
      const b = await getWorkers(other, { page: 3, count: 50, asOfEntry: START });
      assert.equal(a.text, b.text);
      const c = await startSimulator({
        workers: WORKERS,
        seed: 8,
        clockStart: START,
        clockFrozen: true,
        faults: NO_LATENCY,
      });
      const d = await getWorkers(c, { page: 3, count: 50, asOfEntry: START });
      await c.close();
      assert.notDeepEqual(readPage(a.text).wids, readPage(d.text).wids, 'another seed, another tenant');
    } finally {
      await other.close();
    }
  });

  it('pinned paging returns one consistent snapshot while the tenant churns', async () => {
    const pinned = sim.admin.clock.now();
    const truth = sim.admin.workersAsOf({ entryMoment: pinned, effectiveDate: today(pinned) });
    const first = readPage(
      (
        await getWorkers(sim, {
          page: 1,
          count: COUNT,
          asOfEntry: pinned,
          asOfEffective: today(pinned),
          group: REFS_ONLY,
        })
      ).text,
    );
    const changed = sim.admin.churn(400);
    assert.ok(changed.length > 300);
    const pages = [first];
    for (let p = 2; p <= first.totalPages; p++) {
      sim.admin.churn(50);
      pages.push(
        readPage(
          (
            await getWorkers(sim, {
              page: p,
              count: COUNT,
              asOfEntry: pinned,
              asOfEffective: today(pinned),
              group: REFS_ONLY,
            })
          ).text,
        ),
      );
    }
    for (const p of pages) assert.equal(p.total, WORKERS, 'same Total_Results on every page');
    const got = pages.flatMap((p) => p.workers);
    assert.deepEqual(
      got.map((w) => [w.wid, w.descriptor]),
      truth.map((w) => [w.wid, w.descriptor]),
      'pages hold exactly the snapshot, in order, with the snapshot names',
    );
  });

  it('unpinned paging drifts: totals change and workers shift between pages', async () => {
    const first = readPage((await getWorkers(sim, { page: 1, count: COUNT, group: REFS_ONLY })).text);
    const pages = [first];
    for (let p = 2; p <= first.totalPages; p++) {
      sim.admin.churn(300);
      pages.push(readPage((await getWorkers(sim, { page: p, count: COUNT, group: REFS_ONLY })).text));
    }
    const totals = new Set(pages.map((p) => p.total));
    assert.ok(totals.size > 1, `Total_Results changed between pages: ${[...totals].join(', ')}`);
    const wids = pages.flatMap((p) => p.wids);
    const finalTruth = sim.admin.workersAsOf({
      entryMoment: sim.admin.clock.now(),
      effectiveDate: today(sim.admin.clock.now()),
    });
    const duplicates = wids.length - new Set(wids).size;
    const missing = finalTruth.filter((w) => !wids.includes(w.wid)).length;
    assert.ok(
      duplicates + missing > 0,
      `an unpinned walk sees duplicates (${duplicates}) or misses workers (${missing})`,
    );
  });

  it('requests without As_Of default to the clock: effective-dated changes appear when their day comes', async () => {
    const hires = sim.admin
      .changeLog()
      .filter((c) => c.kind === 'hire' && c.effectiveDate > today(sim.admin.clock.now()));
    assert.ok(hires.length > 0, 'churn produced future-dated hires');
    const h = hires[0];
    const refs = `<wd:Request_References><wd:Worker_Reference><wd:ID wd:type="WID">${h.wid}</wd:ID></wd:Worker_Reference></wd:Request_References>`;
    const before = (await getWorkers(sim, { before: refs })).text;
    assert.match(before, /<wd:Active>0<\/wd:Active>/, 'a future-dated hire is inactive until the hire date');
    assert.match(before, new RegExp(`<wd:Hire_Date>${h.effectiveDate}`));
    const saved = sim.admin.clock.now();
    sim.admin.clock.set(`${h.effectiveDate}T12:00:00Z`, { frozen: true });
    const afterHire = (await getWorkers(sim, { before: refs })).text;
    assert.match(afterHire, /<wd:Active>1<\/wd:Active>/);
    sim.admin.clock.set(saved, { frozen: true });
  });
});

describe('delta windows', () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startSimulator({
      workers: 2000,
      seed: 11,
      clockStart: START,
      clockFrozen: true,
      faults: NO_LATENCY,
      timezone: '+00:00',
    });
  });
  after(() => sim.close());

  const window = (w: {
    updatedFrom?: string;
    updatedThrough?: string;
    effectiveFrom?: string;
    effectiveThrough?: string;
  }) =>
    '<wd:Request_Criteria><wd:Transaction_Log_Criteria_Data><wd:Transaction_Date_Range_Data>' +
    (w.updatedFrom ? `<wd:Updated_From>${w.updatedFrom}</wd:Updated_From>` : '') +
    (w.updatedThrough ? `<wd:Updated_Through>${w.updatedThrough}</wd:Updated_Through>` : '') +
    (w.effectiveFrom ? `<wd:Effective_From>${w.effectiveFrom}</wd:Effective_From>` : '') +
    (w.effectiveThrough ? `<wd:Effective_Through>${w.effectiveThrough}</wd:Effective_Through>` : '') +
    '</wd:Transaction_Date_Range_Data></wd:Transaction_Log_Criteria_Data></wd:Request_Criteria>';

  it('Updated_From/Through select exactly the workers changed in the window', async () => {
    const t0 = sim.admin.clock.advance(60_000);
    const a = new Set(sim.admin.churn(120));
    const t1 = sim.admin.clock.advance(3_600_000);
    const b = new Set(sim.admin.churn(80));
    const t2 = sim.admin.clock.advance(60_000);
    const first = await allPages(
      sim,
      { group: REFS_ONLY, before: window({ updatedFrom: t0, updatedThrough: t1 }) },
      50,
    );
    assert.deepEqual(new Set(first.flatMap((p) => p.wids)), a);
    const second = await allPages(
      sim,
      { group: REFS_ONLY, before: window({ updatedFrom: t1, updatedThrough: t2 }) },
      999,
    );
    assert.deepEqual(new Set(second.flatMap((p) => p.wids)), b);
    const both = await allPages(
      sim,
      { group: REFS_ONLY, before: window({ updatedFrom: t0, updatedThrough: t2 }) },
      999,
    );
    assert.deepEqual(new Set(both.flatMap((p) => p.wids)), new Set([...a, ...b]));
    const truth = sim.admin.workersAsOf({
      entryMoment: t2,
      effectiveDate: today(t2),
      transactionLog: { updatedFrom: t0, updatedThrough: t1 },
    });
    assert.deepEqual(new Set(truth.map((w) => w.wid)), a, 'the ground truth applies the same window');
  });

  it('Effective_From/Through select exactly the workers with a change effective in the window', async () => {
    const now = sim.admin.clock.now();
    // Future-dated changes from the churn above, read from the change log.
    const from = '2024-06-05T00:00:00Z';
    const through = '2024-06-20T23:59:59Z';
    const expected = new Set(
      sim.admin
        .changeLog()
        .filter((c) => c.effectiveDate >= '2024-06-05' && c.effectiveDate <= '2024-06-20')
        .map((c) => c.wid),
    );
    // Base history too: hires and terminations effective in the window, found by brute force.
    const ds = new Dataset(11, 2000, Date.parse(START), new TenantTime('+00:00'));
    for (let i = 0; i < 2000; i++) {
      if (
        ds
          .events(i)
          .some(
            (e) =>
              e.effective >= Date.parse(from) / 86_400_000 &&
              e.effective <= Math.floor(Date.parse(through) / 86_400_000),
          )
      ) {
        expected.add(ds.wid(i));
      }
    }
    assert.ok(expected.size > 0);
    const pages = await allPages(
      sim,
      {
        group: REFS_ONLY,
        asOfEntry: now,
        before: window({ effectiveFrom: from, effectiveThrough: through }),
      },
      999,
    );
    assert.deepEqual(new Set(pages.flatMap((p) => p.wids)), expected);
  });

  it('a past Effective window over the pre-loaded history matches a brute-force scan', async () => {
    const ds = new Dataset(11, 2000, Date.parse(START), new TenantTime('+00:00'));
    const lo = Date.parse('2023-01-01T00:00:00Z') / 86_400_000;
    const hi = Date.parse('2023-03-31T00:00:00Z') / 86_400_000;
    const expected = new Set<string>();
    for (let i = 0; i < 2000; i++)
      if (ds.events(i).some((e) => e.seq < 0 && e.effective >= lo && e.effective <= hi))
        expected.add(ds.wid(i));
    assert.ok(expected.size > 5, `enough hires and terminations in Q1 2023 (${expected.size})`);
    const pages = await allPages(
      sim,
      {
        group: REFS_ONLY,
        before: window({ effectiveFrom: '2023-01-01T00:00:00Z', effectiveThrough: '2023-03-31T00:00:00Z' }),
      },
      999,
    );
    assert.deepEqual(new Set(pages.flatMap((p) => p.wids)), expected);
  });
});
