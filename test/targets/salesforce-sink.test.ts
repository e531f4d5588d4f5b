// The Salesforce sink against the simulator, one delivery at a time: batching, per-record
// failures, lock retries, request-limit backoff, session refresh, actions and config errors.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { loadConfig, parseSinksEnv, redacted } from '../../src/config/config';
import { deliveryTotals } from '../../src/delivery/deliver';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import { TypedError } from '../../src/errors/types';
import { loadMapping, parseMapping } from '../../src/mapping/mapping-file';
import { createSalesforceSink, salesforceCredentials } from '../../src/sinks/salesforce';
import { sampleWorker } from '../helpers/sample-worker';
import type { DeliveryContext, Sink } from '../../src/sinks/types';
import {
  type SalesforceSimulatorHandle,
  startSalesforceSimulator,
} from '../../src/targets/salesforce/simulator';

const EXAMPLE = path.resolve(__dirname, '..', '..', 'examples', 'salesforce-contact.json');

const worker = (n: number, over: Partial<NonNullable<NormalizedWorker['employment']>> = {}) =>
  sampleWorker(n, over);

const ctx = (page = 1, extra: Partial<DeliveryContext> = {}): DeliveryContext => ({
  key: { runId: 'run-1', page },
  asOfEntry: '2026-01-01T00:00:00.000Z',
  deliveredHashes: new Map(),
  ...extra,
});

