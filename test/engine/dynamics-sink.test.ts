// Issue 15 on a real Temporal dev server, PostgreSQL and both simulators: a full sync into the
// Dataverse simulator through the example mapping leaves exactly the in-scope workers as contacts
// with their mapped fields (read back with dynamics-web-api), with service-protection 429s and an
// expired token on the way; a delta after churn writes exactly the changed ones. The PostgreSQL
// sink, fed by the same runs, is the ground truth.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DynamicsWebApi } from 'dynamics-web-api';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import { loadMapping, type MappedRecord } from '../../src/mapping/mapping-file';
import type { StartOptions } from '../../src/runs/start';
import { type DataverseSimulatorHandle, startDataverseSimulator } from '../../src/targets/dynamics/simulator';
import { createHarness, type Harness } from '../helpers/harness';
import { mappedWorkers, mustWrite, runPinned } from '../helpers/mapped-run';
import { dataverseClient, dataverseSink } from '../helpers/targets';

const WORKERS = 300;
const EXAMPLE = path.resolve(__dirname, '..', '..', 'examples', 'dynamics-contact.json');
const mapping = loadMapping(EXAMPLE, 'dynamics');

type Contact = Record<string, unknown>;

describe('Dataverse sink: full sync and delta into the simulator (issue 15)', { timeout: 300_000 }, () => {
  let h: Harness;
  let dv: DataverseSimulatorHandle;
  let api: DynamicsWebApi;

  before(async () => {
    dv = await startDataverseSimulator({ port: 0 });
    h = await createHarness({
      workers: WORKERS,
      simulator: {
        clockFrozen: true,
        clockStart: '2026-11-20T18:00:00.000Z',
        faults: { latency: { baseMs: 2, perWorkerMs: 0, jitterMs: 2 } },
      },
      config: {
        sinks: [{ name: 'postgres', type: 'postgres' }, dataverseSink(dv, 'dataverse', EXAMPLE)],
      },
    });
    await h.startInProcessWorkers();
    api = dataverseClient(dv);
  });
  after(async () => {
    await h?.close();
    await dv?.close();
  });

  const run = (opts: Omit<StartOptions, 'asOf'> = {}) => runPinned(h, opts);
  const workers = () => mappedWorkers(h, mapping);

  async function contacts(): Promise<Map<string, Contact>> {
    const r = await api.retrieveAll<Contact>({
      collection: 'contacts',
      select: [
        'wd_workdayid',
        'wd_source',
        'statecode',
        'wd_terminationdate',
        ...Object.keys(mapping.file.fields),
      ],
    });
    return new Map(r.value.map((c) => [c.wd_workdayid as string, c]));
  }

  function assertMapped(c: Contact, m: MappedRecord, wid: string): void {
    for (const [f, v] of Object.entries(m.values)) assert.deepEqual(c[f], v, `${wid}.${f}`);
    for (const f of Object.keys(mapping.file.fields))
      if (!(f in m.values)) assert.equal(c[f], null, `${wid}.${f} was never set`);
    assert.equal(c.wd_source, 'Workday');
  }

  let before1: Map<string, Contact>;
  let truth1: Map<string, { record: NormalizedWorker; m: MappedRecord }>;

  test('a full sync leaves exactly the in-scope workers as contacts with their mapped fields', async (t) => {
    // Throttled three times and a token revoked on the way: waited out and renewed, no gaps.
    dv.admin.setFaults([
      { type: 'throttle', next: 3, retryAfterSec: 1 },
      { type: 'expireToken', next: 1 },
    ]);
    const summary = await run();
    assert.equal(summary.status, 'COMPLETED', JSON.stringify(summary));
    truth1 = await workers();
    assert.equal(truth1.size, WORKERS);
    const inScope = [...truth1].filter(([, w]) => w.m.inScope && !w.m.terminated);
    assert.ok(inScope.length > 50 && inScope.length < WORKERS, `in scope: ${inScope.length}`);
    before1 = await contacts();
    assert.deepEqual([...before1.keys()].sort(), inScope.map(([wid]) => wid).sort());
    for (const [wid, w] of inScope) assertMapped(before1.get(wid)!, w.m, wid);
    const stats = dv.admin.stats();
    assert.equal(stats.throttled['0x80072322'], 3);
    assert.ok(stats.tokensIssued >= 2, 'the revoked token was renewed');
    assert.ok(stats.batchSizes.length >= 3 && stats.batchSizes.every((n) => n <= 100));
    assert.ok(stats.peakConcurrency <= 52);
    const created = dv.admin.writes().filter((x) => x.action === 'created');
    assert.equal(created.length, inScope.length, 'each in-scope worker created once (If-None-Match)');
    t.diagnostic(
      `${WORKERS} workers, ${inScope.length} in scope, ${stats.batchSizes.length} $batch requests, peak concurrency ${stats.peakConcurrency}`,
    );
  });

  test('a delta after churn updates exactly the changed ones', async (t) => {
    const changed = new Set(h.sim.admin.churn(40));
    const writesBefore = dv.admin.writes().length;
    const summary = await run({ mode: 'delta' });
    assert.equal(summary.status, 'COMPLETED', JSON.stringify(summary));
    const truth2 = await workers();
    const after2 = await contacts();

    const expectTouched = mustWrite(truth1, truth2, before1, changed);
    const written = dv.admin
      .writes()
      .slice(writesBefore)
      .map((x) => String(x.key));
    assert.deepEqual([...new Set(written)].sort(), [...expectTouched].sort());
    assert.equal(written.length, expectTouched.size, 'each changed worker written once');

    for (const [wid, w] of truth2) {
      const c = after2.get(wid);
      if (w.m.terminated) {
        if (!before1.has(wid))
          assert.equal(c, undefined, `${wid}: a leaver never in Dataverse gets no contact`);
        else if (expectTouched.has(wid)) {
          assert.equal(c!.wd_active, false, `${wid} deactivated`);
          assert.equal(c!.statecode, 1, `${wid} inactive`);
          assert.equal(c!.wd_terminationdate, w.record.employment!.terminationDate ?? null);
        }
      } else if (w.m.inScope) assertMapped(c!, w.m, wid);
      else if (!before1.has(wid)) assert.equal(c, undefined, `${wid} is out of scope`);
    }
    t.diagnostic(`churned ${changed.size}; ${expectTouched.size} written to Dataverse`);
  });

  test('wdsync explain says what a delivery would do, with the row Dataverse holds, writing nothing', async () => {
    const truth = await workers();
    const held = await contacts();
    const [wid, w] = [...truth].find(([id, x]) => x.m.inScope && !x.m.terminated && held.has(id))!;
    const writesBefore = dv.admin.stats().batchSizes.length;
    // The CLI reads its sinks and credentials from the environment, as a user's shell would.
    const env = { WDSYNC_SINKS: `postgres,dataverse=dynamics:${EXAMPLE}`, ...dv.env };
    const r = await h.cli(['explain', w.record.workerId, '--sink', 'dataverse', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout).sinks[0];
    assert.equal(report.action, 'unchanged', report.reason);
    assert.equal(report.key, wid);
    assert.equal(report.current.wd_workdayid, wid);
    assert.equal(report.current.lastname, w.m.values.lastname);
    assert.equal(dv.admin.stats().batchSizes.length, writesBefore, 'explain sends no $batch');
  });
});
