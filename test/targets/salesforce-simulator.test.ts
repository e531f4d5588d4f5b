// The Salesforce simulator against jsforce, a client nobody here wrote: OAuth client credentials,
// describe, sObject Collections upsert by external id, SOQL, and the documented error envelopes.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Connection, OAuth2 } from 'jsforce';
import {
  type SalesforceSimulatorHandle,
  startSalesforceSimulator,
} from '../../src/targets/salesforce/simulator';

const VERSION = '62.0';

async function login(sim: SalesforceSimulatorHandle): Promise<Connection> {
  const conn = new Connection({
    oauth2: { loginUrl: sim.loginUrl, clientId: sim.clientId, clientSecret: sim.clientSecret },
    version: VERSION,
  });
  await conn.authorize({ grant_type: 'client_credentials' });
  return conn;
}

const contact = (n: number, extra: Record<string, unknown> = {}) => ({
  Workday_ID__c: n.toString(16).padStart(32, '0'),
  LastName: `Last${n}`,
  FirstName: `First${n}`,
  Email: `w${n}@example.com`,
  Active__c: n % 2 === 0,
  ...extra,
});

describe('Salesforce simulator with jsforce', () => {
  let sim: SalesforceSimulatorHandle;
  before(async () => {
    sim = await startSalesforceSimulator({ port: 0 });
  });
  after(() => sim.close());
  beforeEach(() => sim.admin.reset());

  it('issues a token by client credentials with the documented response shape', async () => {
    const res = await fetch(`${sim.loginUrl}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: sim.clientId,
        client_secret: sim.clientSecret,
      }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, string>;
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.instance_url, sim.url);
    assert.match(body.access_token!, /^00D/);
    assert.match(body.issued_at!, /^\d{13}$/);
    assert.match(body.id!, /\/id\/00D\w+\/005\w+$/);
    const bad = await fetch(`${sim.loginUrl}/services/oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: sim.clientId,
        client_secret: 'x',
      }),
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), {
      error: 'invalid_client',
      error_description: 'invalid client credentials',
    });
  });

  it('jsforce refuses wrong client credentials with Salesforce’s error', async () => {
    const conn = new Connection({
      oauth2: { loginUrl: sim.loginUrl, clientId: sim.clientId, clientSecret: 'wrong' },
      version: VERSION,
    });
    await assert.rejects(
      conn.authorize({ grant_type: 'client_credentials' }),
      /invalid_client|invalid client credentials/,
    );
  });

  it('describes Contact with its external-id fields', async () => {
    const conn = await login(sim);
    const d = await conn.sobject('Contact').describe();
    assert.equal(d.name, 'Contact');
    const ext = d.fields.filter((f) => f.externalId).map((f) => f.name);
    assert.deepEqual(ext.sort(), ['Workday_ID__c', 'Worker_ID__c']);
    assert.ok(d.fields.some((f) => f.name === 'LastName' && !f.nillable));
  });

  it('upserts through sObject Collections by external id and reads back with SOQL', async () => {
    const conn = await login(sim);
    const first = await conn.sobject('Contact').upsert(
      [1, 2, 3].map((n) => contact(n)),
      'Workday_ID__c',
    );
    assert.equal(first.length, 3);
    for (const r of first) {
      assert.equal(r.success, true);
      assert.equal((r as { created?: boolean }).created, true);
      assert.match(r.id!, /^003\w{15}$/);
    }
    const again = await conn
      .sobject('Contact')
      .upsert([contact(2, { Title: 'Engineer' }), contact(4)], 'Workday_ID__c');
    assert.deepEqual(
      again.map((r) => [r.success, (r as { created?: boolean }).created]),
      [
        [true, false],
        [true, true],
      ],
    );
    assert.equal(again[0]!.id, first[1]!.id, 'an update keeps the record id');
    const count = await conn.query('SELECT COUNT() FROM Contact');
    assert.equal(count.totalSize, 4);
    const rows = await conn.query<{ LastName: string; Title: string | null; Active__c: boolean }>(
      `SELECT LastName, Title, Active__c FROM Contact WHERE Workday_ID__c = '${contact(2).Workday_ID__c}'`,
    );
    assert.equal(rows.totalSize, 1);
    assert.equal(rows.records[0]!.LastName, 'Last2');
    assert.equal(rows.records[0]!.Title, 'Engineer');
    assert.equal(rows.records[0]!.Active__c, true);
    const active = await conn.query("SELECT Id FROM Contact WHERE Active__c = true AND LastName != 'Last4'");
    assert.equal(active.totalSize, 1);
    const some = await conn.query(
      `SELECT Id FROM Contact WHERE Workday_ID__c IN ('${contact(1).Workday_ID__c}', '${contact(4).Workday_ID__c}', 'none')`,
    );
    assert.equal(some.totalSize, 2);
    assert.equal(sim.admin.stats().upsertBatchSizes.join(','), '3,2');
  });

  it('pages SOQL results over 2000 rows through nextRecordsUrl, which jsforce follows', async () => {
    const conn = await login(sim);
    for (let b = 0; b < 12; b++) {
      const batch = Array.from({ length: 200 }, (_, i) => contact(b * 200 + i + 1));
      const res = await conn.sobject('Contact').upsert(batch, 'Workday_ID__c');
      assert.ok(res.every((r) => r.success));
    }
    const first = await conn.query('SELECT Workday_ID__c FROM Contact');
    assert.equal(first.totalSize, 2400);
    assert.equal(first.records.length, 2000);
    assert.equal(first.done, false);
    const all = await conn
      .query('SELECT Workday_ID__c FROM Contact')
      .run({ autoFetch: true, maxFetch: 10_000 });
    assert.equal(all.records.length, 2400);
    assert.equal(new Set(all.records.map((r) => r.Workday_ID__c)).size, 2400);
  });

  it('reports per-record errors and rolls back with allOrNone', async () => {
    const conn = await login(sim);
    const res = await conn
      .sobject('Contact')
      .upsert(
        [contact(1), contact(2, { Email: 'not-an-email' }), { Workday_ID__c: 'x', FirstName: 'NoLast' }],
        'Workday_ID__c',
      );
    assert.equal(res[0]!.success, true);
    const err = (r: (typeof res)[number]) =>
      (r as unknown as { errors: { statusCode: string; fields: string[] }[] }).errors[0]!;
    assert.equal(res[1]!.success, false);
    assert.equal(err(res[1]!).statusCode, 'INVALID_EMAIL_ADDRESS');
    assert.deepEqual(err(res[1]!).fields, ['Email']);
    assert.equal(err(res[2]!).statusCode, 'REQUIRED_FIELD_MISSING');
    const rolled = await conn
      .sobject('Contact')
      .upsert([contact(5), contact(6, { Email: 'bad' })], 'Workday_ID__c', { allOrNone: true });
    assert.equal(err(rolled[0]!).statusCode, 'ALL_OR_NONE_OPERATION_ROLLED_BACK');
    assert.equal((await conn.query('SELECT COUNT() FROM Contact')).totalSize, 1);
  });

  it('refuses more than 200 records, an unknown field and a malformed query with the error envelope', async () => {
    const conn = await login(sim);
    await assert.rejects(
      conn.sobject('Contact').upsert(
        Array.from({ length: 201 }, (_, i) => contact(i + 1)),
        'Workday_ID__c',
      ),
      (e: { errorCode?: string }) => e.errorCode === 'EXCEEDED_ID_LIMIT',
    );
    await assert.rejects(
      conn.sobject('Contact').upsert([contact(1, { Nope__c: 1 })], 'Workday_ID__c'),
      (e: { errorCode?: string }) => e.errorCode === 'INVALID_FIELD',
    );
    await assert.rejects(
      async () => conn.query('SELECT FROM Contact'),
      (e: { errorCode?: string }) => e.errorCode === 'MALFORMED_QUERY',
    );
    const raw = await fetch(`${sim.url}/services/data/v${VERSION}/query?q=SELECT+Id+FROM+Contact`, {
      headers: { authorization: `Bearer ${conn.accessToken}` },
    });
    assert.match(raw.headers.get('sforce-limit-info') ?? '', /^api-usage=\d+\/\d+$/);
  });

  it('injects lock errors and validation-rule failures per record', async () => {
    const conn = await login(sim);
    sim.admin.setFaults([
      { type: 'lock', next: 1 },
      { type: 'validation', next: 1, message: 'Email domain not allowed' },
    ]);
    const res = (await conn
      .sobject('Contact')
      .upsert([contact(1), contact(2), contact(3)], 'Workday_ID__c')) as unknown as {
      success: boolean;
      errors: { statusCode: string; message: string }[];
    }[];
    assert.equal(res[0]!.errors[0]!.statusCode, 'UNABLE_TO_LOCK_ROW');
    assert.equal(res[1]!.errors[0]!.statusCode, 'FIELD_CUSTOM_VALIDATION_EXCEPTION');
    assert.equal(res[1]!.errors[0]!.message, 'Email domain not allowed');
    assert.equal(res[2]!.success, true);
    assert.deepEqual(sim.admin.stats().recordFailures, {
      UNABLE_TO_LOCK_ROW: 1,
      FIELD_CUSTOM_VALIDATION_EXCEPTION: 1,
    });
  });

  it('answers an expired token with 401 INVALID_SESSION_ID, which jsforce refreshes through its refreshFn', async () => {
    const logged = await login(sim);
    const plain = new Connection({
      instanceUrl: logged.instanceUrl,
      accessToken: logged.accessToken!,
      version: VERSION,
    });
    sim.admin.expireTokens();
    const direct = await fetch(`${sim.url}/services/data/v${VERSION}/query?q=SELECT+COUNT()+FROM+Contact`, {
      headers: { authorization: `Bearer ${plain.accessToken}` },
    });
    assert.equal(direct.status, 401);
    assert.deepEqual(await direct.json(), [
      { message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' },
    ]);
    await assert.rejects(
      async () => plain.query('SELECT COUNT() FROM Contact'),
      (e: { errorCode?: string }) => e.errorCode === 'INVALID_SESSION_ID',
    );

    let refreshed = 0;
    const oauth2 = new OAuth2({
      loginUrl: sim.loginUrl,
      clientId: sim.clientId,
      clientSecret: sim.clientSecret,
    });
    const tok = await oauth2.requestToken({ grant_type: 'client_credentials' });
    const conn = new Connection({
      instanceUrl: tok.instance_url,
      accessToken: tok.access_token,
      version: VERSION,
      refreshFn: (_c, cb) => {
        refreshed++;
        oauth2.requestToken({ grant_type: 'client_credentials' }).then(
          (t) => cb(null, t.access_token, t),
          (e) => cb(e),
        );
      },
    });
    sim.admin.setFaults([{ type: 'expireToken', next: 1 }]);
    assert.equal((await conn.query('SELECT COUNT() FROM Contact')).totalSize, 0);
    assert.equal(refreshed, 1);
  });

  it('answers over the API limit with 403 REQUEST_LIMIT_EXCEEDED', async () => {
    const conn = await login(sim);
    sim.admin.setLimits({ apiLimit: 5, apiUsage: 5 });
    const raw = await fetch(`${sim.url}/services/data/v${VERSION}/query?q=SELECT+COUNT()+FROM+Contact`, {
      headers: { authorization: `Bearer ${conn.accessToken}` },
    });
    assert.equal(raw.status, 403);
    assert.equal(raw.headers.get('sforce-limit-info'), 'api-usage=5/5');
    assert.deepEqual(await raw.json(), [
      { message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' },
    ]);
    sim.admin.setLimits({ apiLimit: 1000 });
    sim.admin.setFaults([{ type: 'requestLimit', next: 1 }]);
    await assert.rejects(
      async () => conn.query('SELECT COUNT() FROM Contact'),
      (e: { errorCode?: string }) => e.errorCode === 'REQUEST_LIMIT_EXCEEDED',
    );
    assert.equal((await conn.query('SELECT COUNT() FROM Contact')).totalSize, 0);
  });

  it('keeps an admin API over HTTP', async () => {
    const post = (p: string, body: unknown) =>
      fetch(`${sim.adminUrl}/${p}`, { method: 'POST', body: JSON.stringify(body) });
    assert.equal((await post('faults', { rules: [{ type: 'lock', rate: 0.5 }] })).status, 200);
    assert.deepEqual(sim.admin.faults(), [{ type: 'lock', rate: 0.5 }]);
    assert.equal((await post('faults', { rules: [{ type: 'nope' }] })).status, 400);
    assert.equal((await post('reset', {})).status, 200);
    const stats = (await (await fetch(`${sim.adminUrl}/stats`)).json()) as { contacts: number };
    assert.equal(stats.contacts, 0);
  });
});
