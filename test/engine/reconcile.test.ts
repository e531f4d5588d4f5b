import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openDb } from '../../src/db/open';
import { createHarness, type Harness, PG_URL, sinkRows } from '../helpers/harness';
import { readCommitted, startTestBroker, type TestBroker } from '../helpers/kafka';
import { assertSinksHoldSnapshot, runPinned, until } from '../helpers/snapshot';
import { startWebhookReceiver } from '../helpers/webhook-receiver';

/**
 * Issue 16 item 4: some Workday changes never reach the transaction log, so deltas drift. A
 * reconcile is a full run that repairs the drift and says, per sink, what the deltas had missed,
 * in its summary, on the webhook and as a Kafka operational event.
 */

const TOPIC = 'wd.ops.reconcile';

describe('scheduled reconcile: what the deltas missed, per sink (issue 16)', { timeout: 300_000 }, () => {
  let h: Harness;
  let kafka: TestBroker;
  let hook: Awaited<ReturnType<typeof startWebhookReceiver>>;

  before(async () => {
    kafka = await startTestBroker();
    await kafka.createTopics(TOPIC);
    hook = await startWebhookReceiver();
    h = await createHarness({
      workers: 300,
      simulator: {
        clockFrozen: true,
        clockStart: '2026-11-20T18:00:00.000Z',
        faults: { latency: { baseMs: 2, perWorkerMs: 0, jitterMs: 2 } },
      },
      config: { notify: { webhookUrl: hook.url, kafka: { brokers: [kafka.bootstrap], topic: TOPIC } } },
    });
    await h.startInProcessWorkers();
  });
  after(async () => {
    await h?.close();
    hook?.close();
    await kafka?.close();
  });

  const run = async (opts: Parameters<typeof runPinned>[1]) => {
    const summary = await runPinned(h, opts);
    return { runId: summary.runId, summary };
  };

  const homeEmail = async (wid: string) =>
    ((await sinkRows(h.schema)).get(wid)?.record as { personal?: { homeEmail?: string } } | undefined)
      ?.personal?.homeEmail;

  test('deltas miss a change the transaction log never saw; the reconcile reports it per sink and repairs it', async () => {
    const full = await run({ mode: 'full' });
    assert.equal(full.summary.status, 'COMPLETED');
    assert.equal(full.summary.drift, undefined, 'a plain full run reports no drift');

    h.sim.admin.clock.advance(600_000);
    const logged = new Set(h.sim.admin.churn(10));
    const silent = h.sim.admin.silentChurn(6);
    const missed = silent.filter((w) => !logged.has(w));
    assert.ok(missed.length >= 4, 'most silent changes hit workers with no logged change');
    const before = new Map<string, string | undefined>();
    for (const w of missed) before.set(w, await homeEmail(w));

    h.sim.admin.clock.advance(600_000);
    const delta = await run({ mode: 'delta' });
    assert.equal(delta.summary.status, 'COMPLETED');
    assert.equal(delta.summary.totalResults, logged.size, 'the delta fetched only logged changes');
    const truth = new Map(h.sim.admin.workersAsOf(delta.summary.asOf).map((w) => [w.wid, w]));
    for (const w of missed) {
      assert.equal(await homeEmail(w), before.get(w), `the delta left ${w} as it was`);
      assert.notEqual(truth.get(w)?.personal?.homeEmail, before.get(w), 'while Workday holds a new address');
    }

    // The database drifted on its own too: a row lost (restored from an old backup, say) and a
    // row for a worker Workday never had.
    const db = await openDb(PG_URL);
    const lost = [...(await sinkRows(h.schema)).keys()].find((w) => !silent.includes(w) && !logged.has(w))!;
    try {
      // One statement (the pool may hand each query another connection): the lost row comes back
      // under a WID Workday never had.
      const t = `"${h.schema}".workers`;
      await db.query(
        `WITH gone AS (DELETE FROM ${t} WHERE wid = $1 RETURNING *)
         INSERT INTO ${t} SELECT (jsonb_populate_record(NULL::${t}, to_jsonb(g) || jsonb_build_object('wid', $2::text))).* FROM gone g`,
        [lost, 'f'.repeat(32)],
      );
    } finally {
      await db.close();
    }

    h.sim.admin.clock.advance(600_000);
    const rec = await run({ mode: 'full', reconcile: true });
    assert.equal(rec.summary.status, 'COMPLETED');
    const files = { added: 0, changed: missed.length, removed: 0 };
    const postgres = { added: 1, changed: missed.length, removed: 1 };
    assert.deepEqual(rec.summary.drift, {
      perSink: { postgres, files },
      total: 2 * missed.length + 2,
    });
    await assertSinksHoldSnapshot(h, rec.summary);

    // The webhook and the Kafka topic name the same counts.
    await until(() => hook.events.some((e) => e.type === 'run.reconciled'), 'the run.reconciled webhook');
    const posted = hook.events.find((e) => e.type === 'run.reconciled') as {
      runId: string;
      command: string;
      details: { drift: unknown; total: number };
    };
    assert.equal(posted.runId, rec.runId);
    assert.equal(posted.command, `wdsync status ${rec.runId}`);
    assert.deepEqual(posted.details.drift, rec.summary.drift!.perSink);
    assert.equal(posted.details.total, 2 * missed.length + 2);
    const events = await readCommitted(kafka.bootstrap, TOPIC);
    const ce = events
      .map((e) => e.value as { type: string; subject: string; data: { details: { drift: unknown } } })
      .find((v) => v.type === 'com.wdsync.run.reconciled');
    assert.ok(
      ce,
      `a com.wdsync.run.reconciled event among ${events.map((e) => (e.value as { type: string }).type)}`,
    );
    assert.equal(ce.subject, rec.runId);
    assert.deepEqual(ce.data.details.drift, rec.summary.drift!.perSink);

    // Nothing left to repair: the next reconcile finds no drift.
    h.sim.admin.clock.advance(600_000);
    const again = await run({ mode: 'full', reconcile: true });
    assert.deepEqual(again.summary.drift?.total, 0);
  });

  test('CLI: --reconcile is a full run; schedules take it with --every 7d, and a termination look-ahead', async () => {
    const bad = await h.cli(['start', '--reconcile', '--mode', 'delta']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--reconcile is a full run: drop --mode delta/);
    assert.equal(bad.stderr.trim().split('\n').length, 1, 'one line');

    const badWindow = await h.cli(['start', '--termination-lookahead', '3w']);
    assert.equal(badWindow.code, 1);
    assert.match(badWindow.stderr, /--termination-lookahead takes a duration like 24h, 90m or 2d/);
    assert.equal(badWindow.stderr.trim().split('\n').length, 1, 'one line');

    const made = await h.cli([
      'schedule',
      'create',
      'weekly-reconcile',
      '--reconcile',
      '--every',
      '7d',
      '--termination-lookahead',
      '24h',
    ]);
    assert.equal(made.code, 0, made.stderr);
    const d = await h.client.schedule.getHandle('weekly-reconcile').describe();
    assert.equal(d.action.type, 'startWorkflow');
    const input = (
      d.action.args as readonly { mode: string; reconcile?: boolean; terminationLookaheadMs?: number }[]
    )[0];
    assert.equal(input.terminationLookaheadMs, 86_400_000);
    assert.equal(input.mode, 'full');
    assert.equal(input.reconcile, true);
    assert.deepEqual(
      d.spec.intervals?.map((i) => i.every),
      [7 * 86_400_000],
    );
    await h.client.schedule.getHandle('weekly-reconcile').delete();
  });
});
