// What the simulator accepts (any prefix, default namespace, 1/0/true/false, date or dateTime) and
// the protocol details clients depend on (WSDL, gzip, paging edges, the Page_Results quirk).
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type SimulatorHandle, startSimulator } from '../../src/simulator';
import { acceptsGzip } from '../../src/simulator/service';
import { envelope, getWorkers, NO_LATENCY, post, readPage, REFS_ONLY } from './helpers';

describe('protocol', () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startSimulator({ workers: 250, seed: 21, faults: NO_LATENCY });
  });
  after(() => sim.close());

  it('serves its WSDL at ?wsdl with the endpoint as soap:address', async () => {
    const res = await fetch(`${sim.endpoint}?wsdl`);
    assert.equal(res.status, 200);
    const wsdl = await res.text();
    assert.match(wsdl, /<wsdl:operation name="Get_Workers">/);
    assert.ok(wsdl.includes(`location="${sim.endpoint}"`));
  });

  it('accepts any prefix, a default namespace, and the unversioned path', async () => {
    for (const prefix of ['bsvc', 'wd', 'ns0', '']) {
      const r = await getWorkers(sim, { prefix, count: 7, group: REFS_ONLY });
      assert.equal(r.status, 200, `prefix "${prefix}"`);
      assert.equal(readPage(r.text).workers.length, 7);
    }
    const unversioned = sim.endpoint.replace(/\/v\d+\.\d+$/, '');
    assert.equal((await post(unversioned, envelope(sim, { count: 2 }))).status, 200);
  });

  it('wd:version: the request attribute if present, else the URL version, else the default', async () => {
    const ver = (xml: string) => /<wd:Get_Workers_Response [^>]*wd:version="([^"]*)"/.exec(xml)?.[1];
    const v40 = sim.endpoint.replace(/\/v\d+\.\d+$/, '/v40.0');
    const plain = await post(v40, envelope(sim, { count: 1, group: REFS_ONLY }));
    assert.equal(plain.status, 200);
    assert.equal(ver(plain.text), 'v40.0', 'a v40.0 URL without a version attribute answers as v40.0');
    const attr = await post(v40, envelope(sim, { count: 1, group: REFS_ONLY, version: 'v42.1' }));
    assert.equal(ver(attr.text), 'v42.1', 'the request attribute wins over the URL');
    const noMinor = await post(v40.replace('/v40.0', '/v41'), envelope(sim, { count: 1, group: REFS_ONLY }));
    assert.equal(ver(noMinor.text), 'v41.0');
    const unversioned = sim.endpoint.replace(/\/v\d+\.\d+$/, '');
    const def = await post(unversioned, envelope(sim, { count: 1, group: REFS_ONLY }));
    assert.equal(ver(def.text), sim.options.version);
    assert.equal(ver((await getWorkers(sim, { count: 1, group: REFS_ONLY })).text), sim.options.version);
  });

  it('no Page means page 1, no Count means 100; past the last page is an empty Response_Data', async () => {
    const p = readPage((await getWorkers(sim, { group: REFS_ONLY })).text);
    assert.deepEqual([p.page, p.workers.length, p.total, p.totalPages], [1, 100, 250, 3]);
    const last = readPage((await getWorkers(sim, { page: 3 })).text);
    assert.equal(last.workers.length, 50);
    const past = await getWorkers(sim, { page: 4, count: 100 });
    assert.equal(past.status, 200);
    assert.match(past.text, /<wd:Response_Data><\/wd:Response_Data>/);
    assert.deepEqual([readPage(past.text).total, readPage(past.text).pageResults], [250, 0]);
  });

  it('booleans as 1/0/true/false and As_Of_Effective_Date as a date or a dateTime', async () => {
    const a = await getWorkers(sim, {
      count: 3,
      asOfEffective: '2030-01-01',
      group:
        '<wd:Include_Reference>true</wd:Include_Reference><wd:Include_Personal_Information>0</wd:Include_Personal_Information>',
    });
    const b = await getWorkers(sim, {
      count: 3,
      asOfEffective: '2030-01-01T00:00:00-08:00',
      group:
        '<wd:Include_Reference>1</wd:Include_Reference><wd:Include_Personal_Information>false</wd:Include_Personal_Information>',
    });
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    assert.match(a.text, /<wd:As_Of_Effective_Date>2030-01-01-08:00</);
    assert.match(b.text, /<wd:As_Of_Effective_Date>2030-01-01-08:00</);
    assert.doesNotMatch(a.text, /<wd:Personal_Data>/);
    assert.match(a.text, /<wd:Include_Personal_Information>0</, 'booleans come back as 1/0');
  });

  it('Response_Group switches sections on and off; no group gives the default set', async () => {
    const def = (await getWorkers(sim, { count: 1 })).text;
    for (const el of [
      'Personal_Data',
      'Employment_Data',
      'Compensation_Data',
      'Organization_Data',
      'Role_Data',
    ])
      assert.ok(def.includes(`<wd:${el}`), el);
    const comp = (
      await getWorkers(sim, { count: 1, group: '<wd:Include_Compensation>1</wd:Include_Compensation>' })
    ).text;
    assert.ok(comp.includes('<wd:Compensation_Data>'));
    assert.ok(!comp.includes('<wd:Personal_Data>') && !comp.includes('<wd:Worker_Reference'));
    const size = def.length;
    assert.ok(size > 5000, `several KB per worker with the default groups (${size} bytes)`);
  });

  it('gzip when the client accepts it', async () => {
    const raw = await new Promise<{ enc?: string; body: Buffer }>((resolve, reject) => {
      const req = request(
        sim.endpoint,
        { method: 'POST', headers: { 'Accept-Encoding': 'gzip, deflate' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ enc: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
        },
      );
      req.on('error', reject);
      req.end(envelope(sim, { count: 50 }));
    });
    assert.equal(raw.enc, 'gzip');
    const xml = gunzipSync(raw.body).toString('utf8');
    assert.equal(readPage(xml).workers.length, 50);
    assert.ok(raw.body.length < xml.length / 4);
  });

  it('gzip;q=0 (and no Accept-Encoding) gets identity', async () => {
    const enc = (accept?: string) =>
      new Promise<{ enc?: string; body: string }>((resolve, reject) => {
        const req = request(
          sim.endpoint,
          { method: 'POST', headers: accept === undefined ? {} : { 'Accept-Encoding': accept } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({ enc: res.headers['content-encoding'], body: Buffer.concat(chunks).toString('utf8') }),
            );
          },
        );
        req.on('error', reject);
        req.end(envelope(sim, { count: 3, group: REFS_ONLY }));
      });
    for (const accept of ['gzip;q=0', 'deflate, gzip; q=0.0', 'identity', undefined]) {
      const r = await enc(accept);
      assert.equal(r.enc, undefined, `Accept-Encoding: ${accept}`);
      assert.equal(readPage(r.body).workers.length, 3);
    }
    assert.equal((await enc('gzip;q=0.5, identity')).enc, 'gzip');
    assert.deepEqual(
      ['gzip', 'GZIP;Q=1', 'x-gzip', '*', 'br, *;q=0.1', 'gzip;q=0', '*, gzip;q=0', '*;q=0', 'br', ''].map(
        (h) => acceptsGzip(h),
      ),
      [true, true, true, true, true, false, false, false, false, false],
    );
  });

  it('streams: the first body chunk arrives long before a slow page ends', async () => {
    const slow = await startSimulator({
      workers: 300,
      seed: 21,
      faults: { latency: { baseMs: 0, perWorkerMs: 2, jitterMs: 0, slowTailRate: 0 } },
    });
    try {
      const t0 = performance.now();
      const seen = await new Promise<{ first: number; end: number; xml: string }>((resolve, reject) => {
        const req = request(slow.endpoint, { method: 'POST' }, (res) => {
          let first = -1;
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => {
            if (first < 0) first = performance.now() - t0;
            chunks.push(c);
          });
          res.on('end', () =>
            resolve({ first, end: performance.now() - t0, xml: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(envelope(slow, { count: 300 }));
      });
      assert.equal(readPage(seen.xml).workers.length, 300);
      assert.ok(seen.end >= 500, `300 workers at 2 ms each take >= 500 ms (took ${seen.end.toFixed(0)})`);
      assert.ok(
        seen.first < seen.end / 4,
        `first chunk at ${seen.first.toFixed(0)} ms, end at ${seen.end.toFixed(0)} ms`,
      );
    } finally {
      await slow.close();
    }
  });

  it('Page_Results quirk echoes Count', async () => {
    const q = await startSimulator({ workers: 30, seed: 21, pageResultsQuirk: true, faults: NO_LATENCY });
    try {
      const p = readPage((await getWorkers(q, { page: 2, count: 20 })).text);
      assert.deepEqual([p.workers.length, p.pageResults], [10, 20]);
    } finally {
      await q.close();
    }
  });

  it('criteria: exclusions, organizations with subordinates, and the request log records them', async () => {
    const now = sim.admin.clock.now();
    const all = sim.admin.workersAsOf({ entryMoment: now, effectiveDate: now.slice(0, 10) });
    const active = all.filter((w) => w.employment?.active && w.workerType === 'Employee');
    const crit =
      '<wd:Request_Criteria><wd:Exclude_Inactive_Workers>true</wd:Exclude_Inactive_Workers><wd:Exclude_Contingent_Workers>1</wd:Exclude_Contingent_Workers></wd:Request_Criteria>';
    const p = readPage(
      (
        await getWorkers(sim, {
          count: 999,
          before: crit,
          asOfEntry: now,
          asOfEffective: now.slice(0, 10),
          group: REFS_ONLY,
        })
      ).text,
    );
    assert.deepEqual(
      p.wids,
      active.map((w) => w.wid),
    );
    assert.ok(p.total < all.length);

    const org = all[0].organizations!.supervisoryOrgId!;
    const orgCrit = `<wd:Request_Criteria><wd:Organization_Reference><wd:ID wd:type="Organization_Reference_ID">${org}</wd:ID></wd:Organization_Reference><wd:Include_Subordinate_Organizations>1</wd:Include_Subordinate_Organizations></wd:Request_Criteria>`;
    const inOrg = readPage((await getWorkers(sim, { count: 999, before: orgCrit, group: REFS_ONLY })).text);
    const truth = sim.admin.workersAsOf({
      entryMoment: now,
      effectiveDate: now.slice(0, 10),
      organizations: [org],
      includeSubordinates: true,
    });
    assert.deepEqual(
      inOrg.wids,
      truth.map((w) => w.wid),
    );
    assert.ok(inOrg.total > 0);

    const log = sim.admin.requestLog();
    const last = log[log.length - 1];
    assert.deepEqual(last.criteria?.organizations, [{ type: 'Organization_Reference_ID', id: org }]);
    assert.equal(last.criteria?.includeSubordinates, true);
    assert.equal(last.asOfEntryRequested, undefined, 'unpinned');
    assert.ok(last.asOfEntry, 'the moment actually used is recorded');
    assert.equal(log[log.length - 2].criteria?.excludeInactive, true);
    assert.equal(log[log.length - 2].asOfEntryRequested, now);
  });
});
