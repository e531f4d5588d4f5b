// The Zendesk and Dataverse sinks against their simulators, one delivery at a time: per-record
// refusals come back as failures (code and message) and are not recorded as delivered; a short
// 429 is waited out for Retry-After, a long one goes back to Temporal with that delay; the
// action switches and terminations; config errors at start-up; the sink specs and redaction.
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { parseSinksEnv, redacted, loadConfig } from '../../src/config/config';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import type { TypedError } from '../../src/errors/types';
import { loadMapping, parseMapping } from '../../src/mapping/mapping-file';
import { createDataverseSink, dataverseCredentials } from '../../src/sinks/dynamics';
import type { DeliveryContext, Sink } from '../../src/sinks/types';
import { createZendeskSink, zendeskCredentials } from '../../src/sinks/zendesk';
import { type DataverseSimulatorHandle, startDataverseSimulator } from '../../src/targets/dynamics/simulator';
import { type ZendeskSimulatorHandle, startZendeskSimulator } from '../../src/targets/zendesk/simulator';

const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');
const ZD_EXAMPLE = path.join(EXAMPLES, 'zendesk-user.json');
const DV_EXAMPLE = path.join(EXAMPLES, 'dynamics-contact.json');

function worker(
  n: number,
  over: Partial<NonNullable<NormalizedWorker['employment']>> = {},
): NormalizedWorker {
  return {
    wid: n.toString(16).padStart(32, '0'),
    workerId: `W${n}`,
    workerType: 'Employee',
    descriptor: `Worker ${n}`,
    personal: {
      legalName: { formatted: `F${n} L${n}`, first: `F${n}`, last: `L${n}` },
      workEmail: `w${n}@example.com`,
    },
    employment: {
      businessTitle: 'Analyst',
      active: true,
      hireDate: '2020-01-01',
      terminated: false,
      ...over,
    },
    organizations: { supervisoryOrgId: `SUP-${n % 3}`, supervisoryOrgName: `Org ${n % 3}` },
  };
}
const workers = (n: number, from = 0) => Array.from({ length: n }, (_, i) => worker(from + i));

const ctx = (extra: Partial<DeliveryContext> = {}): DeliveryContext => ({
  key: { runId: 'run-1', page: 1 },
  asOfEntry: '2026-01-01T00:00:00.000Z',
  deliveredHashes: new Map(),
  ...extra,
});

