// Issue 16 item 3 on a real Temporal dev server, PostgreSQL and the Salesforce and Zendesk
// simulators: mappings keyed on the person (`matchKey.from: personId`, Workday's Universal_ID) keep
// one Contact and one Zendesk user per person when a contingent worker is converted to an employee
// (a second WID), and the contingent worker's termination leaves the record the employee now owns
// alone; a worker terminated and rehired under the same WID gets the same record back, active.
// Read back with jsforce and node-zendesk; PostgreSQL and JSONL keep one row per WID, with personId.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Connection } from 'jsforce';
import { createClient } from 'node-zendesk';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import { loadMapping } from '../../src/mapping/mapping-file';
import {
  type SalesforceSimulatorHandle,
  startSalesforceSimulator,
} from '../../src/targets/salesforce/simulator';
import { DEFAULT_FIELDS } from '../../src/targets/salesforce/simulator/options';
import { type ZendeskSimulatorHandle, startZendeskSimulator } from '../../src/targets/zendesk/simulator';
import { createHarness, type Harness, sinkRows } from '../helpers/harness';
import { assertSinksHoldSnapshot, pinSimNow, runPinned, terminateOne } from '../helpers/snapshot';

const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');
const dir = mkdtempSync(path.join(os.tmpdir(), 'wdsync-person-'));

/** The example mappings, keyed on the person, the WID kept in the owner field, contingent workers in scope. */
function personMapping(example: string, matchKey: Record<string, string>, target: 'salesforce' | 'zendesk') {
  const m = JSON.parse(readFileSync(path.join(EXAMPLES, example), 'utf8'));
  m.matchKey = matchKey;
  m.scope = 'employment.active = true';
  delete m.references;
  delete m.fields.Workday_Manager_ID__c;
  delete m.onCreate['user_fields.workday_id'];
  const file = path.join(dir, example);
  writeFileSync(file, JSON.stringify(m));
  return { file, mapping: loadMapping(file, target) };
}
const sfMap = personMapping(
  'salesforce-contact.json',
  { field: 'Workday_Person_ID__c', from: 'personId', ownerField: 'Workday_ID__c' },
  'salesforce',
);
const zdMap = personMapping(
  'zendesk-user.json',
  { field: 'external_id', from: 'personId', ownerField: 'user_fields.workday_id' },
  'zendesk',
);

type Contact = Record<string, unknown> & { Id: string; Workday_Person_ID__c: string; Workday_ID__c: string };
type ZdUser = Record<string, unknown> & {
  id: number;
  external_id: string;
  user_fields: Record<string, unknown>;
};

function suite(universalIds: 'every-person' | 'conversions', tests: (t: Suite) => void) {
  describe(
    `Mappings keyed on the person, Universal_ID for ${universalIds} (issue 16)`,
    { timeout: 600_000 },
    () => tests(suiteSetup(universalIds)),
  );
}

type Suite = ReturnType<typeof suiteSetup>;

