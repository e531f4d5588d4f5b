// Mapping files: the example parses and maps a record as written; bad files fail at load with the
// path of the bad entry and what to do; expressions are JSONata's, evaluated over the record.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import { loadMapping, MappingError, parseMapping } from '../../src/mapping/mapping-file';

const EXAMPLE = path.resolve(__dirname, '..', '..', 'examples', 'salesforce-contact.json');

const worker = (over: Partial<NormalizedWorker> = {}): NormalizedWorker => ({
  wid: 'a'.repeat(32),
  workerId: '21001',
  workerType: 'Employee',
  descriptor: 'Ada Lovelace',
  personal: {
    legalName: { formatted: 'Ada Lovelace', first: 'Ada', last: 'Lovelace' },
    workEmail: 'ada@example.com',
    address: { lines: ['1 Main St'], city: 'London', country: 'GB' },
  },
  employment: {
    businessTitle: 'Analyst',
    active: true,
    hireDate: '2020-01-02',
    terminated: false,
    managerWid: 'b'.repeat(32),
  },
  organizations: { companyId: 'C1', supervisoryOrgName: 'Engines' },
  ...over,
});

const base = {
  object: 'Contact',
  matchKey: { field: 'Workday_ID__c', from: 'wid' },
  fields: { LastName: 'personal.legalName.last' },
  deactivate: { Active__c: 'false' },
};

function refusal(input: unknown): string {
  try {
    parseMapping(input, 'm.json');
  } catch (e) {
    assert.ok(e instanceof MappingError, String(e));
    return e.message;
  }
  assert.fail('accepted a bad mapping');
}

