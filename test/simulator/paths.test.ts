// Paths the other simulator tests leave alone: the slow tail, maintenance switched on and the
// maintenance rule, the organization and operation validation faults, OAuth client errors, setting
// the clock over HTTP, Exclude_Employees, and lookups by Employee_ID / Contingent_Worker_ID.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type SimulatorHandle, startSimulator } from '../../src/simulator';
import { faultOf, getWorkers, NO_LATENCY, post, readPage, REFS_ONLY } from './helpers';

describe('less-travelled paths', () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startSimulator({ workers: 400, seed: 11, faults: NO_LATENCY });
  });
  after(() => sim.close());
  beforeEach(() => {
    sim.admin.setFaults({
      rules: [],
      concurrencyCap: null,
      maintenance: { active: false },
      latency: NO_LATENCY.latency,
    });
  });
  const today = () => {
    const now = sim.admin.clock.now();
    return { entryMoment: now, effectiveDate: now.slice(0, 10) };
  };

  it('slow tail: slowTailRate 1 makes every answer take at least slowTailMs', async () => {
    sim.admin.setFaults({ latency: { slowTailRate: 1, slowTailMs: 300 } });
    const t0 = performance.now();
    const r = await getWorkers(sim, { count: 1, group: REFS_ONLY });
    const took = performance.now() - t0;
    assert.equal(r.status, 200);
    assert.ok(took >= 295, `took ${took.toFixed(0)} ms`);
    sim.admin.setFaults({ latency: { slowTailRate: 0 } });
    const t1 = performance.now();
    await getWorkers(sim, { count: 1, group: REFS_ONLY });
    assert.ok(performance.now() - t1 < 250, 'no slow tail once the rate is 0');
  });

  it('maintenance active: true answers 503 with the default Retry-After until switched off', async () => {
    sim.admin.setFaults({ maintenance: { active: true } });
    const r = await getWorkers(sim, { count: 1 });
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('retry-after'), '300');
    assert.match(r.text, /scheduled maintenance/);
    sim.admin.setFaults({ maintenance: { active: false } });
    assert.equal((await getWorkers(sim, { count: 1 })).status, 200);
  });

  it('a maintenance window is cleared over HTTP with null from / until', async () => {
    const faults = (body?: unknown) =>
      fetch(`${sim.adminUrl}/faults`, {
        method: body === undefined ? 'GET' : 'POST',
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { maintenance?: Record<string, unknown>; error?: string },
      }));
    const now = Date.parse(sim.admin.clock.now());
    const window = {
      from: new Date(now - 60_000).toISOString(),
      until: new Date(now + 3_600_000).toISOString(),
    };
    assert.equal((await faults({ maintenance: window })).status, 200);
    assert.equal((await getWorkers(sim, { count: 1 })).status, 503);
    const cleared = await faults({ maintenance: { from: null, until: null } });
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body.maintenance?.from, undefined);
    assert.equal(cleared.body.maintenance?.until, undefined);
    assert.equal(cleared.body.maintenance?.retryAfterSec, 300, 'other maintenance settings kept');
    assert.equal((await getWorkers(sim, { count: 1 })).status, 200);
    // Clearing one end leaves the other: an open-ended window from the past is still maintenance.
    await faults({ maintenance: window });
    await faults({ maintenance: { until: null } });
    const open = await faults();
    assert.deepEqual([open.body.maintenance?.from, open.body.maintenance?.until], [window.from, undefined]);
    assert.equal((await getWorkers(sim, { count: 1 })).status, 503);
    await faults({ maintenance: { from: null } });
    assert.equal((await getWorkers(sim, { count: 1 })).status, 200);
    const bad = await faults({ maintenance: { from: 'soon' } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error ?? '', /maintenance\.from/);
  });

  it('the maintenance rule type: 503 with the rule Retry-After, for the next N requests', async () => {
    sim.admin.setFaults({ rules: [{ type: 'maintenance', next: 1, retryAfterSec: 42 }] });
    const r = await getWorkers(sim, { count: 1 });
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('retry-after'), '42');
    assert.match(r.text, /maintenance/);
    assert.equal((await getWorkers(sim, { count: 1 })).status, 200);
  });

  it('an unknown organization is a validation fault', async () => {
    const crit =
      '<wd:Request_Criteria><wd:Organization_Reference><wd:ID wd:type="Organization_Reference_ID">SUP-999999</wd:ID></wd:Organization_Reference></wd:Request_Criteria>';
    const r = await getWorkers(sim, { before: crit });
    assert.equal(r.status, 500);
    const f = faultOf(r.text);
    assert.equal(f.code, 'SOAP-ENV:Client.validationError');
    assert.match(
      f.message ?? '',
      /'SUP-999999' is not a valid ID value for type = 'Organization_Reference_ID'/,
    );
    assert.match(f.detail ?? '', /No organization/);
    assert.match(f.xpath ?? '', /Organization_Reference/);
  });

  it('an operation other than Get_Workers is a validation fault', async () => {
    const body = envelopeFor(
      '<bsvc:Get_Organizations_Request xmlns:bsvc="urn:com.workday/bsvc"></bsvc:Get_Organizations_Request>',
    );
    const r = await post(sim.endpoint, body);
    assert.equal(r.status, 500);
    const f = faultOf(r.text);
    assert.equal(f.code, 'SOAP-ENV:Client.validationError');
    assert.match(f.message ?? '', /Get_Organizations_Request is not supported/);
    assert.match(f.detail ?? '', /Get_Workers only/);
  });

  it('OAuth: a bad client is invalid_client (401); a grant other than refresh_token is unsupported_grant_type (400)', async () => {
    const token = (body: Record<string, string>, auth?: string, url = sim.tokenUrl) =>
      fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          ...(auth ? { Authorization: auth } : {}),
        },
        body: new URLSearchParams(body).toString(),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: string } }));
    const grant = { grant_type: 'refresh_token', refresh_token: sim.oauth.refreshToken };
    const wrongSecret = `Basic ${Buffer.from(`${sim.oauth.clientId}:nope`).toString('base64')}`;
    const a = await token(grant, wrongSecret);
    assert.deepEqual([a.status, a.body.error], [401, 'invalid_client']);
    const b = await token({ ...grant, client_id: 'someone', client_secret: sim.oauth.clientSecret });
    assert.deepEqual([b.status, b.body.error], [401, 'invalid_client']);
    const c = await token(
      { ...grant, client_id: sim.oauth.clientId, client_secret: sim.oauth.clientSecret },
      undefined,
      sim.tokenUrl.replace('/acme/', '/globex/'),
    );
    assert.deepEqual([c.status, c.body.error], [401, 'invalid_client'], 'another tenant');
    const d = await token({
      grant_type: 'client_credentials',
      client_id: sim.oauth.clientId,
      client_secret: sim.oauth.clientSecret,
    });
    assert.deepEqual([d.status, d.body.error], [400, 'unsupported_grant_type']);
    const e = await token({ ...grant, client_id: sim.oauth.clientId, client_secret: sim.oauth.clientSecret });
    assert.equal(e.status, 200, 'form credentials work when right');
  });

  it('Exclude_Employees returns exactly the contingent workers', async () => {
    const t = today();
    const contingent = sim.admin.workersAsOf(t).filter((w) => w.workerType === 'Contingent_Worker');
    assert.ok(contingent.length > 0);
    const crit = '<wd:Request_Criteria><wd:Exclude_Employees>1</wd:Exclude_Employees></wd:Request_Criteria>';
    const p = readPage(
      (
        await getWorkers(sim, {
          before: crit,
          count: 999,
          asOfEntry: t.entryMoment,
          asOfEffective: t.effectiveDate,
          group: REFS_ONLY,
        })
      ).text,
    );
    assert.deepEqual(
      p.wids,
      contingent.map((w) => w.wid),
    );
  });

  it('Employee_ID and Contingent_Worker_ID references return the right WIDs', async () => {
    const all = sim.admin.workersAsOf(today());
    const emp = all.filter((w) => w.workerType === 'Employee').slice(3, 5);
    const cw = all.find((w) => w.workerType === 'Contingent_Worker');
    assert.ok(emp.length === 2 && cw);
    const ref = (type: string, id: string) =>
      `<wd:Worker_Reference><wd:ID wd:type="${type}">${id}</wd:ID></wd:Worker_Reference>`;
    const refs =
      '<wd:Request_References>' +
      ref('Contingent_Worker_ID', cw.workerId) +
      ref('Employee_ID', emp[1].workerId) +
      ref('Employee_ID', emp[0].workerId) +
      '</wd:Request_References>';
    const r = await getWorkers(sim, { before: refs, group: REFS_ONLY });
    assert.equal(r.status, 200);
    const p = readPage(r.text);
    assert.equal(p.total, 3);
    assert.deepEqual(new Set(p.wids), new Set([cw.wid, emp[1].wid, emp[0].wid]));
    for (const w of [cw, ...emp])
      assert.ok(r.text.includes(`>${w.workerId}</wd:ID>`), `${w.workerId} echoed in its Worker_Reference`);
    // The ID types are not interchangeable: an employee's ID is not a Contingent_Worker_ID.
    const wrong = await getWorkers(sim, {
      before: `<wd:Request_References>${ref('Contingent_Worker_ID', emp[0].workerId)}</wd:Request_References>`,
    });
    assert.equal(faultOf(wrong.text).code, 'SOAP-ENV:Client.validationError');
  });
});