function suiteSetup(universalIds: 'every-person' | 'conversions') {
  let h: Harness;
  let sf: SalesforceSimulatorHandle;
  let zd: ZendeskSimulatorHandle;
  let conn: Connection;
  let zendesk: ReturnType<typeof createClient>;

  before(async () => {
    sf = await startSalesforceSimulator({
      port: 0,
      fields: [
        ...DEFAULT_FIELDS,
        { name: 'Workday_Person_ID__c', type: 'string', length: 40, externalId: true, unique: true },
      ],
    });
    zd = await startZendeskSimulator({ port: 0 });
    h = await createHarness({
      workers: 200,
      simulator: {
        clockFrozen: true,
        clockStart: '2026-11-20T18:00:00.000Z',
        universalIds,
        faults: { latency: { baseMs: 2, perWorkerMs: 0, jitterMs: 2 } },
      },
      config: {
        sinks: [
          { name: 'postgres', type: 'postgres' },
          { name: 'files', type: 'jsonl', dir: path.join(dir, universalIds, 'jsonl') },
          {
            name: 'crm',
            type: 'salesforce',
            mapping: sfMap.file,
            loginUrl: sf.loginUrl,
            clientId: sf.clientId,
            clientSecret: sf.clientSecret,
          },
          {
            name: 'desk',
            type: 'zendesk',
            mapping: zdMap.file,
            url: zd.url,
            email: zd.email,
            apiToken: zd.apiToken,
          },
        ],
      },
    });
    await h.startInProcessWorkers();
    conn = new Connection({
      oauth2: { loginUrl: sf.loginUrl, clientId: sf.clientId, clientSecret: sf.clientSecret },
      version: '62.0',
    });
    await conn.authorize({ grant_type: 'client_credentials' });
    zendesk = createClient({
      endpointUri: `${zd.url}/api/v2`,
      username: zd.email,
      token: zd.apiToken,
      subdomain: 'acme',
    } as never);
  });
  after(async () => {
    await h?.close();
    await sf?.close();
    await zd?.close();
  });

  async function run(mode: 'full' | 'delta') {
    const summary = await runPinned(h, { mode });
    assert.equal(summary.status, 'COMPLETED', JSON.stringify(summary));
    await assertSinksHoldSnapshot(h, summary, { jsonl: false });
    return summary;
  }

  async function contacts(): Promise<Contact[]> {
    const res = await conn
      .query<Contact>(
        'SELECT Id, Workday_Person_ID__c, Workday_ID__c, Worker_ID__c, Active__c, Termination_Date__c FROM Contact',
      )
      .run({ autoFetch: true, maxFetch: 100_000 });
    return res.records;
  }
  const users = async () => (await zendesk.users.list()) as unknown as ZdUser[];
  const only = <T>(list: T[], what: string): T => {
    assert.equal(list.length, 1, `exactly one ${what}, not ${list.length}`);
    return list[0]!;
  };
  const contactOf = async (person: string) =>
    only(
      (await contacts()).filter((c) => c.Workday_Person_ID__c === person),
      `Contact of ${person}`,
    );
  const userOf = async (person: string) =>
    only(
      (await users()).filter((u) => u.external_id === person),
      `Zendesk user of ${person}`,
    );
  /** An active contingent worker, its person, and the Contact and user the targets hold for it. */
  async function aContingentWorker() {
    const contingent = h.sim.admin
      .workersAsOf(pinSimNow(h))
      .find((w) => w.workerType === 'Contingent_Worker' && w.employment?.active)!;
    const person = contingent.personId!;
    return { contingent, person, contactWas: await contactOf(person), userWas: await userOf(person) };
  }
  const stored = async (wid: string) => (await sinkRows(h.schema)).get(wid)?.record as NormalizedWorker;
  const jsonl = () =>
    readFileSync(path.join(dir, universalIds, 'jsonl', 'workers.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as NormalizedWorker);

  return {
    get h() {
      return h;
    },
    run,
    contacts,
    users,
    contactOf,
    userOf,
    aContingentWorker,
    stored,
    jsonl,
  };
}

suite('every-person', (t) => {
  const { run, contacts, users, contactOf, userOf, aContingentWorker, stored, jsonl } = t;
  const sim = () => t.h.sim;
  test('a full sync: every worker carries a Universal_ID; one Contact and one user per person, owned by its WID', async () => {
    await run('full');
    const rows = [...(await sinkRows(t.h.schema)).values()].map((r) => r.record as NormalizedWorker);
    assert.ok(
      rows.every((r) => r.personId?.startsWith('UID-')),
      'every person has a Universal_ID from hire',
    );
    const inScope = rows.filter((r) => r.employment?.active);
    const cs = await contacts();
    assert.deepEqual(cs.map((c) => c.Workday_Person_ID__c).sort(), inScope.map((r) => r.personId).sort());
    const byPerson = new Map(inScope.map((r) => [r.personId, r.wid]));
    for (const c of cs)
      assert.equal(c.Workday_ID__c, byPerson.get(c.Workday_Person_ID__c), 'the owner field holds the WID');
    const us = await users();
    assert.deepEqual(us.map((u) => u.external_id).sort(), inScope.map((r) => r.personId).sort());
    for (const u of us) assert.equal(u.user_fields.workday_id, byPerson.get(u.external_id));
  });

  test("a conversion: the employee takes over the contingent worker's Contact and user; nothing is deactivated or added", async () => {
    const { contingent, person, contactWas, userWas } = await aContingentWorker();
    assert.equal(contactWas.Workday_ID__c, contingent.wid);
    const counts = { contacts: (await contacts()).length, users: (await users()).length };

    sim().admin.clock.advance(600_000);
    const { wid: employee } = sim().admin.hrCase({ case: 'convert', wid: contingent.wid });
    const delta = await run('delta');
    assert.equal(delta.totalResults, 2, 'the contingent worker that ended and the employee it became');

    // The record stores keep one row per WID, both naming the person.
    const ended = await stored(contingent.wid);
    const hired = await stored(employee);
    assert.equal(ended.employment?.terminated, true);
    assert.equal(hired.employment?.converted, true);
    assert.equal(ended.personId, person);
    assert.equal(hired.personId, person);
    const lines = jsonl().filter((r) => r.personId === person);
    assert.deepEqual(
      lines.map((r) => r.wid).sort(),
      [contingent.wid, employee].sort(),
      'one JSONL line per WID',
    );

    // The business targets keep one record per person: the same one, now the employee's, active.
    const c = await contactOf(person);
    assert.equal(c.Id, contactWas.Id, 'the same Contact');
    assert.equal(c.Workday_ID__c, employee, 'owned by the employee');
    assert.equal(c.Worker_ID__c, hired.workerId);
    assert.equal(c.Active__c, true, "the contingent worker's termination did not deactivate it");
    assert.equal(c.Termination_Date__c, null);
    const u = await userOf(person);
    assert.equal(u.id, userWas.id, 'the same Zendesk user');
    assert.equal(u.user_fields.workday_id, employee);
    assert.equal(u.user_fields.worker_id, hired.workerId);
    assert.equal(u.suspended, false);
    assert.deepEqual({ contacts: (await contacts()).length, users: (await users()).length }, counts);

    // A later full run (both WIDs on their own pages, the termination among them) changes nothing.
    await run('full');
    assert.deepEqual(await contactOf(person), c);
    assert.equal((await userOf(person)).suspended, false);
  });

  test("employees and contingent workers synced by separate runs: the ended WID's termination, delivered last, leaves the employee's record alone", async () => {
    const { contingent, person, contactWas, userWas } = await aContingentWorker();
    sim().admin.clock.advance(600_000);
    const { wid: employee } = sim().admin.hrCase({ case: 'convert', wid: contingent.wid });

    // The employees' run first: the employee takes the person's records over.
    const employees = await runPinned(t.h, { mode: 'full', scope: { excludeContingent: true } });
    assert.equal(employees.status, 'COMPLETED', JSON.stringify(employees));
    assert.equal((await contactOf(person)).Workday_ID__c, employee);
    assert.equal((await userOf(person)).user_fields.workday_id, employee);
    // Then the contingent workers' run, with the termination of the WID that ended.
    const contingents = await runPinned(t.h, { mode: 'full', scope: { excludeEmployees: true } });
    assert.equal(contingents.status, 'COMPLETED', JSON.stringify(contingents));
    assert.equal(
      (await stored(contingent.wid)).employment?.terminated,
      true,
      'the termination was delivered',
    );

    const c = await contactOf(person);
    assert.equal(c.Id, contactWas.Id);
    assert.equal(c.Workday_ID__c, employee);
    assert.equal(
      c.Active__c,
      true,
      "the contingent worker's termination did not deactivate the employee's Contact",
    );
    assert.equal(c.Termination_Date__c, null);
    const u = await userOf(person);
    assert.equal(u.id, userWas.id);
    assert.equal(u.user_fields.workday_id, employee);
    assert.equal(
      u.suspended,
      false,
      "the contingent worker's termination did not suspend the employee's user",
    );
    await run('full');
  });

  test("a same-WID rehire: the terminated worker's record is deactivated, then the same record is active again", async () => {
    const worker = terminateOne(
      t.h,
      (w) => w.workerType === 'Employee' && w.employment?.active && !w.employment.converted,
    );
    const person = (await stored(worker)).personId!;
    const contactWas = await contactOf(person);
    const userWas = await userOf(person);
    await run('delta');
    const left = await contactOf(person);
    assert.equal(left.Id, contactWas.Id);
    assert.equal(left.Active__c, false, 'deactivated on termination');
    assert.equal((await userOf(person)).suspended, true);

    sim().admin.clock.advance(3 * 86_400_000);
    sim().admin.hrCase({ case: 'rehire', wid: worker });
    await run('delta');
    const back = await stored(worker);
    assert.equal(back.employment?.terminated, false);
    assert.equal(back.employment?.active, true);
    const c = await contactOf(person);
    assert.equal(c.Id, contactWas.Id, 'the same Contact, not a second one');
    assert.equal(c.Workday_ID__c, worker);
    assert.equal(c.Active__c, true, 'active again');
    const u = await userOf(person);
    assert.equal(u.id, userWas.id, 'the same Zendesk user');
    assert.equal(u.suspended, false);
  });
});

suite('conversions', (t) => {
  const { run, contacts, users } = t;
  const byKey = async () => ({
    contacts: new Map((await contacts()).map((c) => [c.Workday_Person_ID__c, c])),
    users: new Map((await users()).map((u) => [u.external_id, u])),
  });

  test("a Universal_ID that appears only at the conversion: the old record, keyed on the WID, is deactivated; the employee gets the person's", async () => {
    await run('full');
    const contingent = t.h.sim.admin
      .workersAsOf(pinSimNow(t.h))
      .find((w) => w.workerType === 'Contingent_Worker' && w.employment?.active)!;
    assert.equal(contingent.personId, undefined, 'no Universal_ID before a second WID');
    const was = await byKey();
    assert.equal(was.contacts.get(contingent.wid)?.Active__c, true, 'keyed on its WID');
    assert.equal(was.users.get(contingent.wid)?.suspended, false);

    t.h.sim.admin.clock.advance(600_000);
    const { wid: employee } = t.h.sim.admin.hrCase({ case: 'convert', wid: contingent.wid });
    await run('delta');
    const person = (await t.stored(employee)).personId!;
    assert.ok(person);
    const now = await byKey();
    const old = now.contacts.get(contingent.wid)!;
    assert.equal(old.Id, was.contacts.get(contingent.wid)!.Id);
    assert.equal(old.Active__c, false, 'the ended WID deactivates the record it owns');
    assert.equal(now.users.get(contingent.wid)?.suspended, true);
    const c = now.contacts.get(person)!;
    assert.equal(c.Workday_ID__c, employee);
    assert.equal(c.Active__c, true);
    assert.equal(now.users.get(person)?.user_fields.workday_id, employee);
    assert.equal(now.users.get(person)?.suspended, false);
    assert.equal(now.contacts.size, was.contacts.size + 1, 'a second record, as under a WID key');
  });
});
