import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startReplay } from '../../src/replay/start';
import { type StartOptions, startSync } from '../../src/runs/start';
import { progressQuery } from '../../src/workflows/messages';
import type { RunSummary } from '../../src/workflows/types';
import { openDb } from '../../src/db/open';
import { createHarness, type Harness, PG_URL, resultWhileAlive } from '../helpers/harness';
import {
  assertValidEvents,
  countByKey,
  readCommitted,
  startTestBroker,
  type TestBroker,
} from '../helpers/kafka';
import { assertSinksHoldSnapshot, until } from '../helpers/snapshot';

const WORKERS = 1000;
const SINKS = ['ev1', 'ev2', 'ev3', 'ev4'] as const;
const topicOf = (sink: string) => `wd.${sink}`;
const FAST: StartOptions = {
  pageSize: 100,
  concurrency: 3,
  tuning: {
    workdayInitialIntervalMs: 200,
    workdayMaximumAttempts: 4,
    sinkInitialIntervalMs: 200,
    sinkMaximumAttempts: 30,
    heartbeatTimeoutMs: 5000,
  },
  recovery: { passes: 1, cooldownSeconds: 1 },
};
const NO_FAULTS = { rules: [], latency: { baseMs: 0, perWorkerMs: 0, jitterMs: 0, slowTailRate: 0 } };

/**
 * Exactly once for read_committed consumers, shown with real processes: a real Kafka broker, real
 * `wdsync worker` processes SIGKILLed at chosen points of a page's transaction, and an
 * independent consumer (kcat on librdkafka) counting events per WID.
 */