describe('Zendesk sink', () => {
  let zd: ZendeskSimulatorHandle;
  let sink: Sink;
  const sleeps: number[] = [];
  const make = (mapping = loadMapping(ZD_EXAMPLE, 'zendesk')) =>
    createZendeskSink({
      name: 'desk',
      mapping,
      credentials: zendeskCredentials({}, zd.env),
      sleep: async (ms) => {
        sleeps.push(ms);
        await new Promise((r) => setTimeout(r, Math.min(ms, 5)));
      },
    });
  before(async () => {
    zd = await startZendeskSimulator({ port: 0 });
  });
  after(() => zd.close());
  beforeEach(async () => {
    zd.admin.reset();
    sleeps.length = 0;
    sink = make();
    await sink.init();
  });

  it('writes 250 users in bulk jobs of at most 100, joining their organizations', async () => {
    const r = await sink.deliverPage(ctx(), workers(250));
    assert.equal(r.inserted, 250);
    assert.deepEqual(zd.admin.stats().batchSizes, [100, 100, 50]);
    const orgs = new Map(zd.admin.organizations().map((o) => [o.id, o.external_id]));
    assert.equal(orgs.size, 3);
    for (const u of zd.admin.users())
      assert.equal(orgs.get(u.organization_id!), `SUP-${Number.parseInt(u.external_id!, 16) % 3}`);
    const again = await sink.deliverPage(ctx(), workers(250));
    assert.equal(again.updated, 250, 'a re-delivery is the same upsert, matched on external_id');
    assert.equal(zd.admin.users().length, 250);
  });

  it('reports users a job refused as failures, leaving them out of the outcomes', async () => {
    zd.admin.setFaults([{ type: 'validation', next: 2, message: 'Phone: is invalid' }]);
    const recs = workers(5);
    recs[4]!.personal!.workEmail = 'not an email';
    const r = await sink.deliverPage(ctx(), recs);
    assert.equal(r.inserted, 2);
    assert.deepEqual(
      r.failures?.map((f) => [f.wid, f.code]),
      [
        [recs[0]!.wid, 'UserUpdateError'],
        [recs[1]!.wid, 'UserUpdateError'],
        [recs[4]!.wid, 'RecordInvalid'],
      ],
    );
    assert.match(r.failures![2]!.message, /Email: not an email is not properly formatted/);
    assert.deepEqual(r.outcomes.map((o) => o.wid).sort(), [recs[2]!.wid, recs[3]!.wid].sort());
  });

  it('fails only the members of an organization Zendesk refuses', async () => {
    // An organization someone made by hand already has the name, under another external_id.
    const res = await fetch(`${zd.url}/api/v2/organizations/create_or_update.json`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${zd.oauthToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ organization: { external_id: 'MANUAL', name: 'Org 1' } }),
    });
    assert.equal(res.status, 201);
    const recs = workers(6);
    const r = await sink.deliverPage(ctx(), recs);
    const members = recs.filter((_, i) => i % 3 === 1).map((w) => w.wid);
    assert.deepEqual(r.failures?.map((f) => f.wid).sort(), members.sort());
    assert.ok(r.failures!.every((f) => f.code === 'OrganizationRefused' && /HTTP 422/.test(f.message)));
    assert.equal(r.inserted, 4);
  });

  it('waits out a short 429 for Retry-After and hands a long one to Temporal with that delay', async () => {
    zd.admin.setFaults([{ type: 'rateLimit', next: 2, retryAfterSec: 2 }]);
    const r = await sink.deliverPage(ctx(), workers(3));
    assert.equal(r.inserted, 3);
    assert.deepEqual(
      sleeps.filter((s) => s > 1000),
      [2000, 2000],
      'two waits of Retry-After (job polls wait at most 1 s)',
    );
    zd.admin.setFaults([{ type: 'rateLimit', next: 1, retryAfterSec: 120 }]);
    await assert.rejects(sink.deliverPage(ctx(), workers(3, 10)), (e: ApplicationFailure) => {
      assert.ok(e instanceof ApplicationFailure);
      assert.equal(e.type, 'TargetThrottled');
      assert.equal(e.nextRetryDelay, 120_000);
      return true;
    });
  });

  it('holds a leaver it holds for the breaker and suspends it once applied, skips one it never held, and refuses a missing user field at start', async () => {
    await sink.deliverPage(ctx(), [worker(1)]);
    const leaver = worker(1, { terminated: true, active: false, terminationDate: '2026-01-01' });
    const at = { asOfEntry: '2026-01-02T00:00:00.000Z' };
    const r = await sink.deliverPage(ctx(at), [leaver, worker(2, { terminated: true, active: false })]);
    assert.deepEqual([r.inserted, r.updated, r.unchanged], [0, 0, 1]);
    assert.deepEqual(
      r.held?.map((h) => [h.wid, h.workerId, h.event, h.action]),
      [[leaver.wid, 'W1', 'termination', 'deactivate']],
    );
    assert.equal(zd.admin.users()[0]!.suspended, false, 'not written with the page');
    const applied = await sink.lifecycle!.apply(at, [{ ...r.held![0]!, record: leaver }]);
    assert.deepEqual(applied, { done: [leaver.wid], failures: [] });
    const u = zd.admin.users()[0]!;
    assert.equal(u.suspended, true);
    assert.equal(u.user_fields.termination_date, '2026-01-01');
    assert.equal(await sink.lifecycle!.count(), 1);
    const file = loadMapping(ZD_EXAMPLE, 'zendesk').file;
    const bad = make(
      parseMapping({ ...file, fields: { ...file.fields, 'user_fields.nope': 'wid' } }, 'x.json', 'zendesk'),
    );
    await assert.rejects(
      bad.init(),
      (e: TypedError) => e.type === 'ConfigError' && /user fields nope/.test(e.message),
    );
    const wrong = createZendeskSink({
      name: 'd',
      mapping: loadMapping(ZD_EXAMPLE, 'zendesk'),
      credentials: zendeskCredentials({ apiToken: 'x' }, zd.env),
    });
    await assert.rejects(wrong.init(), (e: TypedError) => e.type === 'TargetAuthError' && !e.retryable);
  });

  it('proposes removals of users it holds as onRemoval says; deactivates with the deactivate fields only, deletes', async () => {
    await sink.deliverPage(ctx(), workers(3));
    const file = loadMapping(ZD_EXAMPLE, 'zendesk').file;
    const withRemoval = (onRemoval: 'deactivate' | 'delete') =>
      make(parseMapping({ ...file, actions: { ...file.actions, onRemoval } }, 'r.json', 'zendesk'));
    const absent = [
      { wid: worker(0).wid, workerId: 'W0' },
      { wid: worker(9).wid, workerId: 'W9' },
    ];
    assert.deepEqual(await sink.lifecycle!.removals(absent), [], 'the example mapping does nothing');
    const deactivating = withRemoval('deactivate');
    const proposed = await deactivating.lifecycle!.removals(absent);
    assert.deepEqual(proposed, [
      { wid: worker(0).wid, workerId: 'W0', event: 'removal', action: 'deactivate' },
    ]);
    const at = { asOfEntry: '2026-01-02T00:00:00.000Z' };
    assert.deepEqual(await deactivating.lifecycle!.apply(at, proposed), {
      done: [worker(0).wid],
      failures: [],
    });
    const u = zd.admin.users().find((x) => x.external_id === worker(0).wid)!;
    assert.equal(u.suspended, true);
    assert.equal(u.name, 'F0 L0', 'a removed worker has no record: only the deactivate fields are written');
    const deleting = withRemoval('delete');
    const del = await deleting.lifecycle!.removals(absent);
    assert.equal(del[0]?.action, 'delete');
    assert.deepEqual(await deleting.lifecycle!.apply(at, del), { done: [worker(0).wid], failures: [] });
    assert.deepEqual(
      zd.admin
        .users()
        .map((x) => x.external_id)
        .sort(),
      [worker(1).wid, worker(2).wid].sort(),
    );
    assert.deepEqual(
      await deleting.lifecycle!.apply(at, del),
      { done: [worker(0).wid], failures: [] },
      'gone already',
    );
    assert.deepEqual(await deleting.lifecycle!.removals(absent), [], 'nothing left to remove');
  });

  it('users join their organization through a default membership, which moves when the worker moves', async () => {
    const list = async (path: string) => {
      const res = await fetch(`${zd.url}/api/v2/${path}`, {
        headers: { Authorization: `Bearer ${zd.oauthToken}` },
      });
      assert.equal(res.status, 200);
      return ((await res.json()) as { organization_memberships: Record<string, unknown>[] })
        .organization_memberships;
    };
    await sink.deliverPage(ctx(), workers(3));
    const user = () => zd.admin.users().find((u) => u.external_id === worker(1).wid)!;
    const orgId = (ext: string) => zd.admin.organizations().find((o) => o.external_id === ext)!.id;
    assert.deepEqual(
      (await list(`users/${user().id}/organization_memberships.json`)).map((m) => [
        m.organization_id,
        m.organization_name,
        m.default,
      ]),
      [[orgId('SUP-1'), 'Org 1', true]],
    );
    // Someone adds the user to another organization by hand; the sink leaves that membership alone.
    const manual = await fetch(`${zd.url}/api/v2/organizations/create_or_update.json`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${zd.oauthToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ organization: { external_id: 'PROJECT-X', name: 'Project X' } }),
    });
    const px = ((await manual.json()) as { organization: { id: number } }).organization.id;
    const added = await fetch(`${zd.url}/api/v2/organization_memberships.json`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${zd.oauthToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ organization_membership: { user_id: user().id, organization_id: px } }),
    });
    assert.equal(added.status, 201);
    const moved = worker(1);
    moved.organizations = { supervisoryOrgId: 'SUP-2', supervisoryOrgName: 'Org 2' };
    const r = await sink.deliverPage(ctx({ asOfEntry: '2026-01-02T00:00:00.000Z' }), [moved]);
    assert.equal(r.updated, 1);
    assert.equal(user().organization_id, orgId('SUP-2'));
    assert.deepEqual(
      (await list(`users/${user().id}/organization_memberships.json`)).map((m) => [
        m.organization_id,
        m.default,
      ]),
      [
        [orgId('SUP-2'), true],
        [px, null],
      ],
    );
    assert.deepEqual(
      (await list(`organizations/${orgId('SUP-1')}/organization_memberships.json`)).map((m) => m.user_id),
      [],
      'no member of the old organization any more',
    );
  });

  it('never lets a page of an older snapshot write over a newer one (overlapping runs)', async () => {
    const newer = ctx({ asOfEntry: '2026-01-03T00:00:00.000Z' });
    await sink.deliverPage(newer, [worker(1)]);
    const stale = worker(1, { businessTitle: 'Stale title' });
    const r = await sink.deliverPage(ctx({ asOfEntry: '2026-01-02T00:00:00.000Z' }), [stale]);
    assert.deepEqual([r.updated, r.unchanged], [0, 1]);
    assert.equal(zd.admin.users()[0]!.details, 'Analyst');
    assert.equal(zd.admin.users()[0]!.user_fields.workday_as_of, newer.asOfEntry);
  });

  it('explain tells insert, update, unchanged, out of scope and deactivate as a delivery would, writing nothing', async () => {
    const e = (r: NormalizedWorker, deliveredHash?: string) =>
      sink.explain!(r, { asOfEntry: '2026-01-02T00:00:00.000Z', deliveredHash });
    const first = await e(worker(1));
    assert.deepEqual([first.action, first.key, first.current], ['insert', worker(1).wid, null]);
    assert.deepEqual((first.target as { organization: unknown }).organization, {
      external_id: 'SUP-1',
      name: 'Org 1',
    });
    assert.equal(zd.admin.users().length + zd.admin.organizations().length, 0, 'explain writes nothing');
    const r = await sink.deliverPage(ctx(), [worker(1)]);
    assert.equal(r.inserted, 1, 'the delivery does what explain said');
    const same = await e(worker(1));
    assert.equal(same.action, 'unchanged');
    assert.equal((same.current as { details: string }).details, 'Analyst', 'shows what Zendesk holds');
    assert.equal((await e(worker(1), r.outcomes[0]!.hash)).action, 'unchanged');
    const moved = await e(worker(1, { businessTitle: 'Lead' }));
    assert.deepEqual([moved.action, (moved.target as { details: string }).details], ['update', 'Lead']);
    const out = await e(worker(2, { active: false }));
    assert.deepEqual([out.action, out.inScope], ['out of scope', false]);
    assert.match(out.reason, /employment\.active = true/);
    const leaver = worker(1, { terminated: true, active: false, terminationDate: '2026-01-01' });
    const gone = await e(leaver);
    assert.equal(gone.action, 'deactivate');
    assert.equal((gone.target as { suspended: boolean }).suspended, true);
    assert.match(gone.reason, /held for the run's circuit breaker/);
    assert.equal((await e(worker(3, { terminated: true, active: false }))).action, 'nothing');
    assert.equal(zd.admin.users()[0]!.suspended, false, 'explain writes nothing');
    const d = await sink.deliverPage(ctx({ asOfEntry: '2026-01-02T00:00:00.000Z' }), [leaver]);
    assert.deepEqual(
      d.held?.map((h) => h.action),
      ['deactivate'],
      'the delivery holds what explain said',
    );
  });
});

