import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig, parseSinksEnv } from '../../src/config/config';
import type { Db } from '../../src/db/types';
import {
  type CrashPoint,
  createKafkaEventSink,
  type KafkaEventSinkOptions,
} from '../../src/sinks/kafka-events';
import type { Sink } from '../../src/sinks/types';
import {
  assertValidEvents,
  countByKey,
  readCommitted,
  SASL_USER,
  startTestBroker,
  type TestBroker,
} from '../helpers/kafka';
import { dropSchema, openTestDb, randomSchema, worker, workers } from '../storage/helpers';

const ASOF1 = '2026-11-01T08:00:00.000Z';
const ASOF2 = '2026-11-02T08:00:00.000Z';

describe('Kafka event sink on a real broker', { timeout: 300_000 }, () => {
  let kafka: TestBroker;
  let db: Db;
  const schema = randomSchema('kafka');
  const sinks: Sink[] = [];

  before(async () => {
    kafka = await startTestBroker();
    db = await openTestDb('postgres');
  });
  after(async () => {
    for (const s of sinks) await s.close();
    await dropSchema(db, schema).catch(() => {});
    await db?.close();
    await kafka?.close();
  });

  async function sink(topic: string, extra: Partial<KafkaEventSinkOptions> = {}) {
    await kafka.createTopics(topic, `${topic}.wdsync-delivered`);
    const s = createKafkaEventSink({
      name: 'events',
      db,
      schema,
      tenant: 'acme',
      connection: { brokers: [kafka.bootstrap], clientId: 'test' },
      topic,
      payload: 'both',
      ...extra,
    });
    await s.init();
    sinks.push(s);
    return s;
  }
  const ctx = (runId: string, page: number, asOfEntry = ASOF1) => ({
    key: { runId, page },
    sourceRunId: runId,
    asOfEntry,
    asOfEffective: asOfEntry.slice(0, 10),
  });

  test('a full run: one created event per worker, valid CloudEvents, key = WID, ce_* headers; a re-delivery sends nothing', async () => {
    const s = await sink('wd.full');
    for (let p = 1; p <= 3; p++) {
      const r = await s.deliverPage(ctx('run-1', p), workers((p - 1) * 100 + 1, p * 100));
      assert.equal(r.inserted, 100);
      assert.equal(r.alreadyDelivered, false);
    }
    const again = await s.deliverPage(ctx('run-1', 2), workers(101, 200));
    assert.equal(again.alreadyDelivered, true);
    assert.equal(again.previousOutcomes?.length, 100);
    const events = await readCommitted(kafka.bootstrap, 'wd.full');
    assert.equal(events.length, 300);
    assertValidEvents(events);
    assert.deepEqual([...new Set(countByKey(events).values())], [1]);
    for (const e of events) {
      const v = e.value as {
        id: string;
        type: string;
        subject: string;
        source: string;
        time: string;
        data: Record<string, unknown>;
      };
      assert.equal(v.type, 'com.wdsync.worker.created');
      assert.equal(e.key, v.subject);
      assert.equal(e.headers.ce_id, v.id);
      assert.equal(e.headers.ce_type, v.type);
      assert.equal(e.headers.ce_specversion, '1.0');
      assert.equal(v.source, 'wdsync/acme');
      assert.equal(v.time, ASOF1);
      assert.equal(v.data.effectiveDate, '2026-11-01');
      assert.equal(v.data.previousHash, null);
      assert.ok(Array.isArray(v.data.changes) && (v.data.changes as unknown[]).length > 0);
      assert.ok(v.data.record);
    }
  });

  test('the next run: only changed workers get events, typed and diffed against what this sink delivered', async () => {
    const s = await sink('wd.delta', { name: 'delta', payload: 'diff' });
    await s.deliverPage(ctx('run-a', 1), workers(1, 50));
    const next = workers(1, 50);
    next[0] = worker(1, 2); // title change
    next[1] = worker(2, 1, {
      employment: {
        ...worker(2).employment!,
        terminated: true,
        active: false,
        terminationDate: '2026-11-01',
      },
    });
    const r = await s.deliverPage(ctx('run-b', 1, ASOF2), next);
    assert.deepEqual([r.inserted, r.updated, r.unchanged], [0, 2, 48]);
    const events = (await readCommitted(kafka.bootstrap, 'wd.delta')).slice(50);
    assertValidEvents(events);
    assert.equal(events.length, 2);
    const byWid = new Map(
      events.map((e) => [
        e.key,
        e.value as { type: string; data: { changes: unknown[]; record?: unknown; previousHash: string } },
      ]),
    );
    const updated = byWid.get(worker(1).wid)!;
    assert.equal(updated.type, 'com.wdsync.worker.updated');
    assert.deepEqual(updated.data.changes, [
      { path: 'employment.businessTitle', from: 'Engineer v1', to: 'Engineer v2' },
    ]);
    assert.equal(updated.data.record, undefined, 'payload diff carries no record');
    assert.match(updated.data.previousHash, /^[0-9a-f]{64}$/);
    const terminated = byWid.get(worker(2).wid)!;
    assert.equal(terminated.type, 'com.wdsync.worker.terminated');
    assert.deepEqual(
      new Set((terminated.data.changes as { path: string }[]).map((c) => c.path)),
      new Set(['employment.active', 'employment.terminated', 'employment.terminationDate']),
    );
    // Rehire, then a complete full run without worker 3: rehired and removed events.
    const back = workers(1, 50).filter((w) => w.wid !== worker(3).wid);
    back[0] = worker(1, 2);
    await s.deliverPage(ctx('run-c', 1, '2026-11-03T08:00:00.000Z'), back);
    const fin = await s.finalizeRun!({
      runId: 'run-c',
      mode: 'full',
      pages: { through: 1 },
      complete: true,
      asOfEntry: '2026-11-03T08:00:00.000Z',
    });
    assert.equal(fin.removed, 1);
    const tail = (await readCommitted(kafka.bootstrap, 'wd.delta')).slice(52);
    assertValidEvents(tail);
    assert.deepEqual(
      tail.map((e) => [(e.value as { type: string }).type, e.key]),
      [
        ['com.wdsync.worker.rehired', worker(2).wid],
        ['com.wdsync.worker.removed', worker(3).wid],
      ],
    );
  });

  test('an older snapshot never publishes after a newer one confirmed the worker unchanged (issue 19)', async () => {
    const s = await sink('wd.order', { name: 'order', payload: 'diff' });
    // R0 delivers X; run A pins a snapshot (ASOF2) where X changed, but delivers late; run B, at a
    // later snapshot, sees X back as R0 had it and confirms it unchanged.
    await s.deliverPage(ctx('r0', 1), workers(1, 10));
    const b = await s.deliverPage(ctx('run-b', 1, '2026-11-03T08:00:00.000Z'), workers(1, 10));
    assert.equal(b.unchanged, 10);
    const stale = workers(1, 10);
    stale[0] = worker(1, 2);
    const a = await s.deliverPage(ctx('run-a', 1, ASOF2), stale);
    assert.equal(a.updated, 0, 'the older snapshot writes nothing');
    const events = await readCommitted(kafka.bootstrap, 'wd.order');
    assert.equal(events.length, 10, 'only R0 created events: none from the older run A');
  });

  test('a retried page whose first attempt was aborted sends its events, while another page’s transaction is still open', async () => {
    // Both first attempts die after producing (their transactions stay open, as a killed worker's
    // do). Page 1 is retried while page 2's transaction is open: that holds the marker topic's
    // last stable offset below page 1's abort marker, so the fetch that looks for page 1's marker
    // returns the aborted marker without the abort. Taken for committed, page 1 would be lost.
    let dying = true;
    const crashPoint = (point: CrashPoint) => {
      if (dying && point === 'produced') throw new Error('crashed after produce');
    };
    const s = await sink('wd.open-tx', { name: 'open-tx', crashPoint });
    await assert.rejects(s.deliverPage(ctx('run-o', 1), workers(1, 50)), /crashed after produce/);
    await assert.rejects(s.deliverPage(ctx('run-o', 2), workers(51, 100)), /crashed after produce/);
    dying = false;
    const p1 = await s.deliverPage(ctx('run-o', 1), workers(1, 50));
    assert.equal(p1.alreadyDelivered, false, 'the aborted first attempt is not taken for a delivery');
    assert.equal(p1.inserted, 50);
    const p2 = await s.deliverPage(ctx('run-o', 2), workers(51, 100));
    assert.equal(p2.inserted, 50);
    // A page that dies twice: the broker lists both aborted attempts of the one producer.
    dying = true;
    await assert.rejects(s.deliverPage(ctx('run-o', 3), workers(101, 150)), /crashed after produce/);
    await assert.rejects(s.deliverPage(ctx('run-o', 3), workers(101, 150)), /crashed after produce/);
    dying = false;
    const p3 = await s.deliverPage(ctx('run-o', 3), workers(101, 150));
    assert.equal(p3.alreadyDelivered, false, 'neither aborted attempt is taken for a delivery');
    const counts = countByKey(await readCommitted(kafka.bootstrap, 'wd.open-tx'));
    assert.equal(counts.size, 150, 'every worker of the three pages is on the topic');
    assert.deepEqual([...new Set(counts.values())], [1], 'each once');
  });

  test('a retried page that committed is not sent again, while an older transaction is still open', async () => {
    // Page 1 dies after producing: its transaction stays open, ahead of everything after it on
    // the marker topic. Page 2 commits and dies before the database learns of it. Page 2's retry
    // must find its committed marker, which read_committed cannot see until page 1's transaction
    // is decided (here by the coordinator's transaction timeout, as no retry of page 1 fences it).
    const dying = new Set(['produced:1', 'committed:2']);
    const crashPoint = (point: CrashPoint, page: number) => {
      if (dying.has(`${point}:${page}`)) throw new Error(`crashed at ${point}`);
    };
    const s = await sink('wd.lso', { name: 'lso', crashPoint });
    await assert.rejects(s.deliverPage(ctx('run-l', 1), workers(1, 50)), /crashed at produced/);
    await assert.rejects(s.deliverPage(ctx('run-l', 2), workers(51, 100)), /crashed at committed/);
    dying.clear();
    const p2 = await s.deliverPage(ctx('run-l', 2), workers(51, 100));
    assert.equal(p2.alreadyDelivered, true, 'the committed first attempt is found');
    assert.equal(p2.previousOutcomes?.length, 50);
    const p1 = await s.deliverPage(ctx('run-l', 1), workers(1, 50));
    assert.equal(p1.inserted, 50);
    const counts = countByKey(await readCommitted(kafka.bootstrap, 'wd.lso'));
    assert.equal(counts.size, 100);
    assert.deepEqual([...new Set(counts.values())], [1], 'each worker once: page 2 was not sent twice');
  });

  test('event ids are deterministic: the same change delivered anew carries the same id', async () => {
    const a = await sink('wd.ids-a', { name: 'ids-a' });
    const b = await sink('wd.ids-b', { name: 'ids-b' });
    await a.deliverPage(ctx('run-x', 1), workers(1, 20));
    await b.deliverPage(ctx('run-y', 7), workers(1, 20));
    const ids = async (t: string) =>
      (await readCommitted(kafka.bootstrap, t)).map((e) => (e.value as { id: string }).id);
    assert.deepEqual(await ids('wd.ids-a'), await ids('wd.ids-b'));
  });

  test('bad input: unreachable broker, unknown topic with auto-create off, wrong SASL credentials, malformed spec: one line each', async () => {
    const bad = (extra: Partial<KafkaEventSinkOptions>) =>
      createKafkaEventSink({
        name: 'events',
        db,
        schema,
        tenant: 'acme',
        connection: { brokers: [kafka.bootstrap], clientId: 'test' },
        topic: 'wd.full',
        payload: 'both',
        ...extra,
      }).deliverPage(ctx('run-bad', 1), workers(1, 1));
    await assert.rejects(bad({ connection: { brokers: ['127.0.0.1:1'], clientId: 'test' } }), (e: Error) => {
      assert.match(e.message, /^sink events: cannot reach Kafka at 127\.0\.0\.1:1; start a broker/);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
    await assert.rejects(
      bad({ topic: 'wd.nosuch' }),
      /^ConfigError|sink events: topic wd\.nosuch does not exist on .* create it/,
    );
    await assert.rejects(
      bad({
        connection: {
          brokers: [kafka.saslBootstrap],
          clientId: 'test',
          sasl: { mechanism: 'PLAIN', username: SASL_USER.username, password: 'wrong' },
        },
      }),
      /sink events: Kafka at .* refused the SASL credentials \(PLAIN user wdsync\); fix kafka\.sasl/,
    );
    await bad({
      connection: {
        brokers: [kafka.saslBootstrap],
        clientId: 'test',
        sasl: { mechanism: 'PLAIN', ...SASL_USER },
      },
    });
    assert.throws(
      () => parseSinksEnv('postgres,events=kafka:localhost/wd.workers'),
      /^ConfigError: WDSYNC_SINKS: malformed kafka sink "events=kafka:localhost\/wd\.workers"; use name=kafka:<host:port,...>\/<topic>/,
    );
    assert.throws(() => loadConfig({ WDSYNC_SINKS: 'events=kafka:h:9092' }), /malformed kafka sink/);
    assert.throws(() => loadConfig({ WDSYNC_EVENTS_KAFKA: 'h:9092' }), /WDSYNC_EVENTS_KAFKA: malformed/);
    const cfg = loadConfig({ WDSYNC_SINKS: 'postgres,events=kafka:h1:9092,h2:9093/wd.workers?payload=full' });
    assert.deepEqual(cfg.sinks[1], {
      name: 'events',
      type: 'kafka',
      brokers: ['h1:9092', 'h2:9093'],
      topic: 'wd.workers',
      payload: 'full',
    });
  });
});
