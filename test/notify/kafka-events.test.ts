import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createBookkeepingActivities } from '../../src/activities';
import { ConfigSchema } from '../../src/config/config';
import { buildDeps, type Deps } from '../../src/deps';
import { RunRules } from '../../src/workflows/run-rules';
import { buildSummary } from '../../src/workflows/sync-run';
import type { RunCarry } from '../../src/workflows/types';
import { readCommitted, startTestBroker, type TestBroker } from '../helpers/kafka';
import { PG_URL } from '../helpers/harness';
import { dropSchema, openTestDb, randomSchema, tempDir } from '../storage/helpers';

const TOPIC = 'wd.operations';
const carry: RunCarry = {
  runId: 'sync-acme-ops-1',
  mode: 'full',
  asOf: { entryMoment: '2026-11-29T00:00:00.000Z', effectiveDate: '2026-11-28' },
  startedAt: '2026-11-29T00:00:00.000Z',
  totalResults: 300,
  totalPages: 3,
  nextPage: 4,
  pagesDone: 3,
  failedPages: [],
  workersFetched: 300,
  deadLettered: 0,
  perSink: { postgres: { inserted: 300, updated: 0, unchanged: 0 } },
  sinkFailures: {},
  totalsMismatch: [],
  paused: false,
  concurrency: 4,
  executions: 1,
};

/** The failure-notification pipeline on Kafka, wired as a worker wires it (buildDeps from config). */
describe('operational events as CloudEvents on a Kafka topic, beside the webhook', {
  timeout: 180_000,
}, () => {
  let kafka: TestBroker;
  let deps: Deps;
  const schema = randomSchema('ops');
  const tmp = tempDir();

  before(async () => {
    kafka = await startTestBroker();
    await kafka.createTopics(TOPIC);
    const cfg = ConfigSchema.parse({
      workday: {
        endpoint: 'http://127.0.0.1:1/ccx/service/acme/Human_Resources/v44.0',
        username: 'isu@acme',
        password: 'x',
      },
      temporal: {},
      database: { url: PG_URL, schema },
      staging: { kind: 'fs', dir: tmp.dir },
      limits: {},
      defaults: {},
      notify: { kafka: { brokers: [kafka.bootstrap], topic: TOPIC } },
    });
    deps = await buildDeps(cfg);
  });
  after(async () => {
    await deps?.close();
    const db = await openTestDb('postgres');
    await dropSchema(db, schema);
    await db.close();
    await kafka?.close();
    tmp.remove();
  });

  test('page.failed, run.degraded, dead_letters.threshold, run.awaiting_approval, run.completed_with_failures and run.completed, each with its command', async () => {
    const acts = createBookkeepingActivities(deps.activities);
    await acts.recordPageFailure({
      runId: carry.runId,
      page: 2,
      error: 'Workday fault',
      errorType: 'WorkdayTransient',
    });
    await acts.notify({ type: 'run.degraded', runId: carry.runId, error: '3 pages failed in a row' });
    await acts.notify({
      type: 'dead_letters.threshold',
      runId: carry.runId,
      command: `wdsync dead-letters list --run ${carry.runId}`,
    });
    // The circuit breaker's event, as the run builds it.
    const rules = new RunRules({ ...carry }, { pageSize: 100, wholeTenant: true });
    await acts.notify(
      rules.awaitApproval('crm', {
        deactivate: 700,
        delete: 0,
        holds: 9000,
        limits: { maxDestructive: 500, maxDestructivePercent: 10 },
        tripped: true,
        reason: '700 deactivations and 0 deletions (700) exceed maxDestructive 500',
      }),
    );
    const failed = buildSummary({ pageSize: 100 }, { ...carry, failedPages: [2], pagesDone: 2 }, false);
    await acts.recordRunEnd({ runId: carry.runId, summary: failed, tenant: 'acme', scope: null });
    const ok = buildSummary({ pageSize: 100 }, { ...carry, runId: 'sync-acme-ops-2' }, false);
    assert.equal(ok.status, 'COMPLETED');
    await acts.recordRunEnd({ runId: 'sync-acme-ops-2', summary: ok, tenant: 'acme', scope: null });

    const events = await readCommitted(kafka.bootstrap, TOPIC);
    const byType = new Map(events.map((e) => [(e.value as { type: string }).type, e]));
    assert.deepEqual(
      [...byType.keys()],
      [
        'com.wdsync.page.failed',
        'com.wdsync.run.degraded',
        'com.wdsync.dead_letters.threshold',
        'com.wdsync.run.awaiting_approval',
        'com.wdsync.run.completed_with_failures',
        'com.wdsync.run.completed',
      ],
    );
    for (const e of events) {
      const v = e.value as {
        specversion: string;
        source: string;
        subject: string;
        id: string;
        data: { command: string; runId: string };
      };
      assert.equal(v.specversion, '1.0');
      assert.equal(v.source, 'wdsync/acme');
      assert.equal(e.key, v.subject);
      assert.equal(v.data.runId, v.subject);
      assert.equal(e.headers.ce_id, v.id);
      assert.match(v.data.command, /^wdsync /);
    }
    const data = (t: string) => (byType.get(t)!.value as { data: Record<string, unknown> }).data;
    assert.equal(data('com.wdsync.page.failed').command, `wdsync replay ${carry.runId} --pages 2`);
    assert.equal(data('com.wdsync.run.degraded').command, `wdsync resume ${carry.runId}`);
    assert.equal(
      data('com.wdsync.run.completed_with_failures').command,
      `wdsync replay ${carry.runId} --failed`,
    );
    const awaiting = data('com.wdsync.run.awaiting_approval');
    assert.equal(awaiting.command, `wdsync approve ${carry.runId} --sink crm`);
    assert.equal(awaiting.sink, 'crm');
    assert.equal((awaiting.details as { reject: string }).reject, `wdsync reject ${carry.runId} --sink crm`);
    const done = data('com.wdsync.run.completed');
    assert.equal(done.command, 'wdsync status sync-acme-ops-2');
    assert.equal((done.details as { workersFetched: number }).workersFetched, 300);
  });
});
