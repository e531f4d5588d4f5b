// Every injected fault and every validation/auth fault, answered the way Workday answers.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type SimulatorHandle, startSimulator } from '../../src/simulator';
import { envelope, faultOf, getWorkers, NO_LATENCY, post, readPage } from './helpers';

describe('faults', () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startSimulator({ workers: 300, seed: 3, faults: NO_LATENCY });
  });
  after(() => sim.close());
  beforeEach(() => {
    sim.admin.setFaults({
      rules: [],
      concurrencyCap: null,
      maintenance: { active: false },
      latency: NO_LATENCY.latency,
    });
    sim.admin.resetStats();
  });

  describe('validation faults (HTTP 500, Client.validationError, wd:Validation_Fault)', () => {
    const cases: [string, Parameters<typeof envelope>[1], RegExp, RegExp][] = [
      ['Page 0', { page: 0 }, /Page number cannot be zero/, /Response_Filter\[1\]\/bsvc:Page\[1\]/],
      ['Count 0', { count: 0 }, /Count must be between 1 and 999/, /bsvc:Count\[1\]/],
      ['Count 1000', { count: 1000 }, /Count must be between 1 and 999/, /bsvc:Count\[1\]/],
      [
        'unknown worker reference',
        {
          before:
            '<wd:Request_References><wd:Worker_Reference><wd:ID wd:type="Employee_ID">999999</wd:ID></wd:Worker_Reference></wd:Request_References>',
        },
        /'999999' is not a valid ID value for type = 'Employee_ID'/,
        /Request_References\[1\]\/bsvc:Worker_Reference\[1\]\/bsvc:ID\[1\]/,
      ],
      [
        'a bad boolean',
        { group: '<wd:Include_Reference>yes</wd:Include_Reference>' },
        /Invalid boolean value/,
        /Include_Reference/,
      ],
      [
        'a bad As_Of_Entry_DateTime',
        { asOfEntry: 'yesterday' },
        /As_Of_Entry_DateTime/,
        /As_Of_Entry_DateTime\[1\]/,
      ],
    ];
    for (const [name, opts, message, xpath] of cases) {
      it(name, async () => {
        const r = await getWorkers(sim, opts);
        assert.equal(r.status, 500);
        const f = faultOf(r.text);
        assert.equal(f.code, 'SOAP-ENV:Client.validationError');
        assert.match(f.string ?? '', /^Validation error occurred\./);
        assert.match(f.message ?? '', message);
        assert.ok(f.detail, 'Detail_Message present');
        assert.match(f.xpath ?? '', xpath);
      });
    }

    it('malformed XML', async () => {
      const r = await post(
        sim.endpoint,
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><oops>',
      );
      assert.equal(r.status, 500);
      assert.equal(faultOf(r.text).code, 'SOAP-ENV:Client.validationError');
      assert.match(faultOf(r.text).message ?? '', /not well-formed/);
    });

    it('an unknown reference with Skip_Non_Existing_Instances is skipped', async () => {
      const sample = sim.admin.workersAsOf({
        entryMoment: sim.admin.clock.now(),
        effectiveDate: sim.admin.clock.now().slice(0, 10),
      })[5];
      const refs =
        '<wd:Request_References wd:Skip_Non_Existing_Instances="true"><wd:Worker_Reference><wd:ID wd:type="Employee_ID">999999</wd:ID></wd:Worker_Reference>' +
        `<wd:Worker_Reference><wd:ID wd:type="WID">${sample.wid}</wd:ID></wd:Worker_Reference></wd:Request_References>`;
      const r = await getWorkers(sim, { before: refs });
      assert.equal(r.status, 200);
      assert.deepEqual(readPage(r.text).wids, [sample.wid]);
    });
  });

  describe('authentication', () => {
    it('wrong password → authenticationError', async () => {
      const r = await getWorkers(sim, { password: 'nope' });
      assert.equal(r.status, 500);
      assert.deepEqual(
        [faultOf(r.text).code, faultOf(r.text).string],
        ['SOAP-ENV:Client.authenticationError', 'invalid username or password'],
      );
    });
    it('tenant mismatch → authenticationError', async () => {
      const r = await post(sim.endpoint.replace('/acme/', '/globex/'), envelope(sim, {}));
      assert.equal(faultOf(r.text).code, 'SOAP-ENV:Client.authenticationError');
      const r2 = await getWorkers(sim, { username: 'isu_wdsync@globex' });
      assert.equal(faultOf(r2.text).code, 'SOAP-ENV:Client.authenticationError');
    });
    it('no credentials → authenticationError', async () => {
      const r = await getWorkers(sim, { noSecurity: true });
      assert.equal(faultOf(r.text).code, 'SOAP-ENV:Client.authenticationError');
    });
    it('OAuth refresh-token grant gives an expiring Bearer token SOAP accepts', async () => {
      const basic = Buffer.from(`${sim.oauth.clientId}:${sim.oauth.clientSecret}`).toString('base64');
      const grant = (token: string) =>
        fetch(sim.tokenUrl, {
          method: 'POST',
          headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }).toString(),
        });
      const bad = await grant('wrong');
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { error: string }).error, 'invalid_grant');
      const res = await grant(sim.oauth.refreshToken);
      assert.equal(res.status, 200);
      const tok = (await res.json()) as { access_token: string; token_type: string; expires_in: number };
      assert.equal(tok.token_type, 'Bearer');
      const call = () =>
        post(sim.endpoint, envelope(sim, { noSecurity: true, count: 2 }), {
          Authorization: `Bearer ${tok.access_token}`,
        });
      assert.equal((await call()).status, 200);
      sim.admin.clock.advance((tok.expires_in + 1) * 1000);
      const expired = await call();
      assert.equal(faultOf(expired.text).code, 'SOAP-ENV:Client.authenticationError');
    });
  });

  describe('injected faults', () => {
    it('processing fault: HTTP 500 wd:Processing_Fault', async () => {
      sim.admin.setFaults({ rules: [{ type: 'processing', next: 1 }] });
      const r = await getWorkers(sim, { count: 5 });
      assert.equal(r.status, 500);
      assert.equal(faultOf(r.text).code, 'SOAP-ENV:Server.processingError');
      assert.match(r.text, /<wd:Processing_Fault><wd:Detail_Message>/);
      assert.equal((await getWorkers(sim, { count: 5 })).status, 200, 'next: 1 fires once');
      assert.equal(sim.admin.stats().faultsInjected, 1);
    });

    it('throttling: HTTP 500 processing fault that says throttled, no Retry-After', async () => {
      sim.admin.setFaults({ rules: [{ type: 'throttle', pages: [2] }] });
      assert.equal((await getWorkers(sim, { page: 1, count: 5 })).status, 200);
      const r = await getWorkers(sim, { page: 2, count: 5 });
      assert.equal(r.status, 500);
      assert.match(faultOf(r.text).string ?? '', /throttled/);
      assert.equal(r.headers.get('retry-after'), null);
      assert.deepEqual(sim.admin.stats().byPage, { 1: { ok: 1 }, 2: { throttled: 1 } });
    });

    it('429 and 503 with Retry-After', async () => {
      sim.admin.setFaults({
        rules: [
          { type: 'http429', next: 1, retryAfterSec: 7 },
          { type: 'http503', next: 1, retryAfterSec: 9 },
        ],
      });
      const a = await getWorkers(sim, { count: 5 });
      assert.deepEqual([a.status, a.headers.get('retry-after')], [429, '7']);
      const b = await getWorkers(sim, { count: 5 });
      assert.deepEqual([b.status, b.headers.get('retry-after')], [503, '9']);
    });

    it('maintenance window: 503 with Retry-After until it ends, on the simulator clock', async () => {
      const now = Date.parse(sim.admin.clock.now());
      sim.admin.setFaults({
        maintenance: {
          from: new Date(now - 1000).toISOString(),
          until: new Date(now + 120_000).toISOString(),
        },
      });
      const r = await getWorkers(sim, { count: 5 });
      assert.equal(r.status, 503);
      assert.match(r.text, /maintenance/);
      assert.ok(Number(r.headers.get('retry-after')) > 100);
      sim.admin.clock.advance(121_000);
      assert.equal((await getWorkers(sim, { count: 5 })).status, 200);
      sim.admin.setFaults({ maintenance: { from: undefined, until: undefined } });
    });

    it('hung request never answers and stays in flight until the client gives up', async () => {
      sim.admin.setFaults({ rules: [{ type: 'hang', next: 1 }] });
      await assert.rejects(
        post(sim.endpoint, envelope(sim, { count: 5 }), {}, AbortSignal.timeout(300)),
        /abort|timeout/i,
      );
      await new Promise((r) => setTimeout(r, 50));
      const s = sim.admin.stats();
      assert.equal(s.byOutcome.hang, 1);
      assert.equal(s.inFlight, 0, 'released when the client went away');
    });

    it('connection reset mid-body', async () => {
      sim.admin.setFaults({ rules: [{ type: 'reset', next: 1, atFraction: 0.5 }] });
      const got = await new Promise<{ bytes: number; error?: string }>((resolve) => {
        let bytes = 0;
        const req = request(sim.endpoint, { method: 'POST' }, (res) => {
          res.on('data', (c: Buffer) => {
            bytes += c.length;
          });
          res.on('error', (e) => resolve({ bytes, error: e.message }));
          res.on('aborted', () => resolve({ bytes, error: 'aborted' }));
          res.on('end', () => resolve({ bytes }));
        });
        req.on('error', (e) => resolve({ bytes, error: e.message }));
        req.end(envelope(sim, { count: 200 }));
      });
      assert.ok(got.error, 'the client sees the connection die');
      assert.ok(got.bytes > 10_000, `part of the body arrived first (${got.bytes} bytes)`);
      assert.equal(sim.admin.stats().byOutcome.reset, 1);
    });

    it('truncated XML: HTTP 200, the body ends mid-document', async () => {
      sim.admin.setFaults({ rules: [{ type: 'truncate', next: 1 }] });
      const r = await getWorkers(sim, { count: 50 });
      assert.equal(r.status, 200);
      assert.ok(r.text.length > 10_000);
      assert.doesNotMatch(r.text, /<\/env:Envelope>\s*$/);
      assert.equal(readPage(r.text).workers.length, 25, 'half the page, then nothing');
    });

    it('rates are seeded: the same request sequence sees the same faults', async () => {
      const run = async () => {
        const s = await startSimulator({
          workers: 50,
          seed: 9,
          faults: { ...NO_LATENCY, rules: [{ type: 'processing', rate: 0.3 }] },
        });
        const out: number[] = [];
        for (let i = 0; i < 30; i++) out.push((await getWorkers(s, { count: 2 })).status);
        await s.close();
        return out;
      };
      const a = await run();
      assert.deepEqual(a, await run());
      const failed = a.filter((x) => x === 500).length;
      assert.ok(failed > 2 && failed < 20, `about 30% fail (${failed}/30)`);
    });

    it('latency model: big pages are slower than small ones', async () => {
      sim.admin.setFaults({ latency: { baseMs: 30, perWorkerMs: 1, jitterMs: 0 } });
      const time = async (count: number) => {
        const t = Date.now();
        await getWorkers(sim, { count });
        return Date.now() - t;
      };
      const small = await time(1);
      const big = await time(200);
      assert.ok(small >= 25, `base latency applies (${small} ms)`);
      assert.ok(big >= small + 150, `200 workers cost ~200 ms more (${small} vs ${big} ms)`);
    });
  });

  describe('concurrency', () => {
    const burst = (n: number) => Promise.all(Array.from({ length: n }, () => getWorkers(sim, { count: 3 })));

    it('maxInFlight counts a parallel burst', async () => {
      sim.admin.setFaults({ latency: { baseMs: 300 } });
      const answers = await burst(8);
      assert.ok(answers.every((a) => a.status === 200));
      const s = sim.admin.stats();
      assert.equal(s.maxInFlight, 8);
      assert.equal(s.inFlight, 0);
      assert.equal(s.requests, 8);
    });

    it('inFlightMs says how long each number of requests was in flight', async () => {
      sim.admin.resetStats();
      sim.admin.setFaults({ latency: { baseMs: 300, jitterMs: 0, perWorkerMs: 0 } });
      await burst(4);
      await getWorkers(sim, { count: 3 });
      const at = sim.admin.stats().inFlightMs;
      const total = at.reduce((a, b) => a + b, 0);
      // The burst held 4 in flight for about 300 ms, the single request 1 for about as long.
      assert.ok((at[4] ?? 0) >= 250, `4 in flight: ${at[4]} ms`);
      assert.ok((at[1] ?? 0) >= 250, `1 in flight: ${at[1]} ms`);
      assert.equal(at.length, 5, 'never more than 4');
      assert.ok(total >= (at[4] ?? 0) + (at[1] ?? 0));
    });

    it('the per-tenant cap throttles requests beyond it', async () => {
      sim.admin.setFaults({ latency: { baseMs: 300 }, concurrencyCap: 3 });
      const answers = await burst(10);
      const ok = answers.filter((a) => a.status === 200);
      const throttled = answers.filter((a) => a.status === 500);
      assert.equal(ok.length, 3);
      assert.equal(throttled.length, 7);
      for (const t of throttled)
        assert.match(faultOf(t.text).string ?? '', /throttled.*concurrent requests exceeded the limit of 3/);
      const s = sim.admin.stats();
      assert.equal(s.maxInFlight, 3);
      assert.equal(s.faultsByType.concurrency_cap, 7);
    });

    it('the cap can answer 429 with Retry-After instead', async () => {
      sim.admin.setFaults({ latency: { baseMs: 200 }, concurrencyCap: 1, capResponse: 'http429' });
      const answers = await burst(3);
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 429, 429]);
      assert.ok(answers.find((a) => a.status === 429)?.headers.get('retry-after'));
      sim.admin.setFaults({ capResponse: 'throttle' });
    });
  });

  describe('admin HTTP API', () => {
    const call = async (method: string, route: string, body?: unknown) => {
      const res = await fetch(`${sim.adminUrl}/${route}`, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    it('rejects bad input with a clear 400', async () => {
      const bad = await call('POST', 'faults', { rules: [{ type: 'explode' }] });
      assert.equal(bad.status, 400);
      assert.match(String(bad.body.error), /rules\.0\.type/);
      assert.equal((await call('POST', 'faults', { latency: { baseMs: -1 } })).status, 400);
      assert.equal((await call('POST', 'clock', { advanceMs: 'soon' })).status, 400);
      assert.equal((await call('POST', 'churn', {})).status, 400);
      assert.equal((await call('POST', 'churn', { apply: 0 })).status, 400);
    });
    it('faults, clock, churn, stats, reset-stats and the request log', async () => {
      const f = await call('POST', 'faults', { rules: [{ type: 'processing', pages: [4] }] });
      assert.equal(f.status, 200);
      assert.deepEqual((f.body.rules as unknown[]).length, 1);
      const before = Date.parse(String((await call('GET', 'clock')).body.now));
      const c = await call('POST', 'clock', { advanceMs: 86_400_000 });
      assert.ok(Date.parse(String(c.body.now)) - before >= 86_400_000);
      const ch = await call('POST', 'churn', { apply: 5, rate: 0 });
      assert.ok((ch.body.changed as string[]).length >= 1);
      await getWorkers(sim, { page: 4, count: 10, asOfEntry: '2030-01-01T00:00:00Z' });
      const stats = await call('GET', 'stats');
      assert.equal(stats.body.requests, 1);
      assert.deepEqual(stats.body.byPage, { 4: { processing_fault: 1 } });
      const log = (await fetch(`${sim.adminUrl}/requests`).then((r) => r.json())) as {
        page: number;
        count: number;
        asOfEntryRequested: string;
      }[];
      assert.deepEqual(
        [log[0].page, log[0].count, log[0].asOfEntryRequested],
        [4, 10, '2030-01-01T00:00:00Z'],
      );
      assert.equal((await call('POST', 'reset-stats')).body.requests, 0);
    });
  });
});
