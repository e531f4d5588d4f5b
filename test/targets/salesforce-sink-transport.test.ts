// The Salesforce sink's write transport against the simulator: Bulk API 2.0 from the threshold on
// (Collections below), locked and unprocessed rows resent, slow jobs, JWT bearer login, the daily
// API budget and the request limit without a retry storm, and managers linked at run end.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { Connection } from 'jsforce';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import { TypedError } from '../../src/errors/types';
import { loadMapping } from '../../src/mapping/mapping-file';
import {
  createSalesforceSink,
  type SalesforceTransport,
  salesforceCredentials,
  salesforceTransport,
} from '../../src/sinks/salesforce';
import type { DeliveryContext, Sink } from '../../src/sinks/types';
import {
  type SalesforceSimulatorHandle,
  startSalesforceSimulator,
} from '../../src/targets/salesforce/simulator';
import { sampleWorker } from '../helpers/sample-worker';
import { until } from '../helpers/snapshot';

const EXAMPLE = path.resolve(__dirname, '..', '..', 'examples', 'salesforce-contact.json');
const USERNAME = 'wdsync@acme.example';
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const dir = mkdtempSync(path.join(os.tmpdir(), 'wdsync-sf-'));
const keyFile = path.join(dir, 'server.key');
writeFileSync(keyFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
const wrongKeyFile = path.join(dir, 'wrong.key');
writeFileSync(
  wrongKeyFile,
  generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string,
);

const wid = (n: number) => n.toString(16).padStart(32, '0');
const worker = (n: number, managerOf?: number, personal: Partial<NormalizedWorker['personal']> = {}) =>
  sampleWorker(n, managerOf !== undefined ? { managerWid: wid(managerOf) } : {}, personal);
const range = (from: number, n: number, manager?: (i: number) => number | undefined) =>
  Array.from({ length: n }, (_, i) => worker(from + i, manager?.(from + i)));

const ctx = (page = 1): DeliveryContext => ({
  key: { runId: 'run-1', page },
  asOfEntry: '2026-01-01T00:00:00.000Z',
  deliveredHashes: new Map(),
});

describe('Salesforce sink transport', () => {
  let sf: SalesforceSimulatorHandle;
  let conn: Connection;
  const lines: string[] = [];
  const make = (
    transport: Partial<SalesforceTransport> = {},
    creds: Parameters<typeof salesforceCredentials>[0] = {},
  ): Sink =>
    createSalesforceSink({
      name: 'crm',
      mapping: loadMapping(EXAMPLE),
      credentials: salesforceCredentials(
        { loginUrl: sf.loginUrl, clientId: sf.clientId, clientSecret: sf.clientSecret, ...creds },
        {},
      ),
      transport: { bulkPollIntervalMs: 10, ...transport },
      sleep: async () => {},
      log: (l) => void lines.push(l),
    });

  before(async () => {
    sf = await startSalesforceSimulator({
      port: 0,
      jwt: {
        certificate: keys.publicKey.export({ type: 'spki', format: 'pem' }) as string,
        username: USERNAME,
      },
    });
  });
  after(() => sf.close());
  beforeEach(async () => {
    sf.admin.reset();
    lines.length = 0;
    conn = new Connection({
      oauth2: { loginUrl: sf.loginUrl, clientId: sf.clientId, clientSecret: sf.clientSecret },
      version: '62.0',
    });
    await conn.authorize({ grant_type: 'client_credentials' });
  });

  it('writes a page from bulkThreshold records on as one Bulk API job, a smaller one through Collections', async () => {
    const sink = make({ bulkThreshold: 100 });
    await sink.init();
    const big = range(1, 250);
    big[7] = worker(8, undefined, { workEmail: 'not an email' });
    const res = await sink.deliverPage(ctx(1), big);
    assert.equal(res.inserted, 249);
    assert.deepEqual(
      res.failures?.map((f) => [f.wid, f.code]),
      [[wid(8), 'INVALID_EMAIL_ADDRESS']],
    );
    let s = sf.admin.stats();
    assert.equal(s.bulkJobs, 1);
    assert.deepEqual(s.upsertBatchSizes, []);
    const small = await sink.deliverPage(ctx(2), range(1000, 99));
    assert.equal(small.inserted, 99);
    s = sf.admin.stats();
    assert.equal(s.bulkJobs, 1);
    assert.deepEqual(s.upsertBatchSizes, [99]);
    const q = await conn.query<{ LastName: string; Email: string }>(
      `SELECT LastName, Email FROM Contact WHERE Workday_ID__c = '${wid(250)}'`,
    );
    assert.deepEqual(
      q.records.map((r) => [r.LastName, r.Email]),
      [['L250', 'w250@example.com']],
    );
    assert.equal((await conn.query('SELECT COUNT() FROM Contact')).totalSize, 348);
  });

  it('resends just the rows a lock refused or a failed job left unprocessed, a bounded number of times', async () => {
    const sink = make({ bulkThreshold: 50 });
    await sink.init();
    sf.admin.setFaults([
      { type: 'lock', next: 30 },
      { type: 'jobFailure', next: 1 },
    ]);
    const res = await sink.deliverPage(ctx(), range(1, 200));
    assert.equal(res.inserted, 200);
    assert.equal(res.failures, undefined);
    const s = sf.admin.stats();
    assert.equal(s.recordFailures.UNABLE_TO_LOCK_ROW, 30);
    // First job: half processed (30 locked), half unprocessed; the 130 go again in one more job.
    assert.equal(s.bulkJobs, 2);
    assert.equal(s.contacts, 200);

    sf.admin.setFaults([{ type: 'lock', rate: 1 }]);
    const stuck = await sink.deliverPage(ctx(2), range(500, 10));
    assert.deepEqual(new Set(stuck.failures?.map((f) => f.code)), new Set(['UNABLE_TO_LOCK_ROW']));
    assert.equal(stuck.failures?.length, 10);
    // One try and three resends, then the records are reported, not retried forever.
    assert.equal(sf.admin.stats().recordFailures.UNABLE_TO_LOCK_ROW, 30 + 40);
  });

  it('aborts a Bulk job that does not finish in time and fails the page retryably', async () => {
    const sink = make({ bulkThreshold: 10, bulkPollTimeoutMs: 150 });
    await sink.init();
    sf.admin.setFaults([{ type: 'slowJob', next: 1, delayMs: 5_000 }]);
    await assert.rejects(sink.deliverPage(ctx(), range(1, 20)), (e: unknown) => {
      assert.ok(e instanceof TypedError);
      assert.equal(e.retryable, true);
      assert.match(e.message, /did not finish within 0s; aborted it, the page is retried/);
      return true;
    });
    assert.equal(sf.admin.stats().contacts, 0);
    // The retry (a new job) writes the page; with the default wait, so a loaded machine's slow
    // but normal job is not taken for another stuck one.
    const retry = make({ bulkThreshold: 10 });
    await retry.init();
    const res = await retry.deliverPage(ctx(), range(1, 20));
    assert.equal(res.inserted, 20);
  });

  it('refreshes a session that expires while a Bulk job runs, once, and sends the rows again', async () => {
    const sink = make({ bulkThreshold: 10 });
    await sink.init();
    sf.admin.setFaults([{ type: 'slowJob', next: 1, delayMs: 2000 }]);
    const delivering = sink.deliverPage(ctx(), range(1, 20));
    // The session expires once the first job is in: while the sink waits for it to run.
    await until(() => sf.admin.stats().bulkJobs >= 1, 'the first Bulk job', 30_000);
    sf.admin.expireTokens();
    const res = await delivering;
    // The second job's upserts are idempotent: whichever job ran first, 20 Contacts, no doubles.
    assert.equal(res.inserted + res.updated, 20);
    assert.equal(sf.admin.stats().bulkJobs, 2);
    assert.equal(sf.admin.stats().contacts, 20);
    // The test's own connection, the sink's login, and one refresh.
    assert.equal(sf.admin.stats().tokensIssued, 3);
  });

  it('logs in by the JWT bearer flow with the private key of the app’s certificate', async () => {
    const sink = make({}, { clientSecret: undefined, username: USERNAME, privateKeyFile: keyFile });
    await sink.init();
    assert.equal((await sink.deliverPage(ctx(), range(1, 3))).inserted, 3);
    sf.admin.expireTokens();
    assert.equal((await sink.deliverPage(ctx(2), range(10, 3))).inserted, 3);
    // The test's own connection, the sink's JWT login, and one more after the expiry.
    assert.equal(sf.admin.stats().tokensIssued, 3);
    const wrong = make({}, { clientSecret: undefined, username: USERNAME, privateKeyFile: wrongKeyFile });
    await assert.rejects(wrong.init(), (e: unknown) => {
      assert.ok(e instanceof TypedError);
      assert.equal(e.retryable, false);
      assert.match(
        e.message,
        /refused the JWT bearer login.*invalid assertion.*certificate of SALESFORCE_PRIVATE_KEY_FILE/,
      );
      return true;
    });
    assert.throws(
      () => salesforceCredentials({ loginUrl: sf.loginUrl, clientId: 'x', username: USERNAME }, {}),
      /SALESFORCE_PRIVATE_KEY_FILE is required for the JWT bearer flow/,
    );
    assert.throws(
      () => salesforceCredentials({ loginUrl: sf.loginUrl, clientId: 'x', privateKeyFile: '/nope.key' }, {}),
      /cannot read the Salesforce private key \/nope.key/,
    );
  });

  it('stops at the daily API budget with a log line and a delayed retry, one request per retry', async () => {
    const sink = make({ apiBudgetPercent: 90 });
    await sink.init();
    sf.admin.setLimits({ apiLimit: 1000, apiUsage: 899 });
    const before = sf.admin.stats().requests;
    for (let attempt = 0; attempt < 5; attempt++)
      await assert.rejects(sink.deliverPage(ctx(), range(1, 50)), (e: unknown) => {
        assert.ok(e instanceof ApplicationFailure);
        assert.equal(e.type, 'SalesforceRequestLimit');
        assert.ok((e.nextRetryDelay as number) >= 15 * 60_000);
        assert.match(e.message, /daily API budget reached .* api-usage 9\d\d\/1000 .* 90%/);
        return true;
      });
    // The first attempt's lookup saw 900/1000; each retry spends one call to read the usage again.
    assert.ok(sf.admin.stats().requests - before <= 6, `${sf.admin.stats().requests - before} requests`);
    assert.equal(sf.admin.stats().contacts, 0);
    assert.equal(lines.length, 5);
    assert.match(lines[0]!, /^salesforce sink crm: Salesforce daily API budget reached/);
    sf.admin.setLimits({ apiUsage: 10 });
    assert.equal((await sink.deliverPage(ctx(), range(1, 50))).inserted, 50);
  });

  it('REQUEST_LIMIT_EXCEEDED on every call: one request per attempt, then a delayed retry', async () => {
    const sink = make({ bulkThreshold: 10 });
    await sink.init();
    sf.admin.setFaults([{ type: 'requestLimit', rate: 1 }]);
    const before = sf.admin.stats().requests;
    for (let attempt = 0; attempt < 3; attempt++)
      await assert.rejects(
        sink.deliverPage(ctx(), range(1, 30)),
        (e: unknown) => e instanceof ApplicationFailure && (e.nextRetryDelay as number) >= 60_000,
      );
    assert.equal(sf.admin.stats().requests - before, 3);
    assert.equal(lines.length, 3);
  });

  it('links a report to a manager written on a later page at run end (finalizeRun)', async () => {
    const sink = make({ bulkThreshold: 40 });
    await sink.init();
    // Page 1: reports of 900 and 901 (and 1..9 report to 1, on the same page); page 2: the managers.
    const page1 = range(1, 60, (n) => (n < 10 ? (n === 1 ? undefined : 1) : n % 2 ? 900 : 901));
    const page2 = [worker(900, 902), worker(901), worker(902)];
    await sink.deliverPage(ctx(1), page1);
    const reportsTo = async () => {
      const q = await conn
        .query<{ Workday_ID__c: string; ReportsTo: { Workday_ID__c: string } | null }>(
          'SELECT Workday_ID__c, ReportsTo.Workday_ID__c FROM Contact',
        )
        .run({ autoFetch: true, maxFetch: 10_000 });
      return new Map(q.records.map((r) => [r.Workday_ID__c, r.ReportsTo?.Workday_ID__c ?? null]));
    };
    let links = await reportsTo();
    // The same page's manager is linked after the page's writes; the later page's ones are not yet.
    assert.equal(links.get(wid(5)), wid(1));
    assert.equal(links.get(wid(20)), null);
    await sink.deliverPage(ctx(2), page2);
    links = await reportsTo();
    assert.equal(links.get(wid(900)), wid(902));
    assert.equal(links.get(wid(20)), null);
    await sink.finalizeRun!({
      runId: 'run-1',
      mode: 'full',
      pages: { through: 2 },
      complete: true,
      asOfEntry: '2026-01-01T00:00:00.000Z',
    } as never);
    links = await reportsTo();
    for (const w of [...page1, ...page2])
      assert.equal(links.get(w.wid), w.employment?.managerWid ?? null, `${w.workerId} reports to`);
    assert.match(lines.join('\n'), /linked 51 Contact relationships at run end/);
    // A second pass finds nothing to do.
    const requests = sf.admin.stats().requests;
    await sink.finalizeRun!({ runId: 'run-1', mode: 'full', pages: { through: 2 }, complete: true } as never);
    assert.equal(sf.admin.stats().requests - requests, 1);
  });

  it('reads bulkThreshold and apiBudgetPercent from the config entry or SALESFORCE_* variables', () => {
    assert.deepEqual(salesforceTransport({}, { SALESFORCE_BULK_THRESHOLD: '750' }), { bulkThreshold: 750 });
    assert.deepEqual(salesforceTransport({ apiBudgetPercent: 50 }, {}), { apiBudgetPercent: 50 });
    assert.throws(
      () => salesforceTransport({}, { SALESFORCE_API_BUDGET_PERCENT: '150' }),
      /SALESFORCE_API_BUDGET_PERCENT must be a number from 1 to 100, not 150/,
    );
  });
});