describe('POST /__admin/clock {set}', () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startSimulator({ workers: 50, seed: 12, faults: NO_LATENCY });
  });
  after(() => sim.close());

  it('sets (and freezes) the clock; unpinned requests are answered as of it', async () => {
    const clock = (body: unknown) =>
      fetch(`${sim.adminUrl}/clock`, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { now?: string; frozen?: boolean; error?: string },
      }));
    const later = new Date(Date.parse(sim.admin.clock.now()) + 40 * 86_400_000).toISOString();
    const s = await clock({ set: later, frozen: true });
    assert.equal(s.status, 200);
    assert.equal(s.body.frozen, true);
    assert.equal(Date.parse(s.body.now ?? ''), Date.parse(later));
    await getWorkers(sim, { count: 1, group: REFS_ONLY });
    const log = sim.admin.requestLog();
    const used = log[log.length - 1].asOfEntry ?? '';
    assert.ok(Math.abs(Date.parse(used) - Date.parse(later)) < 1000, `answered as of ${used}`);
    const got = await fetch(`${sim.adminUrl}/clock`).then((r) => r.json() as Promise<{ now: string }>);
    assert.ok(Math.abs(Date.parse(got.now) - Date.parse(later)) < 1000, 'frozen: still there');
    const bad = await clock({ set: 'next tuesday' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error ?? '', /set/);
    const both = await clock({ set: later, advanceMs: 5 });
    assert.equal(both.status, 400);
    assert.match(both.body.error ?? '', /either set or advanceMs/);
  });
});

/** A SOAP envelope with the simulator's default credentials around an arbitrary body element. */
function envelopeFor(bodyXml: string): string {
  return (
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header>' +
    '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">' +
    '<wsse:UsernameToken><wsse:Username>isu_wdsync@acme</wsse:Username>' +
    '<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">wdsync</wsse:Password>' +
    `</wsse:UsernameToken></wsse:Security></soapenv:Header><soapenv:Body>${bodyXml}</soapenv:Body></soapenv:Envelope>`
  );
}
