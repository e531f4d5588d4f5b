import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { createAuditStore } from '../../src/audit/store';
import { openDb } from '../../src/db/open';
import { startSync, type StartOptions } from '../../src/runs/start';
import { progressQuery } from '../../src/workflows/messages';
import type { RunSummary } from '../../src/workflows/types';
import { createHarness, type Harness, PG_URL } from '../helpers/harness';
import { assertSinksHoldSnapshot, until } from '../helpers/snapshot';
import { startWebhookReceiver } from '../helpers/webhook-receiver';

const WORKERS = 3000;
/** Fast retries so failure paths finish in seconds; production defaults are minutes. */
const FAST: StartOptions = {
  pageSize: 100,
  concurrency: 4,
  tuning: {
    workdayInitialIntervalMs: 200,
    workdayMaximumAttempts: 4,
    sinkInitialIntervalMs: 200,
    heartbeatTimeoutMs: 5000,
  },
  recovery: { passes: 1, cooldownSeconds: 1 },
};
const NO_FAULTS = { rules: [], latency: { baseMs: 0, perWorkerMs: 0, jitterMs: 0, slowTailRate: 0 } };

describe('crash and fault tests: real worker processes, Temporal server, PostgreSQL', {
  timeout: 900_000,
}, () => {
  let h: Harness;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let events: Record<string, unknown>[] = [];

  before(async () => {
    receiver = await startWebhookReceiver();
    events = receiver.events;
    const hookUrl = receiver.url;
    const dbDir = path.join(require('node:os').tmpdir(), `wdsync-crash-${process.pid}`);
    h = await createHarness({
      workers: WORKERS,
      dbFile: path.join(dbDir, 'temporal.db'),
      config: { notify: { webhookUrl: hookUrl, deadLetterThreshold: 3 } },
    });
  });
  // A test that failed leaves its worker running, and it would serve the next test's run.
  afterEach(async () => {
    await h?.stopWorkers();
  });
  after(async () => {
    await h?.close();
    receiver?.close();
  });

  const run = async (opts: StartOptions = {}) => startSync(h.client, h.cfg, { ...FAST, ...opts });
  const slowPages = () =>
    h.sim.admin.setFaults({ ...NO_FAULTS, latency: { baseMs: 250, perWorkerMs: 0, jitterMs: 0 } });

  test('1. SIGKILL of the worker mid-run: a new worker finishes and the sinks hold exactly the snapshot', async () => {
    slowPages();
    const w1 = await h.spawnWorker();
    const { handle } = await run();
    await until(async () => (await handle.query(progressQuery)).pagesDone >= 5, 'five pages done');
    w1.kill('SIGKILL');
    h.sim.admin.setFaults(NO_FAULTS);
    const w2 = await h.spawnWorker();
    const summary: RunSummary = await handle.result();
    assert.equal(summary.status, 'COMPLETED');
    assert.equal(summary.workersFetched, WORKERS);
    await assertSinksHoldSnapshot(h, summary);
    await h.stopWorker(w2);
  });

  test('2. the Temporal server stops mid-run and restarts on the same database: same result', async () => {
    slowPages();
    const w = await h.spawnWorker();
    const { handle, runId } = await run();
    await until(async () => (await handle.query(progressQuery)).pagesDone >= 5, 'five pages done');
    await h.restartServer(2000);
    h.sim.admin.setFaults(NO_FAULTS);
    const summary: RunSummary = await handle.result();
    assert.equal(summary.status, 'COMPLETED');
    assert.equal(summary.workersFetched, WORKERS);
    await assertSinksHoldSnapshot(h, summary);
    assert.ok(runId);
    await h.stopWorker(w);
  });

  test('3. 10% Workday faults: exact result, under 1.2 requests per page, never over the concurrency', async () => {
    h.sim.admin.setFaults({
      ...NO_FAULTS,
      rules: [
        { type: 'processing', rate: 0.03 },
        { type: 'throttle', rate: 0.02 },
        { type: 'reset', rate: 0.02 },
        { type: 'truncate', rate: 0.02 },
        { type: 'hang', rate: 0.01 },
      ],
    });
    h.sim.admin.resetStats();
    const w = await h.spawnWorker({ WORKDAY_RESPONSE_TIMEOUT_MS: '3000', WORKDAY_IDLE_TIMEOUT_MS: '3000' });
    // A slow heartbeat is not a Workday fault. On a loaded CI machine the run made 3 requests that
    // no injected fault explains; the likely cause is a 5 s heartbeat timeout retrying attempts
    // still being served, which would count against the bound. The outcomes below tell next time.
    const { handle } = await run({ concurrency: 4, tuning: { ...FAST.tuning, heartbeatTimeoutMs: 20_000 } });
    const summary = await handle.result();
    const stats = h.sim.admin.stats();
    h.sim.admin.setFaults(NO_FAULTS);
    assert.equal(summary.status, 'COMPLETED');
    await assertSinksHoldSnapshot(h, summary);
    const pages = summary.pagesTotal;
    console.log(
      `faults: ${stats.faultsInjected} injected over ${stats.requests} Workday requests for ${pages} pages ` +
        `(${(stats.requests / pages).toFixed(2)} per page), maxInFlight ${stats.maxInFlight} at concurrency 4; outcomes ${JSON.stringify(stats.byOutcome)}`,
    );
    assert.ok(stats.faultsInjected > 0, 'faults were injected');
    // Pages asked more than once, with the simulator's outcome of each request: an extra request
    // with no fault behind it (a client timeout shows as client_aborted) is what this bound catches.
    const repeated = Object.entries(stats.byPage).filter(
      ([, o]) => Object.values(o).reduce((a, b) => a + b, 0) > 1,
    );
    assert.ok(
      stats.requests <= pages * 1.2 + 1,
      `${stats.requests} Workday requests for ${pages} pages; outcomes ${JSON.stringify(stats.byOutcome)}, faults ${JSON.stringify(stats.faultsByType)}, pages asked again ${JSON.stringify(Object.fromEntries(repeated))}`,
    );
    assert.ok(stats.maxInFlight <= 4, `maxInFlight ${stats.maxInFlight} exceeded concurrency 4`);
    await h.stopWorker(w);
  });

  test('4. PostgreSQL connections terminated mid-run: same result', async () => {
    slowPages();
    // Its own application_name, so only this worker's connections are dropped, not those of other
    // test files running beside this one.
    const app = `wdsync-crash-${process.pid}`;
    const w = await h.spawnWorker({ PGAPPNAME: app });
    const { handle } = await run();
    await until(async () => (await handle.query(progressQuery)).pagesDone >= 3, 'three pages done');
    const db = await openDb(PG_URL);
    const killed = await db.query<{ n: string }>(
      `SELECT count(pg_terminate_backend(pid))::text AS n FROM pg_stat_activity
       WHERE application_name = $1 AND pid <> pg_backend_pid() AND datname = current_database()`,
      [app],
    );
    await db.close();
    assert.ok(Number(killed.rows[0]!.n) > 0, 'backends were terminated');
    h.sim.admin.setFaults(NO_FAULTS);
    const summary = await handle.result();
    assert.equal(summary.status, 'COMPLETED');
    await assertSinksHoldSnapshot(h, summary);
    await h.stopWorker(w);
  });

  test('5/8. a page that always fails ends COMPLETED_WITH_FAILURES naming it; the webhook hears of it', async () => {
    h.sim.admin.setFaults({ ...NO_FAULTS, rules: [{ type: 'processing', pages: [7] }] });
    events.length = 0;
    const w = await h.spawnWorker();
    const { handle, runId } = await run();
    const summary = await handle.result();
    h.sim.admin.setFaults(NO_FAULTS);
    assert.equal(summary.status, 'COMPLETED_WITH_FAILURES');
    assert.deepEqual(summary.failedPages, [7]);
    assert.equal(summary.reconciliation.ok, true, 'delivered + failed accounts for every worker');
    await until(() => events.some((e) => e.type === 'run.completed_with_failures'), 'the run webhook');
    const pageEvent = events.find((e) => e.type === 'page.failed' && e.page === 7);
    assert.ok(pageEvent, 'page.failed event for page 7');
    assert.equal(pageEvent.runId, runId);
    assert.match(String(pageEvent.error), /Workday/i);
    assert.equal(pageEvent.command, `wdsync replay ${runId} --pages 7`);
    const runEvent = events.find((e) => e.type === 'run.completed_with_failures')!;
    assert.equal(runEvent.command, `wdsync replay ${runId} --failed`);
    await h.stopWorker(w);
  });

  test('6/8. invalid records land in dead letters with reasons; the rest of their page is delivered', async () => {
    h.sim.admin.setFaults({ ...NO_FAULTS, rules: [{ type: 'dirtyRecords', pages: [2], records: 3 }] });
    events.length = 0;
    const w = await h.spawnWorker();
    const { handle, runId } = await run();
    const summary = await handle.result();
    h.sim.admin.setFaults(NO_FAULTS);
    assert.equal(summary.status, 'COMPLETED', 'dirty records never fail their page');
    assert.equal(summary.deadLettered, 3);
    assert.equal(summary.reconciliation.ok, true);
    // WDSYNC_DEAD_LETTER_THRESHOLD is 3 here: reaching it raises exactly one event.
    await until(() => events.some((e) => e.type === 'dead_letters.threshold'), 'the dead-letter webhook');
    const dlEvents = events.filter((e) => e.type === 'dead_letters.threshold');
    assert.equal(dlEvents.length, 1);
    assert.equal(dlEvents[0]!.runId, runId);
    assert.equal(dlEvents[0]!.page, 2);
    assert.equal(dlEvents[0]!.command, `wdsync dead-letters list --run ${runId}`);
    const db = await openDb(PG_URL);
    try {
      const audit = createAuditStore(db, h.schema);
      const letters = await audit.listDeadLetters({ runId });
      assert.equal(letters.length, 3);
      for (const l of letters) {
        assert.equal(l.page, 2);
        assert.match(l.reason, /WID/);
        assert.match((await audit.getDeadLetter(l.id))!.fragment, /DIRTY-NOT-A-WID/);
      }
      const delivered = await db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM "${h.schema}".record_events WHERE run_id = $1 AND page = 2 AND sink = 'postgres'`,
        [runId],
      );
      assert.equal(Number(delivered.rows[0]!.n), 97, 'the other 97 workers of page 2 reached PostgreSQL');
    } finally {
      await db.close();
    }
    await h.stopWorker(w);
  });

  test('7. wrong credentials: the run fails at once with a clear message and no retry against Workday', async () => {
    h.sim.admin.resetStats();
    const w = await h.spawnWorker({ WORKDAY_PASSWORD: 'not-the-password' });
    const { handle } = await run();
    await assert.rejects(handle.result(), (err: Error) => {
      let cur = err as Error & { cause?: Error };
      while (cur.cause) cur = cur.cause as typeof cur;
      assert.match(cur.message, /invalid username or password/i);
      return true;
    });
    assert.equal(h.sim.admin.stats().requests, 1, 'exactly one Workday request, never retried');
    await h.stopWorker(w);
  });
});