describe('mapping file', () => {
  it('loads the example and maps an in-scope employee', async () => {
    const m = loadMapping(EXAMPLE);
    assert.equal(m.file.object, 'Contact');
    assert.deepEqual(m.file.actions, {
      create: true,
      update: true,
      onTermination: 'deactivate',
      onRemoval: 'nothing',
    });
    const r = await m.map(worker());
    assert.equal(r.inScope, true);
    assert.equal(r.key, 'a'.repeat(32));
    assert.equal(r.values.LastName, 'Lovelace');
    assert.equal(r.values.Title, 'Analyst');
    assert.equal(r.values.MailingCity, 'London');
    assert.equal(r.values.Active__c, true);
    assert.equal(r.values.Worker_ID__c, '21001');
    assert.equal(r.values.Workday_Manager_ID__c, 'b'.repeat(32));
    assert.deepEqual(r.createOnly, { Source__c: 'Workday' });
    assert.equal('Phone' in r.values, false, 'an absent path leaves the field out');
  });

  it('scopes out contingent workers and inactive employees', async () => {
    const m = loadMapping(EXAMPLE);
    assert.equal((await m.map(worker({ workerType: 'Contingent_Worker' }))).inScope, false);
    const inactive = worker();
    inactive.employment = { ...inactive.employment!, active: false };
    const r = await m.map(inactive);
    assert.equal(r.inScope, false);
    assert.deepEqual(r.values, {});
  });

  it('evaluates JSONata expressions: functions, conditions, string constants', async () => {
    const m = parseMapping({
      ...base,
      matchKey: { field: 'Worker_ID__c', from: 'workerId' },
      fields: {
        LastName: '$uppercase(personal.legalName.last)',
        Title: "employment.terminated ? 'Former ' & employment.businessTitle : employment.businessTitle",
        Email: "$lowercase(personal.legalName.first) & '@corp.example'",
        Active__c: 'employment.active and $not(employment.terminated)',
      },
      scope: "organizations.companyId in ['C1', 'C2']",
    });
    const terminated = worker();
    terminated.employment = { ...terminated.employment!, terminated: true, terminationDate: '2024-05-01' };
    const r = await m.map(terminated);
    assert.equal(r.key, '21001');
    assert.equal(r.terminated, true);
    assert.deepEqual(r.values, {
      LastName: 'LOVELACE',
      Title: 'Former Analyst',
      Email: 'ada@corp.example',
      Active__c: false,
    });
    assert.equal((await m.map(worker({ organizations: { companyId: 'C9' } }))).inScope, false);
  });

  it('names the bad entry and the fix', () => {
    assert.match(
      refusal({ ...base, object: 'Con tact' }),
      /^mapping \(in m\.json\) is not valid: object: expected a Salesforce API name/,
    );
    assert.match(
      refusal({ ...base, matchKey: { field: 'Workday_ID__c', from: 'email' } }),
      /matchKey\.from: .*"wid"/,
    );
    assert.match(
      refusal({ ...base, fields: { 'Bad Name': 'wid' } }),
      /fields\.Bad Name: field names are API names/,
    );
    assert.match(refusal({ ...base, fields: { Title: '' } }), /fields\.Title: expected a JSONata expression/);
    assert.match(
      refusal({ ...base, actions: { onTermination: 'archive' } }),
      /actions\.onTermination: .*deactivate/,
    );
    assert.match(refusal({ ...base, extra: 1 }), /\(top level\): .*extra/i);
    assert.match(
      refusal({ ...base, fields: { Workday_ID__c: 'wid', LastName: 'x' } }),
      /fields\.Workday_ID__c: Workday_ID__c is the match key, filled from wid; remove it from fields/,
    );
    assert.match(
      refusal({ ...base, deactivate: {} }),
      /deactivate: actions\.onTermination is "deactivate": say what that writes/,
    );
    assert.match(
      refusal({ ...base, fields: { Title: 'employment.businessTitle +' } }),
      /^fields\.Title \(in m\.json\): not a valid JSONata expression: .* at position \d+; quote string constants/,
    );
    assert.match(
      refusal({ ...base, scope: "workerType = 'Employee" }),
      /scope \(in m\.json\): not a valid JSONata expression/,
    );
  });

  it('refuses an expression that yields a list, at the record, naming the field', async () => {
    const m = parseMapping({ ...base, fields: { LastName: 'personal.address.lines' } });
    const w = worker();
    w.personal!.address!.lines = ['a', 'b'];
    await assert.rejects(m.map(w), /fields\.LastName: "personal\.address\.lines" gave a list/);
  });

  it('keys on the person: the Universal_ID, else the WID; every write names its WID in the owner field', async () => {
    const m = parseMapping({
      ...base,
      matchKey: { field: 'Workday_Person_ID__c', from: 'personId', ownerField: 'Workday_ID__c' },
    });
    const r = await m.map(worker({ personId: 'UID-00000042' }));
    assert.equal(r.key, 'UID-00000042');
    assert.equal(r.values.Workday_ID__c, 'a'.repeat(32));
    assert.equal((await m.map(worker())).key, 'a'.repeat(32), 'no Universal_ID: a person of one WID');
    const out = worker({ personId: 'UID-00000042' });
    out.employment = { ...out.employment!, active: false, terminated: true };
    const gone = await parseMapping({
      ...base,
      scope: 'employment.active',
      matchKey: { field: 'Workday_Person_ID__c', from: 'personId', ownerField: 'Workday_ID__c' },
    }).map(out);
    assert.deepEqual(gone.values, {}, 'out of scope: no values, so no claim on the record');
  });

  it('a person key needs an owner field, kept out of fields; no owner field on a WID key', () => {
    const person = { field: 'Workday_Person_ID__c', from: 'personId' };
    assert.match(
      refusal({ ...base, matchKey: person }),
      /matchKey\.ownerField: a person key needs an owner field/,
    );
    assert.match(
      refusal({ ...base, matchKey: { ...person, ownerField: 'Workday_Person_ID__c' } }),
      /must be two fields/,
    );
    assert.match(
      refusal({
        ...base,
        matchKey: { ...person, ownerField: 'Workday_ID__c' },
        fields: { ...base.fields, Workday_ID__c: 'wid' },
      }),
      /fields\.Workday_ID__c: Workday_ID__c is the owner field, filled with the WID; remove it from fields/,
    );
    assert.match(
      refusal({ ...base, matchKey: { ...base.matchKey, ownerField: 'Other__c' } }),
      /ownerField is for "from": "personId"/,
    );
  });

  it('says what to do with a missing or non-JSON file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mapping-'));
    assert.throws(
      () => loadMapping(path.join(dir, 'none.json')),
      /cannot read mapping file .*check the path in the sink spec/,
    );
    writeFileSync(path.join(dir, 'bad.json'), '{ nope');
    assert.throws(() => loadMapping(path.join(dir, 'bad.json')), /is not JSON/);
  });
});
