// Issue 15 acceptance under faults, for each business target: 3,000 workers into Zendesk, Dataverse
// and Salesforce (configured from the environment alone, as a real worker process reads it) while
// each answers about 10% of requests with 429s, 500s, failed jobs, row locks or revoked tokens, and
// the worker is SIGKILLed mid-run; a second worker finishes the run. Then the Workday simulator
// churns (hires, terminations, rehires, name, title and pay changes) and a delta runs under the
// same faults, its worker SIGKILLed mid-delta too. After each run every target, read back through
// the vendor's own client library (node-zendesk, dynamics-web-api, jsforce), holds exactly the
// in-scope workers with the values the mapping gives for Workday's truth, each created once; the
// delta wrote exactly the changed workers: nothing lost, nothing doubled.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Connection } from 'jsforce';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import { loadMapping, type MappedRecord, type Mapping } from '../../src/mapping/mapping-file';
import { type StartOptions, startSync } from '../../src/runs/start';
import { type DataverseSimulatorHandle, startDataverseSimulator } from '../../src/targets/dynamics/simulator';
import {
  type SalesforceSimulatorHandle,
  startSalesforceSimulator,
} from '../../src/targets/salesforce/simulator';
import { type ZendeskSimulatorHandle, startZendeskSimulator } from '../../src/targets/zendesk/simulator';
import { progressQuery } from '../../src/workflows/messages';
import type { RunProgress, RunSummary } from '../../src/workflows/types';
import { dataverseClient, zendeskClient } from '../helpers/targets';
import { createHarness, type Harness, resultWhileAlive, sinkRows } from '../helpers/harness';
import { mustWrite } from '../helpers/mapped-run';
import { assertManagersLinked, assertTouchedExactly } from '../helpers/salesforce';
import { until } from '../helpers/snapshot';

const WORKERS = 3000;
/** Changes the churn applies before the delta: about 15% hires, 10% terminations, 5% rehires. */
const CHURN = 300;
const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');
const ZD = path.join(EXAMPLES, 'zendesk-user.json');
const DV = path.join(EXAMPLES, 'dynamics-contact.json');
const SF = path.join(EXAMPLES, 'salesforce-contact.json');
const FAST: StartOptions = {
  pageSize: 100,
  concurrency: 4,
  tuning: {
    workdayInitialIntervalMs: 200,
    sinkInitialIntervalMs: 200,
    sinkMaximumAttempts: 12,
    heartbeatTimeoutMs: 5000,
  },
};
/** The delta's few hundred workers in small pages, so the SIGKILL lands with pages still to go. */
const DELTA: StartOptions = { ...FAST, mode: 'delta', pageSize: 25 };

const ZD_FAULTS = [
  { type: 'rateLimit' as const, rate: 0.05, retryAfterSec: 1 },
  { type: 'serverError' as const, rate: 0.03 },
  { type: 'jobFailed' as const, rate: 0.05 },
];
const DV_FAULTS = [
  { type: 'throttle' as const, rate: 0.05, retryAfterSec: 1 },
  { type: 'serverError' as const, rate: 0.03 },
  { type: 'expireToken' as const, rate: 0.02 },
];
const SF_FAULTS = [
  { type: 'lock' as const, rate: 0.04 },
  { type: 'expireToken' as const, rate: 0.03 },
  { type: 'serverError' as const, rate: 0.03 },
];

type Rec = Record<string, unknown>;
type Truth = Map<string, { record: NormalizedWorker; m: MappedRecord }>;

/** One business target as the assertions see it: its mapping and what it holds, by match key. */
interface Target {
  sink: string;
  mapping: Mapping;
  /** Every record the target holds, read with the vendor's client library, faults off. */
  read(): Promise<Map<string, Rec>>;
  /** A mapping field's value (`user_fields.x`, `organization.name`, ...) as the record holds it. */
  field(r: Rec, f: string): unknown;
}

