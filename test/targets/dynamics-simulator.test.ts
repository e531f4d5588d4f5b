// The Dataverse simulator against dynamics-web-api, a client nobody here wrote: client-credentials
// tokens from the identity-platform endpoint, upsert by alternate key with If-Match / If-None-Match,
// retrieveAll through @odata.nextLink, $batch with changesets (atomic) and continue-on-error,
// lookups by @odata.bind, the OData error envelope and the service protection limits.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DynamicsWebApi } from 'dynamics-web-api';
import { type DataverseSimulatorHandle, startDataverseSimulator } from '../../src/targets/dynamics/simulator';

async function token(
  sim: DataverseSimulatorHandle,
  secret = sim.clientSecret,
  scope = `${sim.url}/.default`,
) {
  return fetch(sim.tokenUrl, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: sim.clientId,
      client_secret: secret,
      scope,
    }),
  });
}

const key = (wid: string) => `wd_workdayid='${wid}'`;

describe('Dataverse simulator with dynamics-web-api', () => {
  let sim: DataverseSimulatorHandle;
  let dwa: DynamicsWebApi;
  before(async () => {
    sim = await startDataverseSimulator({ port: 0 });
  });
  after(() => sim.close());
  beforeEach(() => {
    sim.admin.reset();
    dwa = new DynamicsWebApi({
      serverUrl: sim.url,
      dataApi: { version: '9.2' },
      propagateErrors: true,
      onTokenRefresh: async () =>
        ((await (await token(sim)).json()) as { access_token: string }).access_token,
    });
  });

  it('issues tokens by client credentials with the identity platform’s shapes and errors', async () => {
    const ok = await token(sim);
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as Record<string, unknown>;
    assert.equal(body.token_type, 'Bearer');
    assert.equal(typeof body.expires_in, 'number');
    const bad = await token(sim, 'wrong');
    assert.equal(bad.status, 401);
    const err = (await bad.json()) as { error: string; error_codes: number[] };
    assert.equal(err.error, 'invalid_client');
    assert.deepEqual(err.error_codes, [7000215]);
    assert.equal((await token(sim, sim.clientSecret, 'https://other.crm.dynamics.com/.default')).status, 400);
    const who = await dwa.callFunction<{ UserId: string }>('WhoAmI');
    assert.match(who.UserId, /^[0-9a-f-]{36}$/);
  });

  it('upserts by alternate key; If-None-Match: * is create-only (412) and If-Match: * update-only (404)', async () => {
    await dwa.upsert({
      collection: 'contacts',
      key: key('w1'),
      data: { firstname: 'Ada', lastname: 'Lovelace' },
    });
    await dwa.upsert({ collection: 'contacts', key: key('w1'), data: { jobtitle: 'Analyst' } });
    const row = await dwa.retrieve<Record<string, unknown>>({
      collection: 'contacts',
      key: key('w1'),
      select: ['firstname', 'jobtitle', 'wd_workdayid'],
    });
    assert.deepEqual([row.firstname, row.jobtitle, row.wd_workdayid], ['Ada', 'Analyst', 'w1']);
    assert.match(String(row.contactid), /^[0-9a-f-]{36}$/);
    await assert.rejects(
      dwa.upsert({ collection: 'contacts', key: key('w1'), data: { lastname: 'X' }, ifnonematch: '*' }),
      (e: { status: number; code: string }) => e.status === 412 && e.code === '0x80040237',
    );
    await assert.rejects(
      dwa.upsert({ collection: 'contacts', key: key('w2'), data: { lastname: 'Y' }, ifmatch: '*' }),
      (e: { status: number; code: string }) => e.status === 404 && e.code === '0x80040217',
    );
    await assert.rejects(
      dwa.upsert({ collection: 'contacts', key: key('w3'), data: { nosuchcolumn: 1 } }),
      (e: { status: number; message: string }) =>
        e.status === 400 && /does not exist on type 'Microsoft\.Dynamics\.CRM\.contact'/.test(e.message),
    );
    assert.deepEqual(
      sim.admin.rows('contacts').map((r) => r.wd_workdayid),
      ['w1'],
    );
  });

  it('pages retrieveAll through @odata.nextLink and filters with $filter', async () => {
    dwa.startBatch();
    for (let i = 0; i < 120; i++)
      dwa.upsert({
        collection: 'contacts',
        key: key(`w${i}`),
        data: { lastname: `L${i}`, statecode: i % 2 },
      });
    await dwa.executeBatch();
    assert.deepEqual(sim.admin.stats().batchSizes, [120]);
    const all = await dwa.retrieveAll<Record<string, unknown>>({
      collection: 'contacts',
      select: ['wd_workdayid'],
      maxPageSize: 50,
    });
    assert.equal(all.value.length, 120);
    const some = await dwa.retrieveMultiple<Record<string, unknown>>({
      collection: 'contacts',
      select: ['wd_workdayid', 'statecode'],
      filter: "statecode eq 1 and (wd_workdayid eq 'w1' or wd_workdayid eq 'w2' or wd_workdayid eq 'w3')",
    });
    assert.deepEqual(some.value.map((r) => r.wd_workdayid).sort(), ['w1', 'w3']);
  });

  it('runs a changeset as one transaction and continues past failed requests on request', async () => {
    await dwa.upsert({ collection: 'accounts', key: "accountnumber='C1'", data: { name: 'Acme' } });
    dwa.startBatch();
    dwa.upsert({
      collection: 'contacts',
      key: key('a'),
      data: { lastname: 'A', 'parentcustomerid_account@odata.bind': "/accounts(accountnumber='C1')" },
    });
    dwa.upsert({ collection: 'contacts', key: key('b'), data: { lastname: 'B', statecode: 'not a number' } });
    const [failed] = await dwa.executeBatch();
    assert.equal((failed as { status: number }).status, 400);
    assert.equal(sim.admin.rows('contacts').length, 0, 'the changeset rolled back');

    dwa.startBatch();
    dwa.upsert({
      collection: 'contacts',
      key: key('a'),
      data: { lastname: 'A', 'parentcustomerid_account@odata.bind': "/accounts(accountnumber='C1')" },
    });
    dwa.upsert({ collection: 'contacts', key: key('b'), data: { lastname: 'B' }, ifmatch: '*' });
    dwa.upsert({ collection: 'contacts', key: key('c'), data: { lastname: 'C' } });
    const res = await dwa.executeBatch({ inChangeSet: false, continueOnError: true });
    assert.equal(res.length, 3);
    assert.match(String(res[0]), /^[0-9a-f-]{36}$/);
    assert.equal((res[1] as { status: number }).status, 404);
    assert.match(String(res[2]), /^[0-9a-f-]{36}$/);
    const rows = sim.admin.rows('contacts');
    assert.deepEqual(rows.map((r) => r.wd_workdayid).sort(), ['a', 'c']);
    const acct = sim.admin.rows('accounts')[0]!;
    assert.equal(rows.find((r) => r.wd_workdayid === 'a')!._parentcustomerid_value, acct.accountid);
  });

  it('answers the service protection limits with 429, the OData envelope and Retry-After', async () => {
    sim.admin.setFaults([{ type: 'throttle', next: 1, retryAfterSec: 3 }]);
    await assert.rejects(
      dwa.retrieveMultiple({ collection: 'contacts' }),
      (e: { status: number; code: string; headers: Record<string, string> }) =>
        e.status === 429 && e.code === '0x80072322' && e.headers['retry-after'] === '3',
    );
    // The spent rule is gone from the list, so a test can save the rules and set them again.
    assert.deepEqual(sim.admin.faults(), []);
    sim.admin.setFaults([
      { type: 'throttle', next: 2 },
      { type: 'serverError', rate: 0.1 },
    ]);
    await assert.rejects(dwa.retrieveMultiple({ collection: 'contacts' }));
    const saved = sim.admin.faults();
    assert.deepEqual(saved, [
      { type: 'throttle', next: 1 },
      { type: 'serverError', rate: 0.1 },
    ]);
    sim.admin.setFaults(saved);
    sim.admin.setFaults([]);
    const limited = await startDataverseSimulator({ port: 0, requestLimit: 5 });
    try {
      const t = ((await (await token(limited)).json()) as { access_token: string }).access_token;
      const statuses = [];
      for (let i = 0; i < 7; i++)
        statuses.push(
          (
            await fetch(`${limited.url}/api/data/v9.2/contacts`, {
              headers: { Authorization: `Bearer ${t}` },
            })
          ).status,
        );
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
      const r = await fetch(`${limited.url}/api/data/v9.2/contacts`, {
        headers: { Authorization: `Bearer ${t}` },
      });
      assert.deepEqual(await r.json(), {
        error: {
          code: '0x80072322',
          message: 'Number of requests exceeded the limit of 5 over time window of 300 seconds.',
        },
      });
      assert.ok(Number(r.headers.get('retry-after')) > 0);
    } finally {
      await limited.close();
    }
  });
});
