// The simulator's Bulk API 2.0 ingest jobs and JWT bearer flow against jsforce, a client nobody
// here wrote: conn.bulk2 upserts by external id, per-record results as CSV, slow and failed jobs,
// relationships by external id, and RS256 assertions checked against the connected app's key.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { Connection } from 'jsforce';
import {
  type SalesforceSimulatorHandle,
  startSalesforceSimulator,
} from '../../src/targets/salesforce/simulator';

const VERSION = '62.0';
const USERNAME = 'integration@acme.example';
const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });

async function login(sim: SalesforceSimulatorHandle): Promise<Connection> {
  const conn = new Connection({
    oauth2: { loginUrl: sim.loginUrl, clientId: sim.clientId, clientSecret: sim.clientSecret },
    version: VERSION,
  });
  await conn.authorize({ grant_type: 'client_credentials' });
  conn.bulk2.pollInterval = 20;
  return conn;
}

const wid = (n: number) => n.toString(16).padStart(32, '0');
const row = (n: number, extra: Record<string, unknown> = {}) => ({
  Workday_ID__c: wid(n),
  LastName: `Last${n}`,
  Email: `w${n}@example.com`,
  Active__c: true,
  ...extra,
});

describe('Salesforce simulator: Bulk API 2.0 with jsforce', () => {
  let sim: SalesforceSimulatorHandle;
  let conn: Connection;
  before(async () => {
    sim = await startSalesforceSimulator({
      port: 0,
      jwt: {
        certificate: keys.publicKey.export({ type: 'spki', format: 'pem' }) as string,
        username: USERNAME,
      },
    });
  });
  after(() => sim.close());
  beforeEach(async () => {
    sim.admin.reset();
    conn = await login(sim);
  });

  it('upserts by external id through an ingest job and reports created, updated and failed rows', async () => {
    const first = await conn.bulk2.loadAndWaitForResults({
      object: 'Contact',
      operation: 'upsert',
      externalIdFieldName: 'Workday_ID__c',
      input: Array.from({ length: 500 }, (_, i) => row(i)),
    });
    assert.equal(first.successfulResults.length, 500);
    assert.equal(first.failedResults.length, 0);
    assert.equal(first.unprocessedRecords.length, 0);
    assert.ok(first.successfulResults.every((r) => r.sf__Created === 'true' && /^003/.test(r.sf__Id)));
    const again = await conn.bulk2.loadAndWaitForResults({
      object: 'Contact',
      operation: 'upsert',
      externalIdFieldName: 'Workday_ID__c',
      input: [row(1, { LastName: 'Renamed' }), row(9999, { Email: 'not-an-email' })],
    });
    assert.equal(again.successfulResults.length, 1);
    assert.equal(again.successfulResults[0]!.sf__Created, 'false');
    assert.equal((again.successfulResults[0] as Record<string, unknown>).LastName, 'Renamed');
    assert.equal(again.failedResults.length, 1);
    assert.match(String(again.failedResults[0]!.sf__Error), /^INVALID_EMAIL_ADDRESS:/);
    assert.equal((again.failedResults[0] as Record<string, unknown>).Workday_ID__c, wid(9999));
    const q = await conn.query<{ LastName: string; Active__c: boolean }>(
      `SELECT LastName, Active__c FROM Contact WHERE Workday_ID__c = '${wid(1)}'`,
    );
    assert.deepEqual(
      q.records.map((r) => [r.LastName, r.Active__c]),
      [['Renamed', true]],
    );
    assert.equal((await conn.query('SELECT COUNT() FROM Contact')).totalSize, 500);
    const s = sim.admin.stats();
    assert.equal(s.bulkJobs, 2);
    assert.equal(s.bulkRecords, 502);
  });

  it('serves the job lifecycle step by step: Open, UploadComplete, JobComplete with counts', async () => {
    const job = conn.bulk2.createJob({
      object: 'Contact',
      operation: 'upsert',
      externalIdFieldName: 'Workday_ID__c',
      lineEnding: 'LF',
    });
    const opened = await job.open();
    assert.equal(opened.state, 'Open');
    assert.equal(opened.contentType, 'CSV');
    await job.uploadData(`Workday_ID__c,LastName\n${wid(1)},One\n${wid(2)},\n`);
    await job.close();
    await job.poll(20, 5000);
    const info = await job.check();
    assert.equal(info.state, 'JobComplete');
    assert.equal(info.numberRecordsProcessed, 2);
    // A new Contact without LastName is refused (an empty cell sets nothing).
    assert.equal(info.numberRecordsFailed, 1);
    const failed = await job.getFailedResults();
    assert.match(String(failed[0]!.sf__Error), /^REQUIRED_FIELD_MISSING:/);
    await assert.rejects(job.uploadData('Workday_ID__c\nx\n'));
    await job.delete();
    await assert.rejects(job.check(), /NOT_FOUND|does not exist/);
  });

  it('fails a job whose CSV names an unknown field, or has CRLF under lineEnding LF', async () => {
    const bad = await conn.bulk2
      .loadAndWaitForResults({
        object: 'Contact',
        operation: 'upsert',
        externalIdFieldName: 'Workday_ID__c',
        input: `Workday_ID__c,Nope__c\n${wid(1)},x\n`,
      })
      .then(
        () => 'completed',
        (e: Error) => e.message,
      );
    assert.match(bad, /Field name not found : Nope__c/);
    const crlf = await conn.bulk2
      .loadAndWaitForResults({
        object: 'Contact',
        operation: 'upsert',
        externalIdFieldName: 'Workday_ID__c',
        input: `Workday_ID__c,LastName\r\n${wid(1)},x\r\n`,
      })
      .then(
        () => 'completed',
        (e: Error) => e.message,
      );
    assert.match(crlf, /LineEnding is invalid/);
    await assert.rejects(
      conn.bulk2
        .createJob({ object: 'Contact', operation: 'upsert', externalIdFieldName: 'LastName' })
        .open(),
      /not an External ID/,
    );
  });

  it('a slow job stays UploadComplete past a short poll; a failed job leaves its rest unprocessed', async () => {
    sim.admin.setFaults([{ type: 'slowJob', next: 1, delayMs: 600 }]);
    const job = conn.bulk2.createJob({
      object: 'Contact',
      operation: 'upsert',
      externalIdFieldName: 'Workday_ID__c',
    });
    await job.open();
    await job.uploadData([row(1), row(2)]);
    await job.close();
    await assert.rejects(job.poll(20, 200), (e: Error) => /JobPollingTimeout/.test(e.name));
    assert.equal((await job.check()).state, 'UploadComplete');
    await job.poll(20, 5000);
    assert.equal((await job.check()).state, 'JobComplete');

    sim.admin.setFaults([{ type: 'jobFailure', next: 1 }]);
    const failing = conn.bulk2.createJob({
      object: 'Contact',
      operation: 'upsert',
      externalIdFieldName: 'Workday_ID__c',
    });
    await failing.open();
    await failing.uploadData(Array.from({ length: 10 }, (_, i) => row(100 + i)));
    await failing.close();
    await assert.rejects(failing.poll(20, 5000), /Ingest job failed to complete/);
    const { successfulResults, unprocessedRecords } = await failing.getAllResults();
    assert.equal(successfulResults.length, 5);
    assert.deepEqual(
      (unprocessedRecords as unknown as { Workday_ID__c: string }[]).map((r) => r.Workday_ID__c),
      Array.from({ length: 5 }, (_, i) => wid(105 + i)),
    );
  });

  it('sets ReportsTo by the manager’s external id, and SOQL reads it back through the relationship', async () => {
    await conn.sobject('Contact').upsert([{ ...row(1), Email: 'boss@example.com' }], 'Workday_ID__c');
    const res = await conn.bulk2.loadAndWaitForResults({
      object: 'Contact',
      operation: 'upsert',
      externalIdFieldName: 'Workday_ID__c',
      input: `Workday_ID__c,LastName,ReportsTo.Workday_ID__c\n${wid(2)},Two,${wid(1)}\n${wid(3)},Three,${wid(77)}\n`,
    });
    assert.equal(res.successfulResults.length, 1);
    assert.match(String(res.failedResults[0]!.sf__Error), /^INVALID_FIELD:Foreign key external ID/);
    const collections = (await conn
      .sobject('Contact')
      .upsert(
        [{ Workday_ID__c: wid(3), LastName: 'Three', ReportsTo: { Workday_ID__c: wid(2) } } as never],
        'Workday_ID__c',
      )) as unknown as { success: boolean }[];
    assert.ok(collections[0]!.success);
    const q = await conn.query<{ Workday_ID__c: string; ReportsTo: { Workday_ID__c: string } | null }>(
      'SELECT Workday_ID__c, ReportsTo.Workday_ID__c FROM Contact ORDER BY Workday_ID__c',
    );
    assert.deepEqual(
      q.records.map((r) => [r.Workday_ID__c, r.ReportsTo?.Workday_ID__c ?? null]),
      [
        [wid(1), null],
        [wid(2), wid(1)],
        [wid(3), wid(2)],
      ],
    );
  });

  it('JWT bearer: a signed assertion (iss, sub, aud, exp) logs in; a wrong key, user, audience or an expired one is invalid_grant', async () => {
    const assertion = (
      over: { key?: typeof keys.privateKey; sub?: string; aud?: string; exp?: number } = {},
    ) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'RS256' })
        .setIssuer(sim.clientId)
        .setSubject(over.sub ?? USERNAME)
        .setAudience(over.aud ?? sim.loginUrl)
        .setExpirationTime(over.exp ?? Math.floor(Date.now() / 1000) + 180)
        .sign(over.key ?? keys.privateKey);
    const jwtConn = new Connection({
      oauth2: { loginUrl: sim.loginUrl, clientId: sim.clientId },
      version: VERSION,
    });
    await jwtConn.authorize({ grant_type: JWT_GRANT, assertion: await assertion() });
    assert.equal((await jwtConn.query('SELECT COUNT() FROM Contact')).totalSize, 0);
    for (const bad of [
      { key: otherKeys.privateKey },
      { sub: 'someone@else.example' },
      { aud: 'https://login.salesforce.com' },
      { exp: Math.floor(Date.now() / 1000) - 60 },
    ]) {
      const c = new Connection({
        oauth2: { loginUrl: sim.loginUrl, clientId: sim.clientId },
        version: VERSION,
      });
      await assert.rejects(
        c.authorize({ grant_type: JWT_GRANT, assertion: await assertion(bad) }),
        (e: Error & { name: string }) => e.name === 'invalid_grant',
        JSON.stringify(Object.keys(bad)),
      );
    }
  });
});