describe('Salesforce sink', () => {
  let sf: SalesforceSimulatorHandle;
  let sink: Sink;
  const sleeps: number[] = [];
  const make = (mapping = loadMapping(EXAMPLE)) =>
    createSalesforceSink({
      name: 'crm',
      mapping,
      credentials: salesforceCredentials({
        loginUrl: sf.loginUrl,
        clientId: sf.clientId,
        clientSecret: sf.clientSecret,
      }),
      sleep: async (ms) => void sleeps.push(ms),
    });

  before(async () => {
    sf = await startSalesforceSimulator({ port: 0 });
  });
  after(() => sf.close());
  beforeEach(async () => {
    sf.admin.reset();
    sleeps.length = 0;
    sink = make();
    await sink.init();
  });

  it('upserts a page in Collections requests of at most 200 and reports what it did', async () => {
    const records = Array.from({ length: 450 }, (_, i) => worker(i + 1));
    const res = await sink.deliverPage(ctx(), records);
    assert.equal(res.inserted, 450);
    assert.equal(res.failures, undefined);
    assert.deepEqual(sf.admin.stats().upsertBatchSizes, [200, 200, 50]);
    const hashes = new Map(res.outcomes.map((o) => [o.wid, o.hash]));
    const again = await sink.deliverPage(ctx(2, { deliveredHashes: hashes }), records);
    assert.equal(again.unchanged, 450);
    assert.deepEqual(sf.admin.stats().upsertBatchSizes, [200, 200, 50], 'unchanged records are not sent');
    const changed = [worker(1, { businessTitle: 'Lead' }), ...records.slice(1, 3)];
    const third = await sink.deliverPage(ctx(3, { deliveredHashes: hashes }), changed);
    assert.deepEqual([third.updated, third.unchanged], [1, 2]);
    const c = sf.admin.contacts().find((x) => x.Workday_ID__c === worker(1).wid)!;
    assert.equal(c.Title, 'Lead');
    assert.equal(c.Source__c, 'Workday', 'set on create, kept on update');
  });

  it('reports records Salesforce refuses with its code and message, not as delivered', async () => {
    sf.admin.setFaults([{ type: 'validation', next: 1, message: 'Title must not be Analyst' }]);
    const bad = worker(2);
    bad.personal!.workEmail = 'not-an-email';
    const res = await sink.deliverPage(ctx(), [worker(1), bad, worker(3)]);
    assert.deepEqual(
      res.failures?.map((f) => [f.wid, f.code, f.message]),
      [
        [worker(1).wid, 'FIELD_CUSTOM_VALIDATION_EXCEPTION', 'Title must not be Analyst'],
        [bad.wid, 'INVALID_EMAIL_ADDRESS', 'Email: invalid email address: not-an-email'],
      ],
    );
    assert.deepEqual(
      res.outcomes.map((o) => o.wid),
      [worker(3).wid],
    );
    assert.equal(res.inserted, 1);
    assert.deepEqual(deliveryTotals(res), {
      inserted: 1,
      updated: 0,
      unchanged: 0,
      alreadyDelivered: false,
      failed: 2,
    });
  });

  it('retries the records a row lock refused, with growing waits', async () => {
    sf.admin.setFaults([{ type: 'lock', next: 3 }]);
    const res = await sink.deliverPage(ctx(), [worker(1), worker(2), worker(3), worker(4)]);
    assert.equal(res.inserted, 4);
    assert.equal(res.failures, undefined);
    assert.deepEqual(sf.admin.stats().upsertBatchSizes, [4, 3]);
    assert.deepEqual(sleeps, [200]);
    sf.admin.setFaults([{ type: 'lock', rate: 1 }]);
    const stuck = await sink.deliverPage(ctx(2), [worker(9)]);
    assert.equal(stuck.failures?.[0]?.code, 'UNABLE_TO_LOCK_ROW', 'given up after a few tries, reported');
    assert.deepEqual(sleeps, [200, 200, 400, 800]);
  });

  it('backs off on REQUEST_LIMIT_EXCEEDED with a typed retryable failure and a delay', async () => {
    sf.admin.setLimits({ apiLimit: 10, apiUsage: 10 });
    await assert.rejects(sink.deliverPage(ctx(), [worker(1)]), (e: unknown) => {
      assert.ok(e instanceof ApplicationFailure);
      assert.equal(e.type, 'SalesforceRequestLimit');
      assert.equal(e.nonRetryable, false);
      assert.ok((e.nextRetryDelay as number) >= 60_000);
      assert.match(e.message, /REQUEST_LIMIT_EXCEEDED.*backing off/);
      return true;
    });
    const requests = sf.admin.stats().requestErrors.REQUEST_LIMIT_EXCEEDED;
    assert.equal(requests, 1, 'one refused call, no retry storm');
  });

  it('refreshes an expired session once', async () => {
    await sink.deliverPage(ctx(), [worker(1)]);
    const tokens = sf.admin.stats().tokensIssued;
    sf.admin.expireTokens();
    const res = await sink.deliverPage(ctx(2), [worker(2)]);
    assert.equal(res.inserted, 1);
    assert.equal(sf.admin.stats().tokensIssued, tokens + 1);
    sf.admin.setFaults([{ type: 'expireToken', rate: 1 }]);
    await assert.rejects(sink.deliverPage(ctx(3), [worker(3)]), (e: unknown) => {
      assert.ok(e instanceof TypedError);
      assert.equal(e.type, 'SalesforceAuthError');
      assert.equal(e.retryable, false);
      return true;
    });
    assert.equal(sf.admin.stats().tokensIssued, tokens + 2, 'refreshed once, then gave up');
  });

  it('holds the deactivation of a leaver it holds, creates none for one it never held, and applies it through lifecycle', async () => {
    await sink.deliverPage(ctx(), [worker(1)]);
    const leaver = worker(1, { active: false, terminated: true, terminationDate: '2026-02-01' });
    const res = await sink.deliverPage(ctx(2), [leaver, worker(2, { active: false, terminated: true })]);
    assert.deepEqual([res.updated, res.unchanged, res.inserted], [0, 1, 0]);
    assert.deepEqual(
      res.held?.map((h) => [h.wid, h.event, h.action]),
      [[leaver.wid, 'termination', 'deactivate']],
      'left to the delivery core (the circuit breaker)',
    );
    assert.equal(sf.admin.contacts()[0]!.Active__c, true, 'nothing deactivated by the page');
    assert.equal(await sink.lifecycle!.count(), 1);
    const done = await sink.lifecycle!.apply({ asOfEntry: '2026-01-02T00:00:00.000Z' }, [
      { ...res.held![0]!, record: leaver },
    ]);
    assert.deepEqual(done, { done: [leaver.wid], failures: [] });
    const all = sf.admin.contacts();
    assert.equal(all.length, 1);
    assert.equal(all[0]!.Active__c, false);
    assert.equal(all[0]!.Termination_Date__c, '2026-02-01');
  });

  it('deletes a leaver when the mapping says delete, and honours create: false', async () => {
    const file = loadMapping(EXAMPLE).file;
    const del = make(parseMapping({ ...file, actions: { ...file.actions, onTermination: 'delete' } }));
    await del.deliverPage(ctx(), [worker(1), worker(2)]);
    const leaver = worker(1, { active: false, terminated: true });
    const res = await del.deliverPage(ctx(2), [leaver]);
    assert.deepEqual(
      res.held?.map((h) => h.action),
      ['delete'],
    );
    assert.equal(sf.admin.contacts().length, 2, 'held, not deleted yet');
    const done = await del.lifecycle!.apply({ asOfEntry: ctx().asOfEntry }, [
      { ...res.held![0]!, record: leaver },
    ]);
    assert.deepEqual(done.done, [leaver.wid]);
    assert.deepEqual(
      sf.admin.contacts().map((c) => c.Workday_ID__c),
      [worker(2).wid],
    );
    const again = await del.lifecycle!.apply({ asOfEntry: ctx().asOfEntry }, [
      { ...res.held![0]!, record: leaver },
    ]);
    assert.deepEqual(again.done, [leaver.wid], 'gone already: done, nothing sent');
    const noCreate = make(parseMapping({ ...file, actions: { ...file.actions, create: false } }));
    const r2 = await noCreate.deliverPage(ctx(3), [worker(2, { businessTitle: 'Boss' }), worker(3)]);
    assert.deepEqual([r2.updated, r2.inserted, r2.unchanged], [1, 0, 1]);
    assert.equal(sf.admin.contacts().length, 1);
  });

  it("a rescinded hire follows the mapping's onRescind, else its onTermination; both are held for the breaker", async () => {
    await sink.deliverPage(ctx(), [worker(1), worker(2)]);
    const rescinded = (n: number) => worker(n, { active: false, hireRescinded: true });
    const res = await sink.deliverPage(ctx(2), [rescinded(1)]);
    assert.deepEqual(
      res.held?.map((h) => h.action),
      ['deactivate'],
      'deactivate, as onTermination says, held for the circuit breaker',
    );
    const file = loadMapping(EXAMPLE).file;
    const del = make(parseMapping({ ...file, actions: { ...file.actions, onRescind: 'delete' } }));
    const r2 = await del.deliverPage(ctx(3), [rescinded(2)]);
    assert.deepEqual(
      r2.held?.map((h) => h.action),
      ['delete'],
      'onRescind: delete',
    );
    const applied = await del.lifecycle!.apply({ asOfEntry: ctx(3).asOfEntry }, r2.held!);
    assert.deepEqual(applied.done, [worker(2).wid]);
    assert.ok(!sf.admin.contacts().some((c) => c.Workday_ID__c === worker(2).wid), 'deleted once applied');
  });

  it('removals: onRemoval picks the workers Salesforce holds; deactivate writes the deactivate fields from the ids alone', async () => {
    const file = loadMapping(EXAMPLE).file;
    await sink.deliverPage(ctx(), [worker(1), worker(2)]);
    const absent = [worker(1), worker(9)].map((w) => ({ wid: w.wid, workerId: w.workerId }));
    assert.deepEqual(await sink.lifecycle!.removals(absent), [], 'onRemoval nothing (the example)');
    const deactivating = make(
      parseMapping({ ...file, actions: { ...file.actions, onRemoval: 'deactivate' } }),
    );
    const held = await deactivating.lifecycle!.removals(absent);
    assert.deepEqual(held, [{ wid: worker(1).wid, workerId: 'W1', event: 'removal', action: 'deactivate' }]);
    const r = await deactivating.lifecycle!.apply({ asOfEntry: '2026-01-03T00:00:00.000Z' }, held);
    assert.deepEqual(r.done, [worker(1).wid]);
    const c = sf.admin.contacts().find((x) => x.Workday_ID__c === worker(1).wid)!;
    assert.equal(c.Active__c, false);
    assert.equal(c.Title, 'Analyst', 'no mapped value without a record');
    assert.equal(c.Workday_As_Of__c, '2026-01-03T00:00:00.000Z');
    const deleting = make(parseMapping({ ...file, actions: { ...file.actions, onRemoval: 'delete' } }));
    const d = await deleting.lifecycle!.removals([{ wid: worker(2).wid }]);
    assert.deepEqual(await deleting.lifecycle!.apply({ asOfEntry: ctx().asOfEntry }, d), {
      done: [worker(2).wid],
      failures: [],
    });
    assert.deepEqual(
      sf.admin.contacts().map((x) => x.Workday_ID__c),
      [worker(1).wid],
    );
  });

  it('never writes a page from an older snapshot over a newer one (overlapping runs)', async () => {
    await sink.deliverPage(ctx(1, { asOfEntry: '2026-03-01T00:00:00.000Z' }), [
      worker(1, { businessTitle: 'New' }),
    ]);
    const res = await sink.deliverPage(ctx(2, { asOfEntry: '2026-02-01T00:00:00.000Z' }), [
      worker(1, { businessTitle: 'Old' }),
      worker(2),
    ]);
    assert.deepEqual([res.unchanged, res.inserted], [1, 1]);
    const c = sf.admin.contacts().find((x) => x.Workday_ID__c === worker(1).wid)!;
    assert.equal(c.Title, 'New');
    assert.equal(c.Workday_As_Of__c, '2026-03-01T00:00:00.000Z');
  });

  it('leaves out-of-scope workers alone', async () => {
    const contractor = { ...worker(5), workerType: 'Contingent_Worker' as const };
    const res = await sink.deliverPage(ctx(), [contractor]);
    assert.equal(res.unchanged, 1);
    assert.equal(sf.admin.contacts().length, 0);
  });

  it('explains what a delivery would do with one worker, writing nothing', async () => {
    const at = { asOfEntry: '2026-01-01T00:00:00.000Z' };
    const fresh = await sink.explain!(worker(1), at);
    assert.equal(fresh.action, 'insert');
    assert.equal(fresh.inScope, true);
    assert.equal(fresh.current, null);
    assert.equal(fresh.target?.LastName, 'L1');
    assert.equal(fresh.target?.Source__c, 'Workday');
    assert.equal(sf.admin.stats().contacts, 0);
    const res = await sink.deliverPage(ctx(), [worker(1)]);
    const hash = res.outcomes[0]!.hash;
    assert.equal((await sink.explain!(worker(1), { ...at, deliveredHash: hash })).action, 'unchanged');
    const promoted = await sink.explain!(worker(1, { businessTitle: 'Lead' }), {
      ...at,
      deliveredHash: hash,
    });
    assert.equal(promoted.action, 'update');
    assert.equal(promoted.current?.Title, 'Analyst');
    assert.equal(promoted.target?.Title, 'Lead');
    const leaver = await sink.explain!(worker(1, { active: false, terminated: true }), at);
    assert.equal(leaver.action, 'deactivate');
    assert.equal(leaver.target?.Active__c, false);
    const never = await sink.explain!(worker(2, { active: false, terminated: true }), at);
    assert.equal(never.action, 'nothing');
    assert.match(never.reason, /holds no record for it/);
    const contractor = await sink.explain!({ ...worker(3), workerType: 'Contingent_Worker' }, at);
    assert.equal(contractor.action, 'out of scope');
    assert.match(contractor.reason, /scope expression is false: workerType = 'Employee'/);
    assert.equal(sf.admin.stats().contacts, 1);
    assert.equal(sf.admin.stats().updated, 0);
  });

  it('refuses at init a match key or field the org does not have, saying what to do', async () => {
    const file = loadMapping(EXAMPLE).file;
    await assert.rejects(
      make(
        parseMapping({
          ...file,
          matchKey: { field: 'Department', from: 'wid' },
          fields: { LastName: 'workerId' },
          references: {},
        }),
      ).init(),
      /Contact\.Department is not an External ID field in Salesforce; create it .* or change matchKey\.field/,
    );
    await assert.rejects(
      make(parseMapping({ ...file, fields: { ...file.fields, Shoe_Size__c: '42' } })).init(),
      /writes Shoe_Size__c, which Contact does not have/,
    );
    await assert.rejects(
      make(
        parseMapping({
          ...file,
          references: { Manager__r: { object: 'Contact', externalIdField: 'Workday_ID__c', field: 'Title' } },
        }),
      ).init(),
      /references\.Manager__r: Contact has no relationship Manager__r to Contact in Salesforce \(a lookup field Manager__c\)/,
    );
    assert.throws(
      () =>
        parseMapping({
          ...file,
          references: {
            ReportsTo: { object: 'Contact', externalIdField: 'Workday_ID__c', field: 'Boss__c' },
          },
        }),
      /references\.ReportsTo\.field: Boss__c is not in fields; map it there/,
    );
  });

  it('validates credentials and the sink spec', () => {
    assert.throws(
      () => salesforceCredentials({}, {}),
      /SALESFORCE_LOGIN_URL must be a URL.*SALESFORCE_CLIENT_ID is required.*SALESFORCE_CLIENT_SECRET is required/,
    );
    const c = salesforceCredentials(
      {},
      {
        SALESFORCE_LOGIN_URL: 'https://login.salesforce.com',
        SALESFORCE_CLIENT_ID: 'id',
        SALESFORCE_CLIENT_SECRET: 'secret',
      },
    );
    assert.equal(c.apiVersion, '62.0');
    assert.deepEqual(parseSinksEnv('postgres,crm=salesforce:examples/salesforce-contact.json'), [
      { name: 'postgres', type: 'postgres' },
      { name: 'crm', type: 'salesforce', mapping: 'examples/salesforce-contact.json' },
    ]);
    assert.throws(() => parseSinksEnv('crm=salesforce'), /needs a mapping file, e\.g\. crm=salesforce:/);
  });

  it('hides a client secret set in the config file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-config-'));
    writeFileSync(
      path.join(dir, 'wdsync.config.json'),
      JSON.stringify({
        sinks: [{ name: 'crm', type: 'salesforce', mapping: EXAMPLE, clientSecret: 'hunter2' }],
      }),
    );
    const cfg = loadConfig(
      {
        WORKDAY_ENDPOINT: 'https://wd.example.com/ccx/service/acme/Human_Resources/v44.0',
        WORKDAY_USERNAME: 'isu@acme',
        WORKDAY_PASSWORD: 'pw',
      },
      dir,
    );
    assert.equal((cfg.sinks[0] as { clientSecret?: string }).clientSecret, 'hunter2');
    assert.equal(JSON.stringify(redacted(cfg)).includes('hunter2'), false);
  });
});