describe('Kafka event sink: crashes between produce, commit and completion; broker restart; sink down', {
  timeout: 900_000,
}, () => {
  let h: Harness;
  let kafka: TestBroker;

  before(async () => {
    kafka = await startTestBroker();
    await kafka.createTopics(...SINKS.flatMap((s) => [topicOf(s), `${topicOf(s)}.wdsync-delivered`]));
    h = await createHarness({
      workers: WORKERS,
      config: {
        sinks: [
          { name: 'postgres', type: 'postgres' },
          ...SINKS.map((name) => ({ name, type: 'kafka', brokers: [kafka.bootstrap], topic: topicOf(name) })),
        ],
      },
    });
  });
  after(async () => {
    await h?.close();
    await kafka?.close();
  });

  const sinksEnv = () =>
    ['postgres', ...SINKS.map((s) => `${s}=kafka:${kafka.bootstrap}/${topicOf(s)}`)].join(',');
  const worker = (extra: Record<string, string> = {}) =>
    h.spawnWorker({ WDSYNC_SINKS: sinksEnv(), ...extra });
  const run = (sink: string, opts: StartOptions = {}) =>
    startSync(h.client, h.cfg, { ...FAST, sinks: ['postgres', sink], ...opts });
  const slowPages = () =>
    h.sim.admin.setFaults({ ...NO_FAULTS, latency: { baseMs: 300, perWorkerMs: 0, jitterMs: 0 } });

  /** The armed worker must reach its crash point: a run that ends first was served by another. */
  async function crashedFirst(exited: Promise<unknown>, result: Promise<unknown>) {
    const first = await Promise.race([
      exited.then(() => 'crashed'),
      result.then(
        () => 'run ended',
        () => 'run ended',
      ),
    ]);
    assert.equal(first, 'crashed', 'the worker armed to crash took the page (no other worker may serve it)');
  }

  /** The summary's status, with the failures spelled out when it is not the one expected. */
  async function assertStatus(summary: RunSummary, status: RunSummary['status']) {
    if (summary.status === status) return;
    const pages = await h.cli(['audit', 'run', summary.runId, '--json']);
    assert.fail(
      `run ${summary.status}, expected ${status}: ${JSON.stringify(summary.sinkFailures)} ${pages.stdout.slice(0, 3000)} ${pages.stderr}`,
    );
  }

  /** Every worker of the snapshot exactly once on the topic, every event valid against the schema. */
  async function assertExactlyOnce(sink: string, summary: RunSummary) {
    const events = await readCommitted(kafka.bootstrap, topicOf(sink));
    assertValidEvents(events);
    const counts = countByKey(events);
    const expected = h.sim.admin.workersAsOf(summary.asOf);
    if (counts.size !== expected.length) assert.fail(await whyMissing(sink, summary, counts));
    for (const w of expected)
      assert.equal(counts.get(w.wid), 1, `${sink}: worker ${w.wid} seen ${counts.get(w.wid)} times`);
    assert.equal(events.length, expected.length, `${sink}: no duplicate event`);
    return events;
  }

  /**
   * Which pages' events a read_committed consumer missed, and whether they are on the log at all
   * (an aborted or still-open transaction) and in the sink's ledger: enough to tell a lost page
   * from a transaction left open.
   */
  async function whyMissing(sink: string, summary: RunSummary, counts: Map<string, number>) {
    const expected = h.sim.admin.workersAsOf(summary.asOf);
    const missing = expected.filter((w) => !counts.has(w.wid)).map((w) => w.wid);
    const raw = countByKey(await readCommitted(kafka.bootstrap, topicOf(sink), 'read_uncommitted'));
    const markers = await readCommitted(
      kafka.bootstrap,
      `${topicOf(sink)}.wdsync-delivered`,
      'read_uncommitted',
    );
    const db = await openDb(PG_URL);
    const ledger = await db
      .query(
        `SELECT page, status, marker_offset, started_at, delivered_at FROM "${h.schema}".event_sink_ledger WHERE sink = $1 ORDER BY page`,
        [sink],
      )
      .catch((e) => ({ rows: [String(e)] }))
      .finally(() => db.close());
    return [
      `${sink}: ${counts.size} of ${expected.length} WIDs read committed; ${missing.length} missing`,
      `missing (first 5): ${missing.slice(0, 5).join(' ')}; ${missing.filter((w) => raw.has(w)).length} of them on the log uncommitted`,
      `markers on the log: ${markers.map((m) => `${m.key}(${(m.value as { events?: number }).events})`).join(' ')}`,
      `ledger: ${JSON.stringify(ledger.rows)}`,
    ].join('\n');
  }

  test('SIGKILL between produce and commit: the open transaction is aborted, the retry sends the page once', async () => {
    const w1 = await worker({ WDSYNC_TEST_KAFKA_CRASH: 'produced:3' });
    const exited = new Promise((r) => w1.once('exit', r));
    const { handle } = await run('ev1');
    await crashedFirst(exited, handle.result());
    const w2 = await worker();
    const summary: RunSummary = await resultWhileAlive(handle.result(), w2);
    await assertStatus(summary, 'COMPLETED');
    await assertExactlyOnce('ev1', summary);
    await assertSinksHoldSnapshot(h, summary, { jsonl: false });
    await h.stopWorker(w2);
  });

  test('SIGKILL between commit and activity completion: the retry finds the marker and sends nothing again', async () => {
    const w1 = await worker({ WDSYNC_TEST_KAFKA_CRASH: 'committed:4' });
    const exited = new Promise((r) => w1.once('exit', r));
    const { handle } = await run('ev2');
    await crashedFirst(exited, handle.result());
    const w2 = await worker();
    const summary: RunSummary = await resultWhileAlive(handle.result(), w2);
    await assertStatus(summary, 'COMPLETED');
    await assertExactlyOnce('ev2', summary);
    await h.stopWorker(w2);
  });

  test('the broker is killed and restarted mid-run: every worker once', async () => {
    slowPages();
    const w = await worker();
    const { handle } = await run('ev3');
    const result = resultWhileAlive(handle.result(), w);
    await until(async () => (await handle.query(progressQuery)).pagesDone >= 3, 'three pages done');
    await kafka.restart(true, 1500);
    h.sim.admin.setFaults(NO_FAULTS);
    const summary: RunSummary = await result;
    await assertStatus(summary, 'COMPLETED');
    await assertExactlyOnce('ev3', summary);
    await h.stopWorker(w);
  });

  test('a broker that is down fails only the event sink; replay --failed then sends each event once, a second replay nothing', async () => {
    const w = await worker();
    await kafka.broker.stop();
    const { handle, runId } = await run('ev4', {
      tuning: { ...FAST.tuning, sinkMaximumAttempts: 2 },
      recovery: { passes: 0, cooldownSeconds: 1 },
    });
    const summary: RunSummary = await resultWhileAlive(handle.result(), w);
    assert.equal(summary.status, 'COMPLETED_WITH_FAILURES');
    assert.equal(summary.sinkFailures.ev4?.length, WORKERS / 100, 'every page failed on the event sink');
    assert.equal(summary.sinkFailures.postgres?.length ?? 0, 0, 'postgres is not held up by the event sink');
    await assertSinksHoldSnapshot(h, summary, { jsonl: false });

    await kafka.restart(false, 0);
    const replay = await startReplay(h.client, h.cfg, { runId, target: { failed: true }, sinks: ['ev4'] });
    const r1 = await resultWhileAlive(replay.handle.result(), w);
    assert.equal(r1.status, 'COMPLETED');
    const first = await assertExactlyOnce('ev4', summary);

    const again = await startReplay(h.client, h.cfg, { runId, target: { pages: [1, 2] }, sinks: ['ev4'] });
    assert.equal((await resultWhileAlive(again.handle.result(), w)).status, 'COMPLETED');
    const second = await readCommitted(kafka.bootstrap, topicOf('ev4'));
    assert.equal(second.length, first.length, 'a replay of delivered pages sends nothing');
    await h.stopWorker(w);
  });
});