describe('Dataverse sink', () => {
  let dv: DataverseSimulatorHandle;
  let sink: Sink;
  const sleeps: number[] = [];
  const make = (mapping = loadMapping(DV_EXAMPLE, 'dynamics')) =>
    createDataverseSink({
      name: 'dataverse',
      mapping,
      credentials: dataverseCredentials({}, dv.env),
      sleep: async (ms) => {
        sleeps.push(ms);
        await new Promise((r) => setTimeout(r, Math.min(ms, 5)));
      },
    });
  before(async () => {
    dv = await startDataverseSimulator({ port: 0 });
  });
  after(() => dv.close());
  beforeEach(async () => {
    dv.admin.reset();
    sleeps.length = 0;
    sink = make();
    await sink.init();
  });

  it('writes a page as one $batch of create-only and update-only upserts', async () => {
    const first = await sink.deliverPage(ctx(), workers(120));
    assert.equal(first.inserted, 120);
    const second = await sink.deliverPage(ctx(), workers(130));
    assert.deepEqual([second.inserted, second.updated], [10, 120]);
    // Lookups whose URL is long go as a $batch of one GET (dynamics-web-api does that); writes are one batch.
    assert.deepEqual(
      dv.admin.stats().batchSizes.filter((n) => n > 1),
      [120, 130],
    );
    const rows = dv.admin.rows('contacts');
    assert.equal(rows.length, 130);
    assert.ok(rows.every((r) => r.wd_source === 'Workday' && r.wd_asof === '2026-01-01T00:00:00Z'));
  });

  it('reports rows Dataverse refused as failures with its error code; the rest of the batch lands', async () => {
    dv.admin.setFaults([{ type: 'recordError', next: 1, message: 'a plug-in said no' }]);
    const recs = workers(4);
    recs[3]!.personal!.legalName!.last = 'x'.repeat(51);
    const r = await sink.deliverPage(ctx(), recs);
    assert.equal(r.inserted, 2);
    assert.deepEqual(
      r.failures?.map((f) => [f.wid, f.code]),
      [
        [recs[0]!.wid, '0x80040265'],
        [recs[3]!.wid, '0x80044331'],
      ],
    );
    assert.match(r.failures![1]!.message, /maximum allowed length of '50'/);
    assert.equal(dv.admin.rows('contacts').length, 2);
  });

  it('the create and update switches become If-None-Match and If-Match', async () => {
    await sink.deliverPage(ctx(), workers(2));
    const file = loadMapping(DV_EXAMPLE, 'dynamics').file;
    const updateOnly = make(
      parseMapping({ ...file, actions: { ...file.actions, create: false } }, 'u.json', 'dynamics'),
    );
    const r = await updateOnly.deliverPage(ctx(), workers(4));
    assert.deepEqual([r.updated, r.unchanged, r.inserted], [2, 2, 0]);
    const createOnly = make(
      parseMapping({ ...file, actions: { ...file.actions, update: false } }, 'c.json', 'dynamics'),
    );
    const c = await createOnly.deliverPage(ctx(), workers(4));
    assert.deepEqual([c.inserted, c.unchanged, c.updated], [2, 2, 0]);
    assert.equal(dv.admin.rows('contacts').length, 4);
  });

  it('waits out a short 429 and hands a long one to Temporal; deactivates leavers it holds', async () => {
    dv.admin.setFaults([{ type: 'throttle', next: 1, retryAfterSec: 3 }]);
    assert.equal((await sink.deliverPage(ctx(), workers(2))).inserted, 2);
    assert.ok(sleeps.includes(3000), `slept ${sleeps}`);
    dv.admin.setFaults([{ type: 'throttle', next: 1, retryAfterSec: 300 }]);
    await assert.rejects(
      sink.deliverPage(ctx(), workers(2, 5)),
      (e: ApplicationFailure) => e.type === 'TargetThrottled' && e.nextRetryDelay === 300_000,
    );
    const leaver = worker(0, { terminated: true, active: false });
    const at = { asOfEntry: '2026-01-02T00:00:00.000Z' };
    const r = await sink.deliverPage(ctx(at), [leaver]);
    assert.deepEqual(
      [r.updated, r.held?.map((h) => [h.wid, h.event, h.action])],
      [0, [[leaver.wid, 'termination', 'deactivate']]],
    );
    const row = () => dv.admin.rows('contacts').find((x) => x.wd_workdayid === worker(0).wid)!;
    assert.equal(row().statecode, 0, 'held, not written with the page');
    assert.deepEqual(await sink.lifecycle!.apply(at, [{ ...r.held![0]!, record: leaver }]), {
      done: [leaver.wid],
      failures: [],
    });
    assert.deepEqual([row().statecode, row().statuscode, row().wd_active], [1, 2, false]);
    assert.equal(await sink.lifecycle!.count(), 2);
  });

  it('proposes removals of rows it holds as onRemoval says, deletes them, and counts what it holds', async () => {
    await sink.deliverPage(ctx(), workers(3));
    const file = loadMapping(DV_EXAMPLE, 'dynamics').file;
    const deleting = make(
      parseMapping({ ...file, actions: { ...file.actions, onRemoval: 'delete' } }, 'r.json', 'dynamics'),
    );
    const absent = [
      { wid: worker(2).wid, workerId: 'W2' },
      { wid: worker(7).wid, workerId: 'W7' },
    ];
    assert.deepEqual(await sink.lifecycle!.removals(absent), [], 'the example mapping does nothing');
    const proposed = await deleting.lifecycle!.removals(absent);
    assert.deepEqual(proposed, [{ wid: worker(2).wid, workerId: 'W2', event: 'removal', action: 'delete' }]);
    const at = { asOfEntry: '2026-01-02T00:00:00.000Z' };
    assert.deepEqual(await deleting.lifecycle!.apply(at, proposed), { done: [worker(2).wid], failures: [] });
    assert.equal(await deleting.lifecycle!.count(), 2);
    assert.deepEqual(
      dv.admin
        .rows('contacts')
        .map((x) => x.wd_workdayid)
        .sort(),
      [worker(0).wid, worker(1).wid].sort(),
    );
    assert.deepEqual(
      await deleting.lifecycle!.apply(at, proposed),
      { done: [worker(2).wid], failures: [] },
      'gone already',
    );
  });

  it('refuses at start a column the table lacks, a non-key match field and wrong credentials', async () => {
    const file = loadMapping(DV_EXAMPLE, 'dynamics').file;
    const noCol = make(
      parseMapping({ ...file, fields: { ...file.fields, wd_nope: 'wid' } }, 'x.json', 'dynamics'),
    );
    await assert.rejects(
      noCol.init(),
      (e: TypedError) => e.type === 'ConfigError' && /wd_nope/.test(e.message),
    );
    const noKey = make(
      parseMapping(
        { ...file, matchKey: { field: 'wd_workerid', from: 'workerId' }, fields: { firstname: 'wid' } },
        'k.json',
        'dynamics',
      ),
    );
    await assert.rejects(
      noKey.init(),
      (e: TypedError) => e.type === 'ConfigError' && /not an alternate key/.test(e.message),
    );
    const wrong = createDataverseSink({
      name: 'd',
      mapping: loadMapping(DV_EXAMPLE, 'dynamics'),
      credentials: dataverseCredentials({ clientSecret: 'x' }, dv.env),
    });
    await assert.rejects(
      wrong.init(),
      (e: TypedError) => e.type === 'TargetAuthError' && /Invalid client secret/.test(e.message),
    );
  });

  it('never lets a page of an older snapshot write over a newer one (overlapping runs)', async () => {
    await sink.deliverPage(ctx({ asOfEntry: '2026-01-03T00:00:00.000Z' }), [worker(1)]);
    const stale = worker(1, { businessTitle: 'Stale title' });
    const r = await sink.deliverPage(ctx({ asOfEntry: '2026-01-02T00:00:00.000Z' }), [stale]);
    assert.deepEqual([r.updated, r.unchanged], [0, 1]);
    const row = dv.admin.rows('contacts')[0]!;
    assert.deepEqual([row.jobtitle, row.wd_asof], ['Analyst', '2026-01-03T00:00:00Z']);
  });

  it('explain tells insert, update, unchanged, out of scope and deactivate as a delivery would, writing nothing', async () => {
    const e = (r: NormalizedWorker, deliveredHash?: string) =>
      sink.explain!(r, { asOfEntry: '2026-01-02T00:00:00.000Z', deliveredHash });
    const first = await e(worker(1));
    assert.deepEqual([first.action, first.current], ['insert', null]);
    assert.equal(
      (first.target as { wd_source: string }).wd_source,
      'Workday',
      'onCreate fields on an insert',
    );
    assert.equal(dv.admin.rows('contacts').length, 0, 'explain writes nothing');
    const r = await sink.deliverPage(ctx(), [worker(1)]);
    assert.equal(r.inserted, 1, 'the delivery does what explain said');
    const same = await e(worker(1));
    assert.equal(same.action, 'unchanged');
    assert.equal((same.current as { jobtitle: string }).jobtitle, 'Analyst', 'shows the row Dataverse holds');
    assert.equal((await e(worker(1), r.outcomes[0]!.hash)).action, 'unchanged');
    const moved = await e(worker(1, { businessTitle: 'Lead' }));
    assert.deepEqual([moved.action, (moved.target as { jobtitle: string }).jobtitle], ['update', 'Lead']);
    const out = await e(worker(2, { active: false }));
    assert.deepEqual([out.action, out.inScope], ['out of scope', false]);
    const leaver = worker(1, { terminated: true, active: false });
    const gone = await e(leaver);
    assert.equal(gone.action, 'deactivate');
    assert.equal((gone.target as { statecode: number }).statecode, 1);
    assert.equal(dv.admin.rows('contacts')[0]!.statecode, 0, 'explain writes nothing');
    const d = await sink.deliverPage(ctx({ asOfEntry: '2026-01-02T00:00:00.000Z' }), [leaver]);
    assert.deepEqual(
      d.held?.map((h) => h.action),
      ['deactivate'],
      'the delivery holds what explain said',
    );
  });
});

