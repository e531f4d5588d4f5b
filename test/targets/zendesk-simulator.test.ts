// The Zendesk simulator against node-zendesk, a client nobody here wrote: API-token and OAuth auth,
// bulk create_or_update_many as a job watched through job_statuses, show_many by external_ids,
// organizations by external_id, 429 with Retry-After, expiring job results.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createClient } from 'node-zendesk';
import { type ZendeskSimulatorHandle, startZendeskSimulator } from '../../src/targets/zendesk/simulator';

type Client = ReturnType<typeof createClient>;
const user = (n: number, extra: Record<string, unknown> = {}) => ({
  external_id: `wid-${n}`,
  name: `Worker ${n}`,
  email: `w${n}@example.com`,
  user_fields: { worker_id: String(20000 + n) },
  ...extra,
});

describe('Zendesk simulator with node-zendesk', () => {
  let sim: ZendeskSimulatorHandle;
  let zd: Client;
  const client = (o: Record<string, unknown>) =>
    createClient({ endpointUri: `${sim.url}/api/v2`, subdomain: 'acme', ...o } as never);
  const jobResult = async (jobId: string) =>
    (await zd.jobstatuses.watch(jobId, 20, 100)) as { status: string; results: Record<string, unknown>[] };

  before(async () => {
    sim = await startZendeskSimulator({ port: 0 });
    zd = client({ username: sim.email, token: sim.apiToken });
  });
  after(() => sim.close());
  beforeEach(() => sim.admin.reset());

  it('upserts many users in a job matched on external_id, results in request order', async () => {
    const r = (await zd.users.createOrUpdateMany({
      users: [user(1), user(2), user(3, { email: 'not-an-email' })],
    } as never)) as unknown as { result: { job_status: { id: string; status: string } } };
    const job = r.result.job_status;
    assert.equal(job.status, 'queued');
    const done = await jobResult(job.id);
    assert.equal(done.status, 'completed');
    assert.deepEqual(
      done.results.map((x) => [x.index, x.status, x.external_id]),
      [
        [0, 'Created', 'wid-1'],
        [1, 'Created', 'wid-2'],
        [2, 'Failed', 'wid-3'],
      ],
    );
    assert.equal(done.results[2]!.error, 'RecordInvalid');
    assert.match(String(done.results[2]!.details), /Email: not-an-email is not properly formatted/);
    const again = (await zd.users.createOrUpdateMany({
      users: [user(1, { name: 'Renamed' })],
    } as never)) as unknown as { result: { job_status: { id: string } } };
    const done2 = await jobResult(again.result.job_status.id);
    assert.equal(done2.results[0]!.status, 'Updated');
    const list = await zd.users.list();
    assert.deepEqual(list.map((u) => [u.external_id, u.name]).sort(), [
      ['wid-1', 'Renamed'],
      ['wid-2', 'Worker 2'],
    ]);
    assert.equal(
      (list.find((u) => u.external_id === 'wid-1') as unknown as { user_fields: Record<string, unknown> })
        .user_fields.worker_id,
      '20001',
    );
  });

  it('refuses more than 100 users per bulk call, and wrong credentials', async () => {
    await assert.rejects(
      zd.users.createOrUpdateMany({ users: Array.from({ length: 101 }, (_, i) => user(i)) } as never),
      (e: { statusCode?: number; message: string }) =>
        /400|TooManyValues/.test(`${e.statusCode} ${e.message}`),
    );
    const bad = client({ username: sim.email, token: 'wrong' });
    await assert.rejects(bad.users.list(), /401|authenticate/i);
    const oauth = client({ token: sim.oauthToken, oauth: true, useOAuth: true });
    assert.deepEqual(await oauth.users.list(), []);
  });

  it('pages a list of 250 users through next_page', async () => {
    for (let i = 0; i < 250; i += 100) {
      const r = (await zd.users.createOrUpdateMany({
        users: Array.from({ length: Math.min(100, 250 - i) }, (_, k) => user(i + k)),
      } as never)) as unknown as { result: { job_status: { id: string } } };
      await jobResult(r.result.job_status.id);
    }
    assert.equal((await zd.users.list()).length, 250);
    const some = await fetch(`${sim.url}/api/v2/users/show_many.json?external_ids=wid-5,wid-7,nope`, {
      headers: { Authorization: `Bearer ${sim.oauthToken}` },
    });
    assert.deepEqual(
      ((await some.json()) as { users: { external_id: string }[] }).users.map((u) => u.external_id),
      ['wid-5', 'wid-7'],
    );
  });

  it('upserts organizations by external_id and users join them through organization_id', async () => {
    const first = (await zd.organizations.createOrUpdate({
      organization: { external_id: 'SUP-1', name: 'Engines' },
    })) as unknown as {
      result: { id: number; name: string };
    };
    const second = (await zd.organizations.createOrUpdate({
      organization: { external_id: 'SUP-1', name: 'Engines & Co' },
    })) as unknown as {
      result: { id: number; name: string };
    };
    assert.equal(second.result.id, first.result.id);
    assert.equal(second.result.name, 'Engines & Co');
    const r = (await zd.users.createOrUpdateMany({
      users: [user(1, { organization_id: first.result.id })],
    } as never)) as unknown as {
      result: { job_status: { id: string } };
    };
    await jobResult(r.result.job_status.id);
    assert.equal(sim.admin.users()[0]!.organization_id, first.result.id);
  });

  it('answers 429 with Retry-After while rate limited, and forgets job results when they expire', async () => {
    sim.admin.setFaults([{ type: 'rateLimit', next: 1, retryAfterSec: 7 }]);
    const res = await fetch(`${sim.url}/api/v2/users.json`, {
      headers: { Authorization: `Bearer ${sim.oauthToken}` },
    });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '7');
    const r = (await zd.users.createOrUpdateMany({ users: [user(1)] } as never)) as unknown as {
      result: { job_status: { id: string } };
    };
    await jobResult(r.result.job_status.id);
    sim.admin.expireJobs();
    await assert.rejects(zd.jobstatuses.show(r.result.job_status.id), /404|not found/i);
    assert.equal(sim.admin.stats().expiredReads, 1);
  });

  it('organization memberships: a user’s organization_id is its default one; create, create_many, make_default, delete', async () => {
    const upsert = async (u: Record<string, unknown>) =>
      ((await zd.users.createOrUpdate({ user: u } as never)) as unknown as { result: { id: number } }).result;
    const org = async (ext: string) =>
      (
        (await zd.organizations.createOrUpdate({
          organization: { external_id: ext, name: `Org ${ext}` },
        } as never)) as unknown as { result: { id: number } }
      ).result.id;
    const [a, b, c] = [await org('A'), await org('B'), await org('C')];
    const u = await upsert(user(1, { organization_id: a }));
    const mine = async () =>
      ((await zd.organizationmemberships.listByUser(u.id)) as unknown as Record<string, unknown>[]).map(
        (m) => [m.organization_id, m.organization_name, m.default],
      );
    const orgOf = async () =>
      ((await zd.users.show(u.id)) as unknown as { result: { organization_id: number | null } }).result
        .organization_id;
    assert.deepEqual(await mine(), [[a, 'Org A', true]]);
    const made = (await zd.organizationmemberships.create({
      user_id: u.id,
      organization_id: b,
    } as never)) as unknown as {
      result: { id: number; default: boolean | null };
    };
    assert.equal(made.result.default, null, 'a second membership is not the default');
    await assert.rejects(
      zd.organizationmemberships.create({ user_id: u.id, organization_id: b } as never),
      /422/,
      'already a member',
    );
    const job = (await zd.organizationmemberships.createMany([
      { user_id: u.id, organization_id: c },
      { user_id: u.id, organization_id: a },
    ] as never)) as unknown as { result: { job_status: { id: string } } };
    const done = await jobResult(job.result.job_status.id);
    assert.equal(done.status, 'completed');
    assert.equal(done.results[0]!.index, 0);
    assert.ok(done.results[0]!.id);
    assert.deepEqual([done.results[1]!.index, done.results[1]!.error], [1, 'DuplicateValue']);
    assert.deepEqual(await mine(), [
      [a, 'Org A', true],
      [b, 'Org B', null],
      [c, 'Org C', null],
    ]);
    // Writing organization_id moves the default membership; the others stay.
    await upsert(user(1, { organization_id: c }));
    assert.deepEqual(await mine(), [
      [c, 'Org C', true],
      [b, 'Org B', null],
    ]);
    assert.equal(await orgOf(), c);
    const inB = (await zd.organizationmemberships.listByOrganization(b)) as unknown as { id: number }[];
    await zd.organizationmemberships.makeDefault(u.id, inB[0]!.id);
    assert.equal(await orgOf(), b);
    await zd.organizationmemberships.delete(inB[0]!.id);
    assert.deepEqual(await mine(), [[c, 'Org C', true]], 'the next membership becomes the default');
    await upsert(user(1, { organization_id: null }));
    assert.deepEqual(await mine(), []);
    assert.equal(await orgOf(), null);
  });
});