const doubled = (keys: string[]) => {
  const seen = new Map<string, number>();
  for (const k of keys) seen.set(k, (seen.get(k) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([k]) => k);
};

describe('Zendesk, Dataverse and Salesforce under 10% faults and a worker SIGKILL: full sync, then a delta after churn (issue 15)', {
  timeout: 900_000,
}, () => {
  let h: Harness;
  let zd: ZendeskSimulatorHandle;
  let dv: DataverseSimulatorHandle;
  let sf: SalesforceSimulatorHandle;
  let env: Record<string, string>;
  let targets: { zd: Target; dv: Target; sf: Target };

  before(async () => {
    zd = await startZendeskSimulator({ port: 0, seed: 3 });
    dv = await startDataverseSimulator({ port: 0, seed: 5 });
    sf = await startSalesforceSimulator({ port: 0, seed: 14 });
    h = await createHarness({
      workers: WORKERS,
      config: {
        sinks: [
          { name: 'postgres', type: 'postgres' },
          { name: 'desk', type: 'zendesk', mapping: ZD },
          { name: 'dataverse', type: 'dynamics', mapping: DV },
          { name: 'crm', type: 'salesforce', mapping: SF },
        ],
      },
    });
    env = {
      WDSYNC_SINKS: `postgres,desk=zendesk:${ZD},dataverse=dynamics:${DV},crm=salesforce:${SF}`,
      ...zd.env,
      ...dv.env,
      SALESFORCE_LOGIN_URL: sf.loginUrl,
      SALESFORCE_CLIENT_ID: sf.clientId,
      SALESFORCE_CLIENT_SECRET: sf.clientSecret,
    };

    const zendesk = zendeskClient(zd);
    const dataverse = dataverseClient(dv);
    const salesforce = new Connection({
      oauth2: { loginUrl: sf.loginUrl, clientId: sf.clientId, clientSecret: sf.clientSecret },
      version: '62.0',
    });
    await salesforce.authorize({ grant_type: 'client_credentials' });

    // The test's own reads are not under test: each runs with its target's faults off.
    const unfaulted = async <T>(
      sim: { admin: { faults(): unknown; setFaults(r: unknown): unknown } },
      fn: () => Promise<T>,
    ) => {
      const rules = sim.admin.faults();
      sim.admin.setFaults([]);
      try {
        return await fn();
      } finally {
        sim.admin.setFaults(rules);
      }
    };
    const byKey = (list: Rec[], key: string, what: string) => {
      const m = new Map(list.map((r) => [String(r[key]), r]));
      assert.equal(m.size, list.length, `${what}: one record per Workday ID, nothing doubled`);
      return m;
    };
    const zdMapping = loadMapping(ZD, 'zendesk');
    const dvMapping = loadMapping(DV, 'dynamics');
    const sfMapping = loadMapping(SF);
    const columns = (m: Mapping) => [
      ...new Set([
        ...Object.keys(m.file.fields),
        ...Object.keys(m.file.onCreate),
        ...Object.keys(m.file.deactivate),
      ]),
    ];
    targets = {
      zd: {
        sink: 'desk',
        mapping: zdMapping,
        read: () =>
          unfaulted(zd, async () => {
            const orgs = new Map(
              ((await zendesk.organizations.list()) as unknown as Rec[]).map((o) => [o.id as number, o]),
            );
            const users = (await zendesk.users.list()) as unknown as Rec[];
            for (const u of users) u.organization = orgs.get(u.organization_id as number) ?? null;
            return byKey(users, 'external_id', 'Zendesk users');
          }),
        field(u, f) {
          if (f.startsWith('organization.'))
            return (u.organization as Rec | null)?.[f.slice('organization.'.length)] ?? null;
          if (f.startsWith('user_fields.')) return (u.user_fields as Rec)[f.slice('user_fields.'.length)];
          return u[f];
        },
      },
      dv: {
        sink: 'dataverse',
        mapping: dvMapping,
        read: () =>
          unfaulted(dv, async () => {
            const r = await dataverse.retrieveAll<Rec>({
              collection: 'contacts',
              select: ['wd_workdayid', ...columns(dvMapping)],
            });
            return byKey(r.value, 'wd_workdayid', 'Dataverse contacts');
          }),
        field: (c, f) => c[f],
      },
      sf: {
        sink: 'crm',
        mapping: sfMapping,
        read: () =>
          unfaulted(sf, async () => {
            const fields = columns(sfMapping).filter((f) => f !== 'Workday_ID__c');
            const res = await salesforce
              .query<Rec>(
                `SELECT Workday_ID__c, LastModifiedDate, ReportsTo.Workday_ID__c, ${fields.join(', ')} FROM Contact`,
              )
              .run({ autoFetch: true, maxFetch: 100_000 });
            const held = byKey(res.records, 'Workday_ID__c', 'Salesforce Contacts');
            assert.equal((await salesforce.query('SELECT COUNT() FROM Contact')).totalSize, held.size);
            return held;
          }),
        field: (c, f) => c[f],
      },
    };
  });
  after(async () => {
    await h?.close();
    await zd?.close();
    await dv?.close();
    await sf?.close();
  });

  /** Workday's truth as of a run's pinned moment, each record as a sink receives it (JSON). */
  const snapshot = (summary: RunSummary): NormalizedWorker[] =>
    JSON.parse(JSON.stringify(h.sim.admin.workersAsOf(summary.asOf)));

  /**
   * What a target's mapping makes of each worker of a snapshot; a worker whose record equals the
   * one in `earlier` keeps its mapped record from there (mapping 3,000 workers takes seconds).
   */
  async function truthOf(records: NormalizedWorker[], mapping: Mapping, earlier?: Truth): Promise<Truth> {
    const out: Truth = new Map();
    for (const record of records) {
      const was = earlier?.get(record.wid);
      const same = was && JSON.stringify(was.record) === JSON.stringify(record);
      out.set(record.wid, { record, m: same ? was.m : await mapping.map(record) });
    }
    return out;
  }

  const inScope = (truth: Truth) =>
    [...truth].filter(([, w]) => w.m.inScope && !w.m.terminated).map(([wid]) => wid);

  function assertValues(t: Target, r: Rec, values: Record<string, unknown>, what: string): void {
    for (const [f, v] of Object.entries(values)) assert.deepEqual(t.field(r, f), v, `${t.sink} ${what}.${f}`);
  }

  /** Kills the run's worker once `ready` holds mid-run, starts another; the progress at the kill. */
  async function killMidRun(
    handle: Awaited<ReturnType<typeof startSync>>['handle'],
    worker: ChildProcess,
    ready: (p: RunProgress) => boolean,
  ): Promise<{ atKill: RunProgress; next: ChildProcess }> {
    let atKill: RunProgress | undefined;
    await until(async () => {
      const p = await handle.query(progressQuery);
      if (!ready(p)) return false;
      atKill = p;
      return true;
    }, 'the run under way');
    worker.kill('SIGKILL');
    return { atKill: atKill!, next: await h.spawnWorker(env) };
  }

  let survivor: ChildProcess;
  let full: { summary: RunSummary; held: Map<string, Map<string, Rec>>; truth: Map<string, Truth> };

  test('a full sync survives the faults and the crash with exactly the in-scope workers, mapped, in each', async (t) => {
    h.sim.admin.setFaults({
      rules: [],
      latency: { baseMs: 100, perWorkerMs: 0, jitterMs: 0, slowTailRate: 0 },
    });
    zd.admin.setFaults(ZD_FAULTS);
    dv.admin.setFaults(DV_FAULTS);
    sf.admin.setFaults(SF_FAULTS);
    const t0 = Date.now();
    const w1 = await h.spawnWorker(env);
    const t1 = Date.now();
    const { handle } = await startSync(h.client, h.cfg, FAST);
    const { next } = await killMidRun(handle, w1, (p) => p.pagesDone >= 5);
    survivor = next;
    const t2 = Date.now();
    const summary = await resultWhileAlive(handle.result(), survivor);
    t.diagnostic(
      `spawn ${t1 - t0} ms, to 5 pages and a new worker ${t2 - t1} ms, to the end ${Date.now() - t2} ms`,
    );
    const t3 = Date.now();
    assert.equal(summary.status, 'COMPLETED', JSON.stringify(summary));
    assert.equal(summary.workersFetched, WORKERS);
    assert.equal((await sinkRows(h.schema)).size, WORKERS);
    const records = snapshot(summary);
    assert.equal(records.length, WORKERS);
    full = { summary, held: new Map(), truth: new Map() };
    for (const target of Object.values(targets)) {
      const truth = await truthOf(records, target.mapping);
      const held = await target.read();
      const want = inScope(truth);
      assert.deepEqual([...held.keys()].sort(), want.sort(), `${target.sink}: exactly the in-scope workers`);
      for (const wid of want) {
        const { m } = truth.get(wid)!;
        assertValues(target, held.get(wid)!, { ...m.values, ...m.createOnly }, wid);
      }
      full.held.set(target.sink, held);
      full.truth.set(target.sink, truth);
    }
    assertManagersLinked(full.held.get('crm')!);

    const zdCreated = zd.admin
      .writes()
      .filter((w) => w.action === 'created')
      .map((w) => w.external_id!);
    assert.deepEqual(doubled(zdCreated), [], 'no Zendesk user created twice');
    assert.equal(zdCreated.length, full.held.get('desk')!.size);
    const dvCreated = dv.admin
      .writes()
      .filter((w) => w.action === 'created')
      .map((w) => String(w.key));
    assert.deepEqual(doubled(dvCreated), [], 'no Dataverse contact created twice');
    assert.equal(dvCreated.length, full.held.get('dataverse')!.size);
    const ss = sf.admin.stats();
    assert.equal(ss.created, full.held.get('crm')!.size, 'each Salesforce Contact created once');

    const zs = zd.admin.stats();
    const ds = dv.admin.stats();
    const sfFaults =
      (ss.recordFailures.UNABLE_TO_LOCK_ROW ?? 0) +
      (ss.requestErrors.SERVER_UNAVAILABLE ?? 0) +
      (ss.requestErrors.INVALID_SESSION_ID ?? 0);
    assert.ok(zs.rateLimited > 0 && ds.throttled['0x80072322']! > 0 && sfFaults > 0, 'faults happened');
    t.diagnostic(
      `${WORKERS} workers: Zendesk ${full.held.get('desk')!.size} users (${zs.rateLimited} 429s, ${zs.jobs} jobs), ` +
        `Dataverse ${full.held.get('dataverse')!.size} contacts (${ds.throttled['0x80072322']} 429s, ${ds.requests} requests), ` +
        `Salesforce ${full.held.get('crm')!.size} contacts (${sfFaults} faults, ${ss.requests} requests); ` +
        `checks ${Date.now() - t3} ms`,
    );
  });

  test('a delta after churn, SIGKILLed mid-delta, writes exactly the changed workers to each target', async (t) => {
    assert.ok(full, 'the full sync is the baseline');
    const logStart = h.sim.admin.changeLog().length;
    const churned = new Set(h.sim.admin.churn(CHURN));
    const kinds: Record<string, number> = {};
    for (const c of h.sim.admin.changeLog().slice(logStart)) kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
    const zdMark = zd.admin.writes().length;
    const dvMark = dv.admin.writes().length;
    const sfBefore = sf.admin.stats();
    const zsBefore = zd.admin.stats();
    const dsBefore = dv.admin.stats();
    // The same faults again. Each simulator's fault pattern restarts from its seed whenever its
    // rules are set (the reads above set them too), and from the start Dataverse's 5% throttle
    // happens not to fire in a delta's few dozen requests: two certain throttles make sure it
    // meets some.
    zd.admin.setFaults(ZD_FAULTS);
    dv.admin.setFaults([{ type: 'throttle', next: 2, retryAfterSec: 1 }, ...DV_FAULTS]);
    sf.admin.setFaults(SF_FAULTS);
    // Slower Workday pages keep the delta going long enough to be killed with pages still to go.
    h.sim.admin.setFaults({
      rules: [],
      latency: { baseMs: 300, perWorkerMs: 0, jitterMs: 0, slowTailRate: 0 },
    });

    const t0 = Date.now();
    const { handle } = await startSync(h.client, h.cfg, DELTA);
    // Killed once a page reached the targets and while more are to come.
    const { atKill, next } = await killMidRun(handle, survivor, (p) => p.pagesDone >= 2);
    survivor = next;
    const t1 = Date.now();
    assert.equal(atKill.mode, 'delta');
    assert.ok(
      atKill.pagesDone < atKill.pagesTotal,
      `killed mid-delta: ${atKill.pagesDone} of ${atKill.pagesTotal} pages done`,
    );
    const summary = await resultWhileAlive(handle.result(), survivor);
    t.diagnostic(
      `delta killed at ${atKill.pagesDone}/${atKill.pagesTotal} pages after ${t1 - t0} ms, finished ${Date.now() - t1} ms later`,
    );
    const t2 = Date.now();
    assert.equal(summary.status, 'COMPLETED', JSON.stringify(summary));
    assert.equal(summary.mode, 'delta');
    assert.ok(summary.totalResults < WORKERS / 4, `a delta, not everyone: ${summary.totalResults}`);
    const records = snapshot(summary);

    const report: string[] = [];
    for (const target of Object.values(targets)) {
      const held1 = full.held.get(target.sink)!;
      const truth1 = full.truth.get(target.sink)!;
      const truth2 = await truthOf(records, target.mapping, truth1);
      const held2 = await target.read();
      // Changed in Workday and in scope, or terminated while the target holds them.
      const expected = mustWrite(truth1, truth2, held1, churned);
      const created = [...expected].filter((wid) => !held1.has(wid));
      const deactivated = [...expected].filter((wid) => truth2.get(wid)!.m.terminated);
      const updated = expected.size - created.length - deactivated.length;
      assert.ok(
        created.length > 0 && deactivated.length > 0 && updated > 0,
        `${target.sink}: the churn brought creates (${created.length}), deactivations (${deactivated.length}) and updates (${updated})`,
      );

      // Exactly the in-scope workers, plus the leavers the target held, now deactivated.
      const stay = [...truth2].filter(([wid, w]) => (w.m.inScope && !w.m.terminated) || held1.has(wid));
      assert.deepEqual(
        [...held2.keys()].sort(),
        stay.map(([wid]) => wid).sort(),
        `${target.sink}: who is there`,
      );
      for (const [wid, { m }] of stay) {
        const r = held2.get(wid)!;
        if (m.inScope && !m.terminated)
          assertValues(target, r, { ...m.values, ...(held1.has(wid) ? {} : m.createOnly) }, wid);
        else if (m.terminated) assertValues(target, r, m.deactivate, `${wid} (terminated)`);
        else
          for (const f of Object.keys(target.mapping.file.fields))
            assert.deepEqual(
              target.field(r, f),
              target.field(held1.get(wid)!, f),
              `${target.sink} ${wid}.${f} untouched`,
            );
      }
      report.push(
        `${target.sink}: ${expected.size} changed (${created.length} created, ${updated} updated, ${deactivated.length} deactivated)`,
      );

      // Written: exactly the changed ones (a page the SIGKILL cut short is sent again, so a write
      // may repeat), each created once.
      if (target.sink === 'crm') {
        assertTouchedExactly(held1, held2, expected);
        assertManagersLinked(held2);
        assert.equal(
          sf.admin.stats().created - sfBefore.created,
          created.length,
          'each new Contact created once',
        );
        const d = summary.destructive?.crm;
        assert.equal(
          d?.decision,
          'applied',
          `the deactivations stay under the breaker: ${JSON.stringify(d)}`,
        );
        assert.equal(d?.applied, deactivated.length);
        continue;
      }
      const log =
        target.sink === 'desk'
          ? zd.admin.writes().map((w) => ({ key: w.external_id!, action: w.action }))
          : dv.admin.writes().map((w) => ({ key: String(w.key), action: w.action }));
      const since = log.slice(target.sink === 'desk' ? zdMark : dvMark);
      assert.deepEqual(
        [...new Set(since.map((w) => w.key))].sort(),
        [...expected].sort(),
        `${target.sink}: written`,
      );
      assert.deepEqual(
        since
          .filter((w) => w.action === 'created')
          .map((w) => w.key)
          .sort(),
        created.sort(),
        `${target.sink}: the new ones created`,
      );
      assert.deepEqual(
        doubled(log.filter((w) => w.action === 'created').map((w) => w.key)),
        [],
        `${target.sink}: none created twice`,
      );
      report[report.length - 1] += `, ${since.length} writes`;
    }

    const zs = zd.admin.stats();
    const ds = dv.admin.stats();
    const ss = sf.admin.stats();
    // What the simulators count of the faults they injected: Zendesk's and Dataverse's 429s,
    // Salesforce's row locks, 503s and expired sessions.
    const faults = {
      zendesk: zs.rateLimited - zsBefore.rateLimited,
      dataverse: (ds.throttled['0x80072322'] ?? 0) - (dsBefore.throttled['0x80072322'] ?? 0),
      salesforce:
        (ss.recordFailures.UNABLE_TO_LOCK_ROW ?? 0) -
        (sfBefore.recordFailures.UNABLE_TO_LOCK_ROW ?? 0) +
        (ss.requestErrors.SERVER_UNAVAILABLE ?? 0) -
        (sfBefore.requestErrors.SERVER_UNAVAILABLE ?? 0) +
        (ss.requestErrors.INVALID_SESSION_ID ?? 0) -
        (sfBefore.requestErrors.INVALID_SESSION_ID ?? 0),
    };
    for (const [target, n] of Object.entries(faults)) assert.ok(n > 0, `the delta met ${target} faults`);
    t.diagnostic(
      `churn ${JSON.stringify(kinds)} on ${churned.size} workers; delta of ${summary.totalResults}; faults met ${JSON.stringify(faults)}; checks ${Date.now() - t2} ms`,
    );
    for (const line of report) t.diagnostic(line);
    await h.stopWorker(survivor);
  });
});