describe('sink specs', () => {
  it('parses desk=zendesk:<mapping> and dataverse=dynamics:<mapping>, refuses a missing mapping, redacts secrets', () => {
    assert.deepEqual(
      parseSinksEnv(
        'desk=zendesk:examples/zendesk-user.json,dataverse=dynamics:examples/dynamics-contact.json',
      ),
      [
        { name: 'desk', type: 'zendesk', mapping: 'examples/zendesk-user.json' },
        { name: 'dataverse', type: 'dynamics', mapping: 'examples/dynamics-contact.json' },
      ],
    );
    assert.throws(
      () => parseSinksEnv('desk=zendesk'),
      /needs a mapping file, e\.g\. desk=zendesk:examples\/zendesk-user\.json/,
    );
    // Their circuit-breaker limits, as for Salesforce: in the spec, or the sink's `safety` in the file.
    const limited = loadConfig(
      {
        WDSYNC_SINKS:
          'desk=zendesk:examples/zendesk-user.json?maxDestructive=3,dataverse=dynamics:examples/dynamics-contact.json?maxDestructivePercent=5',
      },
      os.tmpdir(),
    );
    assert.deepEqual(
      limited.sinks.map((s) => [s.name, 'safety' in s ? s.safety : undefined]),
      [
        ['desk', { maxDestructive: 3 }],
        ['dataverse', { maxDestructivePercent: 5 }],
      ],
    );
    const cfg = loadConfig({ WDSYNC_SINKS: 'postgres' }, os.tmpdir());
    const shown = redacted({
      ...cfg,
      sinks: [
        { name: 'desk', type: 'zendesk', mapping: 'm.json', apiToken: 'tok' },
        { name: 'dv', type: 'dynamics', mapping: 'm.json', clientSecret: 'sec' },
      ],
    });
    assert.doesNotMatch(JSON.stringify(shown.sinks), /tok"|sec"/);
    assert.throws(
      () => zendeskCredentials({}, { ZENDESK_URL: 'https://acme.zendesk.com' }),
      /ZENDESK_API_TOKEN \(with ZENDESK_EMAIL\) or ZENDESK_OAUTH_TOKEN/,
    );
    assert.throws(
      () => dataverseCredentials({}, { DATAVERSE_URL: 'https://acme.crm.dynamics.com' }),
      /DATAVERSE_TENANT_ID is required/,
    );
  });
});
