import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { buildRunInput, runStartOptions, type StartOptions, startSync } from '../../src/runs/start';
import { LAST_NAMES } from '../../src/simulator/catalog';
import { pauseSignal, progressQuery, resumeSignal } from '../../src/workflows/messages';
import type { syncRun } from '../../src/workflows/sync-run';
import type { AsOf } from '../../src/domain/as-of';
import type { RunSummary } from '../../src/workflows/types';
import { createHarness, type Harness, sinkRows } from '../helpers/harness';
import { assertSinksHoldSnapshot, until } from '../helpers/snapshot';

/**
 * Issue 19 on a real Temporal dev server, PostgreSQL and the simulator (frozen clock): two runs of
 * one tenant overlap, and the older snapshot must not replace what the newer one delivered or
 * confirmed unchanged. Pause and resume force the order, so it is the same every time:
 *   R0 full writes X; X's name changes; run A pins its snapshot and is paused before X's page;
 *   X's name changes back; run B (full or delta) delivers X's page (X unchanged); A resumes.
 */

const WORKERS = 300;
const TZ_MS = 8 * 3_600_000;
const tenantDate = (iso: string) => new Date(Date.parse(iso) - TZ_MS).toISOString().slice(0, 10);

describe('overlapping runs of one tenant (issue 19)', { timeout: 600_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await createHarness({
      workers: WORKERS,
      simulator: {
        clockFrozen: true,
        clockStart: '2026-11-20T18:00:00.000Z',
        faults: { latency: { baseMs: 5, perWorkerMs: 0, jitterMs: 5 } },
      },
    });
    await h.startInProcessWorkers();
  });
  after(async () => {
    await h?.close();
  });

  function pinNow(): AsOf {
    h.sim.admin.clock.advance(60_000);
    const entryMoment = h.sim.admin.clock.now();
    return { entryMoment, effectiveDate: tenantDate(entryMoment) };
  }

  async function run(opts: Omit<StartOptions, 'asOf'> = {}): Promise<RunSummary> {
    const { handle } = await startSync(h.client, h.cfg, {
      pageSize: 100,
      concurrency: 2,
      asOf: pinNow(),
      ...opts,
    });
    return handle.result();
  }

  /** A run started paused (the pause is its first event), pinned at the simulator's now. */
  async function startPaused(opts: Omit<StartOptions, 'asOf'>): Promise<WorkflowHandle<typeof syncRun>> {
    const input = buildRunInput(h.cfg, { asOf: pinNow(), ...opts });
    const handle = await h.client.workflow.signalWithStart<typeof syncRun, []>('syncRun', {
      ...runStartOptions(input),
      signal: pauseSignal,
      signalArgs: [],
    });
    await until(async () => (await handle.query(progressQuery)).pagesTotal > 0, `${input.runId} planned`);
    return handle;
  }

  const lastName = (wid: string, asOf: AsOf) =>
    h.sim.admin.workersAsOf(asOf).find((w) => w.wid === wid)?.personal?.legalName?.last;

  /** X: the 151st worker, on page 2 of a 100-worker page and on page 1 of a 200-worker page. */
  function pickX(asOf: AsOf) {
    const x = h.sim.admin.workersAsOf(asOf)[150];
    const original = lastName(x.wid, asOf);
    assert.ok(original, 'X has a last name');
    const other = LAST_NAMES.find((n) => n !== original)!;
    return { wid: x.wid, original, other };
  }

  async function storedLastName(wid: string) {
    const row = (await sinkRows(h.schema)).get(wid);
    return (row?.record as { personal?: { legalName?: { last?: string } } })?.personal?.legalName?.last;
  }

  function jsonlLastName(wid: string) {
    const file = path.join(h.dir, 'jsonl', 'workers.jsonl');
    for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
      const r = JSON.parse(line) as { wid: string; personal?: { legalName?: { last?: string } } };
      if (r.wid === wid) return r.personal?.legalName?.last;
    }
    return undefined;
  }

  async function interleave(mode: 'full' | 'delta', holdB: boolean) {
    const r0 = await run({ mode: 'full' });
    assert.equal(r0.status, 'COMPLETED');
    const x = pickX(r0.asOf);

    h.sim.admin.rename({ wid: x.wid, lastName: x.other });
    // A: older snapshot (X renamed), paused before any page, so before X's page 2.
    const a = await startPaused({ mode: 'full', pageSize: 100, concurrency: 1 });
    const aAsOf = (await a.query(progressQuery)).asOf;
    assert.equal(lastName(x.wid, aAsOf), x.other, "A's snapshot holds X renamed");

    h.sim.admin.rename({ wid: x.wid, lastName: x.original });
    let b: WorkflowHandle<typeof syncRun>;
    if (holdB) {
      // A full B is held after X's page (its page 1 of 2) and before its finalize: a finalized
      // full snapshot would hide the bug behind the table-wide marker.
      b = await startPaused({ mode, pageSize: 200, concurrency: 1 });
      h.sim.admin.setFaults({ latency: { baseMs: 3000, jitterMs: 0 } });
      await b.signal(resumeSignal);
      await until(async () => (await b.query(progressQuery)).pagesInFlight === 1, 'B page 1 in flight');
      await b.signal(pauseSignal);
      await until(async () => {
        const p = await b.query(progressQuery);
        return p.pagesDone === 1 && p.pagesInFlight === 0;
      }, 'B page 1 delivered');
      h.sim.admin.setFaults({ latency: { baseMs: 5, jitterMs: 5 } });
      const p = await b.query(progressQuery);
      assert.equal(p.pagesDone, 1, 'B stopped after its page 1 (which holds X)');
      assert.ok(p.pagesTotal > 1, 'B has a page left, so it has not finalized');
    } else {
      const started = await startSync(h.client, h.cfg, {
        mode,
        pageSize: 200,
        concurrency: 1,
        asOf: pinNow(),
      });
      b = started.handle;
      const bs = await b.result();
      assert.equal(bs.status, 'COMPLETED');
      assert.equal(bs.mode, mode);
    }
    assert.equal(await storedLastName(x.wid), x.original, 'before A resumes, the sink holds the newest name');

    await a.signal(resumeSignal);
    const as = await a.result();
    assert.equal(as.status, 'COMPLETED');
    if (holdB) {
      await b.signal(resumeSignal);
      assert.equal((await b.result()).status, 'COMPLETED');
    }
    const bSummary = await b.result();

    assert.equal(
      await storedLastName(x.wid),
      x.original,
      `PostgreSQL: A's older snapshot replaced X (${x.wid}) after B (${bSummary.mode}) confirmed it unchanged`,
    );
    assert.equal(jsonlLastName(x.wid), x.original, 'JSONL: the snapshot file holds the newest name');
    // Every worker as the newest snapshot has it (B's; nothing changed after it).
    await assertSinksHoldSnapshot(h, bSummary);
  }

  test('a delta run B confirms X unchanged; the older paused run A cannot replace it', async () => {
    await interleave('delta', false);
  });

  test('a full run B (held before its finalize) confirms X unchanged; A cannot replace it', async () => {
    await interleave('full', true);
  });

  test('a replay of an older run follows the rule: it cannot replace what a newer delta confirmed', async () => {
    const r0 = await run({ mode: 'full' });
    const x = pickX(r0.asOf);
    h.sim.admin.rename({ wid: x.wid, lastName: x.other });
    // A delivers only to the JSONL sink, so its pages are new to PostgreSQL when replayed.
    const a = await run({ mode: 'full', sinks: ['files'] });
    assert.equal(lastName(x.wid, a.asOf), x.other);
    h.sim.admin.rename({ wid: x.wid, lastName: x.original });
    const b = await run({ mode: 'delta' });
    assert.equal(b.status, 'COMPLETED');
    assert.equal(await storedLastName(x.wid), x.original);

    const replay = await h.cli(['replay', a.runId, '--pages', '1-3', '--sink', 'postgres', '--wait']);
    assert.equal(replay.code, 0, replay.stderr);
    assert.equal(
      await storedLastName(x.wid),
      x.original,
      `the replay of the older run ${a.runId} replaced X (${x.wid})`,
    );
    await assertSinksHoldSnapshot(h, b);
  });

  test('wdsync start refuses a second run of the same tenant and scope; --allow-overlap starts it', async () => {
    const a = await startPaused({ mode: 'full', pageSize: 100, concurrency: 1 });
    const runId = a.workflowId;
    const refused = await h.cli(['start', '--mode', 'delta']);
    assert.equal(refused.code, 1, refused.stderr);
    const lines = refused.stderr.trim().split('\n');
    assert.equal(lines.length, 1, refused.stderr);
    assert.match(lines[0], new RegExp(`run ${runId} \\(Paused\\)`));
    assert.match(lines[0], new RegExp(`wdsync status ${runId}`));
    assert.match(lines[0], /--allow-overlap/);
    assert.equal(refused.stdout, '');

    // Another scope of the same tenant is not an overlap.
    const one = h.sim.admin.workersAsOf((await a.query(progressQuery)).asOf)[0].wid;
    const scoped = await h.cli(['start', '--worker-ids', one]);
    assert.equal(scoped.code, 0, scoped.stderr);
    const allowed = await h.cli(['start', '--allow-overlap']);
    assert.equal(allowed.code, 0, allowed.stderr);
    const started = /started run (\S+)/.exec(allowed.stdout)?.[1];
    assert.ok(started, allowed.stdout);
    // Re-using the running run's own id still attaches to it.
    const attached = await h.cli(['start', '--run-id', runId]);
    assert.equal(attached.code, 0, attached.stderr);
    assert.match(attached.stdout, /attached to running run/);

    await a.signal(resumeSignal);
    await a.result();
    await h.client.workflow.getHandle(started).result();
    const after = await h.cli(['start', '--wait']);
    assert.equal(after.code, 0, `no run is running any more: ${after.stderr}`);
  });
});
