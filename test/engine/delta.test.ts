import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { scopeKey } from '../../src/activities/scope-key';
import type { AuditStore } from '../../src/audit/store';
import { openDb } from '../../src/db/open';
import { type StartOptions, startSync } from '../../src/runs/start';
import type { RequestLogEntry } from '../../src/simulator';
import type { RunSummary } from '../../src/workflows/types';
import type { AsOf } from '../../src/domain/as-of';
import { createHarness, type Harness, PG_URL, sinkRows } from '../helpers/harness';
import { assertSinksHoldSnapshot } from '../helpers/snapshot';

/**
 * Issue 5 acceptance on a real Temporal dev server, PostgreSQL and the simulator with a frozen
 * clock: delta runs, effective-dated changes, change detection and business-first scope.
 *
 * The simulator's tenant is at -08:00 and its clock starts at 10:00 local on 2026-11-20, so the
 * tenant's "today" is the UTC date of (now - 8 h). Every run pins its as-of explicitly from the
 * simulator clock, as a run against a real tenant pins "now".
 */

const WORKERS = 2000;
const TZ_MS = 8 * 3_600_000;
const CLOCK_START = '2026-11-20T18:00:00.000Z';
const DAY_MS = 86_400_000;

const tenantDate = (iso: string) => new Date(Date.parse(iso) - TZ_MS).toISOString().slice(0, 10);
const addDays = (day: string, n: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
/** 10:00 tenant-local on a day, as a UTC moment. */
const tenantMorning = (day: string) => new Date(Date.parse(`${day}T10:00:00Z`) + TZ_MS).toISOString();
const sameMoment = (a: string | undefined, b: string) => a !== undefined && Date.parse(a) === Date.parse(b);

describe('delta runs, effective dating, change detection and scope (issue 5)', { timeout: 900_000 }, () => {
  let h: Harness;
  let audit: AuditStore;
  let lastFull: RunSummary;

  before(async () => {
    h = await createHarness({
      workers: WORKERS,
      simulator: {
        clockFrozen: true,
        clockStart: CLOCK_START,
        faults: { latency: { baseMs: 5, perWorkerMs: 0, jitterMs: 5 } },
      },
    });
    const { deps } = await h.startInProcessWorkers();
    audit = deps.audit;
  });
  after(async () => {
    await h?.close();
  });

  /** The simulator's now, pinned the way a run pins it. */
  function pinNow(): AsOf {
    const entryMoment = h.sim.admin.clock.now();
    return { entryMoment, effectiveDate: tenantDate(entryMoment) };
  }

  /** Runs a sync pinned at the simulator's now; the request log then holds only this run. */
  async function run(opts: Omit<StartOptions, 'asOf'> = {}) {
    h.sim.admin.clock.advance(60_000);
    const asOf = pinNow();
    h.sim.admin.resetStats();
    const { runId, handle } = await startSync(h.client, h.cfg, {
      pageSize: 250,
      concurrency: 4,
      asOf,
      ...opts,
    });
    const summary = await handle.result();
    return { runId, asOf, summary, requests: h.sim.admin.requestLog() };
  }

  async function sql<T extends Record<string, unknown>>(text: string, params: unknown[] = []) {
    const db = await openDb(PG_URL);
    try {
      return (await db.query<T>(text, params)).rows;
    } finally {
      await db.close();
    }
  }

  /** WIDs a run delivered to the postgres sink (every record, changed or not, is audited). */
  async function deliveredWids(runId: string): Promise<Set<string>> {
    const rows = await sql<{ wid: string }>(
      `SELECT DISTINCT wid FROM "${h.schema}".record_events WHERE run_id = $1 AND sink = 'postgres' AND wid <> ''`,
      [runId],
    );
    return new Set(rows.map((r) => r.wid));
  }

  async function updatedAt(): Promise<Map<string, string>> {
    const rows = await sql<{ wid: string; at: string }>(
      `SELECT wid, updated_at::text AS at FROM "${h.schema}".workers`,
    );
    return new Map(rows.map((r) => [r.wid, r.at]));
  }

  const sorted = (s: Iterable<string>) => [...s].sort();

  test('a delta run without a watermark says a full run is needed; with fullIfNoWatermark it runs full', async () => {
    await assert.rejects(run({ mode: 'delta' }), (err: Error) => {
      const chain: string[] = [];
      for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause)
        chain.push(String((e as Error).message));
      assert.match(chain.join(' | '), /needs a completed full run first.*--mode full/);
      return true;
    });
    const { summary } = await run({ mode: 'delta', fullIfNoWatermark: true });
    assert.equal(summary.status, 'COMPLETED');
    assert.equal(summary.mode, 'full', 'the delta run fell back to a full run');
    assert.equal(summary.workersFetched, summary.totalResults);
    await assertSinksHoldSnapshot(h, summary);
    const mark = await audit.getWatermark('acme', 'all');
    assert.ok(mark, 'the full run left a watermark');
    assert.equal(mark.updatedThrough.toISOString(), summary.asOf.entryMoment);
    lastFull = summary;
  });

  test('after churn, a delta run fetches exactly the changed workers and the sinks equal Workday', async () => {
    const changed = h.sim.admin.churn(40);
    h.sim.admin.clock.advance(3_600_000);
    const { runId, asOf, summary, requests } = await run({ mode: 'delta' });
    assert.equal(summary.status, 'COMPLETED');
    assert.equal(summary.mode, 'delta');
    assert.ok(requests.length >= 1);
    for (const r of requests) {
      const windows = r.transactionLog ?? [];
      assert.ok(
        windows.some(
          (w) =>
            sameMoment(w.updatedFrom, lastFull.asOf.entryMoment) &&
            sameMoment(w.updatedThrough, asOf.entryMoment),
        ),
        `Updated_From/Through are the watermark and the pinned moment: ${JSON.stringify(windows)}`,
      );
    }
    assert.equal(summary.totalResults, changed.length, 'Workday answered with the changed workers only');
    assert.equal(summary.workersFetched, changed.length);
    assert.deepEqual(
      sorted(await deliveredWids(runId)),
      sorted(changed),
      'the delta run delivered exactly the churned workers',
    );
    await assertSinksHoldSnapshot(h, summary);
    const mark = await audit.getWatermark('acme', 'all');
    assert.equal(mark?.runId, runId, 'a completed delta run advances the watermark');
  });

  test('change detection: a second full sync after 2% churn writes at most 5% of records', async () => {
    const before = h.sim.admin.workersAsOf(pinNow()).length;
    const n = Math.round(before * 0.02);
    const changed = h.sim.admin.churn(n);
    h.sim.admin.clock.advance(3_600_000);
    const { summary } = await run({ mode: 'full' });
    assert.equal(summary.status, 'COMPLETED');
    const pg = summary.perSink.postgres!;
    const written = pg.inserted + pg.updated;
    const share = written / summary.totalResults;
    console.log(
      `change detection: ${n} changes (${changed.length} workers, ${((100 * n) / before).toFixed(1)}% churn) → ` +
        `postgres wrote ${written} of ${summary.totalResults} records (${(100 * share).toFixed(2)}%: ` +
        `${pg.inserted} inserted, ${pg.updated} updated), skipped ${pg.unchanged} unchanged; ` +
        `files: ${JSON.stringify(summary.perSink.files)}`,
    );
    assert.equal(written + pg.unchanged, summary.totalResults);
    assert.ok(share <= 0.05, `wrote ${(100 * share).toFixed(2)}% of records, more than 5%`);
    assert.ok(written <= changed.length, 'only changed workers were written');
    // The JSONL sink tells changes apart by the hash each record last reached it with.
    const files = summary.perSink.files!;
    assert.equal(files.inserted + files.updated + files.unchanged, summary.totalResults);
    assert.ok(
      files.inserted + files.updated <= 0.05 * summary.totalResults,
      `files: ${JSON.stringify(files)}`,
    );
    assert.equal(files.inserted + files.updated, written, 'both sinks see the same changes');
    await assertSinksHoldSnapshot(h, summary);
    lastFull = summary;
  });

  test('a future-dated hire turns active in the sinks on the first delta run after its hire date, not before', async () => {
    const today = tenantDate(h.sim.admin.clock.now());
    const future = h.sim.admin
      .workersAsOf(pinNow())
      .filter(
        (w) =>
          w.employment && !w.employment.active && !w.employment.terminated && w.employment.hireDate > today,
      )
      .sort((a, b) => (a.employment!.hireDate < b.employment!.hireDate ? -1 : 1));
    assert.ok(future.length > 0, 'the dataset has future-dated hires');
    const hire = future[0];
    const hireDate = hire.employment!.hireDate;
    console.log(`future-dated hire ${hire.workerId}: hire date ${hireDate}, tenant today ${today}`);
    const activeInSink = async () =>
      ((await sinkRows(h.schema)).get(hire.wid)?.record.employment as { active?: boolean } | undefined)
        ?.active;
    assert.equal(await activeInSink(), false, 'the full run stored the hire as not yet active');

    // The day before the hire date (or later today, when the hire is tomorrow): still not active.
    const dayBefore = addDays(hireDate, -1);
    if (dayBefore > today) h.sim.admin.clock.set(tenantMorning(dayBefore), { frozen: true });
    else h.sim.admin.clock.advance(3_600_000);
    const early = await run({ mode: 'delta' });
    assert.equal(early.summary.status, 'COMPLETED');
    assert.equal(early.summary.mode, 'delta');
    assert.ok(!(await deliveredWids(early.runId)).has(hire.wid), 'not fetched before its hire date');
    assert.equal(await activeInSink(), false, 'not active before its hire date');
    await assertSinksHoldSnapshot(h, early.summary);

    // On the hire date: the effective-date window picks up a hire entered long before the watermark.
    h.sim.admin.clock.set(tenantMorning(hireDate), { frozen: true });
    const onDay = await run({ mode: 'delta' });
    assert.equal(onDay.summary.status, 'COMPLETED');
    assert.equal(onDay.summary.mode, 'delta');
    assert.equal(onDay.asOf.effectiveDate, hireDate);
    assert.ok((await deliveredWids(onDay.runId)).has(hire.wid), 'fetched on its hire date');
    assert.equal(await activeInSink(), true, 'active on its hire date');
    for (const r of onDay.requests) {
      assert.ok(
        (r.transactionLog ?? []).some((w) => w.effectiveFrom && w.effectiveThrough && !w.updatedFrom),
        `an Effective_From/Through window without Updated_From was sent: ${JSON.stringify(r.transactionLog)}`,
      );
    }
    assert.ok(onDay.summary.totalResults < WORKERS / 4, 'still a delta, not everyone');
    console.log(
      `delta the day before: ${early.summary.totalResults} workers; on the hire date: ${onDay.summary.totalResults} workers`,
    );
    await assertSinksHoldSnapshot(h, onDay.summary);
  });

  test('scope flags send Workday the matching criteria and sync only the matching workers', async () => {
    // An organization with subordinates: the one whose subtree holds a modest share of the tenant.
    const asOf0 = pinNow();
    const counts = new Map<string, number>();
    for (const w of h.sim.admin.workersAsOf(asOf0)) {
      const org = w.organizations?.supervisoryOrgId ?? '';
      counts.set(org, (counts.get(org) ?? 0) + 1);
    }
    let org = '';
    for (const id of [...counts.keys()].sort()) {
      const sub = h.sim.admin.workersAsOf({
        ...asOf0,
        organizations: [id],
        includeSubordinates: true,
      }).length;
      if (sub >= 100 && sub <= WORKERS / 3 && sub > (counts.get(id) ?? 0)) {
        org = id;
        break;
      }
    }
    assert.ok(org, 'found an organization with subordinates');
    h.sim.admin.churn(60);
    h.sim.admin.clock.advance(60_000);
    const asOf = pinNow();
    const before = await updatedAt();
    h.sim.admin.resetStats();
    const cli = await h.cli([
      'start',
      '--org',
      org,
      '--include-subordinates',
      '--employees-only',
      '--active-only',
      '--as-of',
      asOf.entryMoment,
      '--effective-date',
      asOf.effectiveDate,
      '--page-size',
      '100',
      '--wait',
      '--json',
    ]);
    assert.equal(cli.code, 0, cli.stderr + cli.stdout);
    const summary = JSON.parse(cli.stdout.trim().split('\n').pop()!) as { runId: string; status: string };
    assert.equal(summary.status, 'COMPLETED');
    const requests: RequestLogEntry[] = h.sim.admin.requestLog();
    assert.ok(requests.length >= 2);
    for (const r of requests) {
      assert.deepEqual(
        r.criteria?.organizations.map((o) => o.id),
        [org],
      );
      assert.equal(r.criteria?.includeSubordinates, true);
      assert.equal(r.criteria?.excludeContingent, true);
      assert.equal(r.criteria?.excludeInactive, true);
      assert.equal(r.criteria?.excludeEmployees, false);
      assert.equal(r.references, undefined);
    }
    const expected = h.sim.admin.workersAsOf({
      ...asOf,
      organizations: [org],
      includeSubordinates: true,
      excludeContingent: true,
      excludeInactive: true,
    });
    assert.ok(expected.length > 0);
    const delivered = await deliveredWids(summary.runId);
    assert.deepEqual(sorted(delivered), sorted(expected.map((w) => w.wid)), 'exactly the matching workers');
    const rows = await sinkRows(h.schema);
    for (const w of expected) assert.deepEqual(rows.get(w.wid)?.record, JSON.parse(JSON.stringify(w)));
    assert.equal([...rows.values()].filter((r) => r.removed).length, 0, 'a scoped run never marks removals');
    const afterRun = await updatedAt();
    for (const [wid, at] of afterRun) {
      if (!delivered.has(wid))
        assert.equal(at, before.get(wid), `worker ${wid} outside the scope was touched`);
    }

    // The scope is part of the watermark key: the tenant-wide watermark did not move.
    const scope = {
      organizations: [{ id: org, includeSubordinates: true }],
      excludeContingent: true,
      activeOnly: true,
    };
    const scoped = await audit.getWatermark('acme', scopeKey(scope));
    assert.equal(scoped?.runId, summary.runId, 'the scoped run has its own watermark');
    assert.notEqual((await audit.getWatermark('acme', 'all'))?.runId, summary.runId);

    // A delta of the same scope continues from that watermark and keeps the criteria. Churn until
    // a worker of the scope is terminated today: the active-only delta must bring that news.
    const inScope = new Set(expected.map((w) => w.wid));
    const logStart = h.sim.admin.changeLog().length;
    let terminated: string | undefined;
    for (let i = 0; i < 40 && !terminated; i++) {
      h.sim.admin.churn(30);
      const today = tenantDate(h.sim.admin.clock.now());
      terminated = h.sim.admin
        .changeLog()
        .slice(logStart)
        .find((c) => c.kind === 'termination' && inScope.has(c.wid) && c.effectiveDate <= today)?.wid;
    }
    assert.ok(terminated, 'churn terminated a worker of the scope');
    const delta = await run({ mode: 'delta', scope });
    assert.equal(delta.summary.status, 'COMPLETED');
    assert.equal(delta.summary.mode, 'delta');
    for (const r of delta.requests) {
      assert.ok((r.transactionLog ?? []).some((w) => sameMoment(w.updatedFrom, asOf.entryMoment)));
      assert.deepEqual(
        r.criteria?.organizations.map((o) => o.id),
        [org],
      );
      // Exclude_Inactive_Workers would hide the workers terminated in the window.
      assert.equal(r.criteria?.excludeInactive, false, 'a delta does not exclude inactive workers');
      assert.equal(r.criteria?.excludeContingent, true);
    }
    const expectedDelta = h.sim.admin.workersAsOf({
      ...delta.asOf,
      organizations: [org],
      includeSubordinates: true,
      excludeContingent: true,
      transactionLog: { updatedFrom: asOf.entryMoment, updatedThrough: delta.asOf.entryMoment },
    });
    assert.deepEqual(sorted(await deliveredWids(delta.runId)), sorted(expectedDelta.map((w) => w.wid)));
    assert.ok(expectedDelta.some((w) => w.wid === terminated));
    const hidden = h.sim.admin.workersAsOf({
      ...delta.asOf,
      organizations: [org],
      includeSubordinates: true,
      excludeContingent: true,
      excludeInactive: true,
      transactionLog: { updatedFrom: asOf.entryMoment, updatedThrough: delta.asOf.entryMoment },
    });
    assert.ok(
      !hidden.some((w) => w.wid === terminated),
      'with Exclude_Inactive_Workers the delta would have missed the termination',
    );
    const truthNow = h.sim.admin.workersAsOf(delta.asOf).find((w) => w.wid === terminated)!;
    assert.equal(truthNow.employment?.active, false, 'Workday has the worker inactive');
    const pgRecord = (await sinkRows(h.schema)).get(terminated)?.record;
    assert.deepEqual(pgRecord, JSON.parse(JSON.stringify(truthNow)), 'PostgreSQL has the termination');
    assert.equal((pgRecord?.employment as { active?: boolean } | undefined)?.active, false);
    assert.equal((pgRecord?.employment as { terminated?: boolean } | undefined)?.terminated, true);
    const jsonlRecord = readFileSync(path.join(h.dir, 'jsonl', 'workers.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { wid: string })
      .find((r) => r.wid === terminated);
    assert.deepEqual(jsonlRecord, JSON.parse(JSON.stringify(truthNow)), 'workers.jsonl has the termination');

    // Another scope has no watermark yet.
    await assert.rejects(
      run({ mode: 'delta', scope: { ...scope, organizations: [{ id: org, includeSubordinates: false }] } }),
    );
  });

  test('a scoped re-sync of a few worker ids touches nothing else', async () => {
    const changed = h.sim.admin.churn(40);
    h.sim.admin.clock.advance(60_000);
    const asOf = pinNow();
    const truth = new Map(h.sim.admin.workersAsOf(asOf).map((w) => [w.wid, w]));
    const rows0 = await sinkRows(h.schema);
    // Changed workers whose record really differs now (not only a future-dated change), by id kind.
    const stale = changed.filter((wid) => {
      const row = rows0.get(wid);
      return row && !isDeepStrictEqual(row.record, JSON.parse(JSON.stringify(truth.get(wid))));
    });
    const emp = stale.find((wid) => truth.get(wid)!.workerType === 'Employee');
    const cw = [...truth.values()].find((w) => w.workerType === 'Contingent_Worker')!;
    const untouched = stale.filter((wid) => wid !== emp && wid !== stale[1]);
    assert.ok(emp && stale.length >= 3 && untouched.length >= 1, 'churn left stale rows to pick from');
    const picked = [truth.get(emp)!.workerId, cw.workerId, stale[1]];
    const before = await updatedAt();
    h.sim.admin.resetStats();
    const cli = await h.cli([
      'start',
      '--worker-ids',
      picked.join(','),
      '--as-of',
      asOf.entryMoment,
      '--effective-date',
      asOf.effectiveDate,
      '--wait',
      '--json',
    ]);
    assert.equal(cli.code, 0, cli.stderr + cli.stdout);
    const summary = JSON.parse(cli.stdout.trim().split('\n').pop()!) as {
      runId: string;
      status: string;
      totalResults: number;
    };
    assert.equal(summary.status, 'COMPLETED');
    assert.equal(summary.totalResults, 3);
    const requests = h.sim.admin.requestLog();
    for (const r of requests) {
      assert.equal(r.skipNonExisting, true);
      assert.deepEqual(
        sorted((r.references ?? []).map((x) => `${x.type}:${x.id}`)),
        sorted([
          `Employee_ID:${picked[0]}`,
          `Contingent_Worker_ID:${picked[0]}`,
          `Employee_ID:${picked[1]}`,
          `Contingent_Worker_ID:${picked[1]}`,
          `WID:${picked[2]}`,
        ]),
      );
    }
    const wanted = new Set([emp!, cw.wid, stale[1]]);
    assert.deepEqual(sorted(await deliveredWids(summary.runId)), sorted(wanted));
    const rows = await sinkRows(h.schema);
    for (const wid of wanted)
      assert.deepEqual(rows.get(wid)?.record, JSON.parse(JSON.stringify(truth.get(wid))));
    for (const wid of untouched)
      assert.notDeepEqual(
        rows.get(wid)?.record,
        JSON.parse(JSON.stringify(truth.get(wid))),
        'others stay as they were',
      );
    const afterRun = await updatedAt();
    let touched = 0;
    for (const [wid, at] of afterRun) {
      if (at !== before.get(wid)) {
        touched += 1;
        assert.ok(wanted.has(wid), `worker ${wid} outside the list was touched`);
      }
    }
    assert.ok(touched >= 2, 'the stale listed workers were updated');
    assert.equal([...rows.values()].filter((r) => r.removed).length, 0);
  });

  test('--groups personal updates only the personal section; the sinks keep the others', async () => {
    const full = await run({ mode: 'full' });
    assert.equal(full.summary.status, 'COMPLETED');
    await assertSinksHoldSnapshot(h, full.summary);
    const base = new Map(h.sim.admin.workersAsOf(full.asOf).map((w) => [w.wid, w]));
    const changed = h.sim.admin.churn(60);
    h.sim.admin.clock.advance(60_000);
    const asOf = pinNow();
    h.sim.admin.resetStats();
    const cli = await h.cli([
      'start',
      '--groups',
      'personal',
      '--as-of',
      asOf.entryMoment,
      '--effective-date',
      asOf.effectiveDate,
      '--page-size',
      '250',
      '--wait',
      '--json',
    ]);
    assert.equal(cli.code, 0, cli.stderr + cli.stdout);
    const summary = JSON.parse(cli.stdout.trim().split('\n').pop()!) as RunSummary;
    assert.equal(summary.status, 'COMPLETED');
    const requests = h.sim.admin.requestLog();
    assert.ok(requests.length >= 2);
    for (const r of requests) {
      assert.equal(r.responseGroup?.Include_Personal_Information, true);
      assert.equal(r.responseGroup?.Include_Employment_Information, false);
      assert.equal(r.responseGroup?.Include_Compensation, false);
      assert.equal(r.responseGroup?.Include_Organizations, false);
    }

    // Expected: the personal section (and the reference fields) as of now, the other sections as
    // the last full run stored them; a worker new since then has only what was fetched.
    const truth = h.sim.admin.workersAsOf(asOf);
    const expected = new Map(
      truth.map((w) => {
        const { employment: _e, compensation: _c, organizations: _o, ...fetched } = w;
        const old = base.get(w.wid);
        const merged = old
          ? {
              ...fetched,
              employment: old.employment,
              compensation: old.compensation,
              organizations: old.organizations,
            }
          : fetched;
        return [w.wid, JSON.parse(JSON.stringify(merged)) as Record<string, unknown>];
      }),
    );
    const rows = await sinkRows(h.schema);
    const lines = readFileSync(path.join(h.dir, 'jsonl', 'workers.jsonl'), 'utf8')
      .trim()
      .split('\n');
    const jsonl = new Map(lines.map((l) => JSON.parse(l) as { wid: string }).map((r) => [r.wid, r]));
    let kept = 0;
    for (const [wid, want] of expected) {
      assert.deepEqual(rows.get(wid)?.record, want, `PostgreSQL record of ${wid}`);
      assert.deepEqual(jsonl.get(wid), want, `workers.jsonl record of ${wid}`);
      if (base.has(wid)) {
        kept++;
        // Where the churn left them alone, the sections not fetched still equal Workday's truth.
        if (!changed.includes(wid)) {
          const w = truth.find((t) => t.wid === wid)!;
          assert.deepEqual(rows.get(wid)?.record, JSON.parse(JSON.stringify(w)));
        }
      }
    }
    assert.ok(kept > WORKERS / 2, 'most workers kept their sections');
    assert.equal([...rows.values()].filter((r) => r.removed).length, 0, 'a groups run marks no removals');

    // The content hash is over the merged record: workers the churn did not touch are unchanged.
    const pg = summary.perSink.postgres!;
    assert.ok(
      pg.inserted + pg.updated <= changed.length,
      `wrote ${pg.inserted + pg.updated} records for ${changed.length} changed workers`,
    );

    // Reduced groups are their own watermark: the tenant-wide one did not move.
    assert.equal((await audit.getWatermark('acme', 'all'))?.runId, full.runId);
    const groups = { personal: true, employment: false, compensation: false, organizations: false };
    assert.notEqual(scopeKey({ responseGroups: groups }), 'all');
    assert.equal(
      (await audit.getWatermark('acme', scopeKey({ responseGroups: groups })))?.runId,
      summary.runId,
    );
  });
});
