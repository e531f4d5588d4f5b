import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { auditPort } from '../../src/activities/audit-adapter';
import { type AuditStore, createAuditStore } from '../../src/audit/store';
import { innermostMessage } from '../../src/errors/causes';
import { openDb } from '../../src/db/open';
import type { Db } from '../../src/db/types';
import { getRunStatus, reconcileRunRecord } from '../../src/runs/status';
import { cancelSignal, pauseSignal, progressQuery } from '../../src/workflows/messages';
import type { SyncRunInput } from '../../src/workflows/types';
import { fakePorts, workdayFault } from '../helpers/fake-ports';
import { until } from '../helpers/snapshot';
import {
  createWorkflowEnv,
  newRunId,
  runInput,
  startSyncRun,
  type WorkflowEnv,
} from '../helpers/workflow-env';
import { DATABASE_URL, dropSchema, randomSchema } from '../storage/helpers';

/*
 * Issue 20: a cancel ends a run in any phase, refused data fails the run at once with a clear
 * message, and every run that ends, however it ends, leaves its wdsync.runs row closed.
 */

let w: WorkflowEnv;
before(async () => {
  w = await createWorkflowEnv();
});
after(async () => {
  await w?.close();
});

const newId = newRunId;
const start = (input: SyncRunInput) => startSyncRun(w, input);
/** The run's result, or fails the test when it takes longer than a cancel should. */
const endsWithin = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} did not end within ${ms} ms`)), ms),
    ),
  ]);

describe('cancel ends a run in any phase', { timeout: 60_000 }, () => {
  test('while recordRunStart retries against a database that is down', async () => {
    const p = fakePorts(30);
    p.audit.startFault = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    await w.withWorkers(p, async () => {
      const runId = newId('cancel-start');
      const h = await start(runInput(runId));
      await until(() => p.audit.startAttempts >= 2, 'recordRunStart retrying');
      await h.signal(cancelSignal);
      const summary = await endsWithin(h.result(), 10_000, 'the cancelled run');
      assert.equal(summary.status, 'CANCELLED');
      assert.deepEqual(p.workday.calls, [], 'Workday never asked');
      assert.equal((await h.describe()).status.name, 'COMPLETED');
    });
  });

  test('while paused, before any page ran', async () => {
    const p = fakePorts(30);
    await w.withWorkers(p, async () => {
      const h = await start(runInput(newId('cancel-paused')));
      await h.signal(pauseSignal);
      await until(async () => (await h.query(progressQuery)).pagesTotal === 3, 'the run planned');
      await h.signal(cancelSignal);
      const summary = await endsWithin(h.result(), 10_000, 'the cancelled run');
      assert.equal(summary.status, 'CANCELLED');
      assert.deepEqual(p.workday.pagesFetched(), []);
      assert.equal(p.audit.runs.get(summary.runId)?.status, 'CANCELLED');
    });
  });

  test('during the recovery cool-down', async () => {
    const p = fakePorts(30, (page) => (page === 2 ? workdayFault('transient', 'down') : undefined));
    await w.withWorkers(p, async () => {
      const h = await start(
        runInput(newId('cancel-cooldown'), { recovery: { passes: 1, cooldownSeconds: 600 } }),
      );
      await until(async () => {
        const q = await h.query(progressQuery);
        return q.pagesDone === 2 && q.pagesFailed === 1 && q.pagesInFlight === 0;
      }, 'the first pass done');
      await h.signal(cancelSignal);
      const summary = await endsWithin(h.result(), 10_000, 'the cancelled run');
      assert.equal(summary.status, 'CANCELLED');
      assert.deepEqual(p.workday.pagesFetched().sort(), [1, 2, 3], 'page 2 not fetched again');
      assert.equal(p.audit.runs.get(summary.runId)?.status, 'CANCELLED');
    });
  });

  test('while a sink finalizes; Temporal and the progress query never disagree on the state', async () => {
    const p = fakePorts(20);
    p.sink.holdFinalize();
    await w.withWorkers(p, async () => {
      const h = await start(runInput(newId('cancel-finalize')));
      await until(async () => (await h.query(progressQuery)).pagesDone === 2, 'every page done');
      await new Promise((r) => setTimeout(r, 300));
      await h.signal(cancelSignal);
      await until(async () => (await h.query(progressQuery)).state !== 'Running', 'the cancel seen');
      const live = await getRunStatus(w.env.client, h.workflowId).catch(() => undefined);
      if (live?.running) {
        assert.equal(live.temporalStatus, 'RUNNING');
        assert.equal(live.progress.state, 'Cancelling', 'a running run is never reported Cancelled');
      }
      const summary = await endsWithin(h.result(), 10_000, 'the cancelled run');
      assert.equal(summary.status, 'CANCELLED');
      assert.equal(p.sink.finalized.length, 0, 'the held finalize was abandoned');
      assert.equal(p.audit.runs.get(summary.runId)?.status, 'CANCELLED');
    });
  });
});

describe('every run that ends leaves its run record closed', { timeout: 60_000 }, () => {
  test('a run failing after recordRunStart (an auth fault) is FAILED in the run records, with the reason', async () => {
    const p = fakePorts(30);
    p.workday.countFault = workdayFault('auth', 'invalid username or password for acme');
    await w.withWorkers(p, async () => {
      const runId = newId('auth');
      const h = await start(runInput(runId));
      const err = await h.result().then(
        () => assert.fail('the run completed'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof WorkflowFailedError);
      const row = p.audit.runs.get(runId);
      assert.equal(row?.status, 'FAILED', 'not left RUNNING');
      assert.match(row?.error ?? '', /WorkdayAuthError: invalid username or password/);
    });
  });

  test('a run cancelled through Temporal is CANCELLED in the run records', async () => {
    const p = fakePorts(30);
    p.workday.hold(1);
    await w.withWorkers(p, async () => {
      const runId = newId('tcancel');
      const h = await start(runInput(runId));
      await until(() => p.workday.pagesFetched().includes(1), 'page 1 in flight');
      await h.cancel();
      await h.result().catch(() => undefined);
      await until(() => p.audit.runs.get(runId)?.status === 'CANCELLED', 'the row closed');
    });
  });
});

describe('against PostgreSQL', { timeout: 60_000 }, () => {
  let db: Db;
  let audit: AuditStore;
  const schema = randomSchema('runend');
  before(async () => {
    db = await openDb(DATABASE_URL);
    audit = createAuditStore(db, schema);
    await audit.init();
  });
  after(async () => {
    await dropSchema(db, schema);
    await db.close();
  });

  test('an impossible effective date (2026-13-45) fails the run at once with a clear message, not a retry every 30 s', async () => {
    const p = fakePorts(30);
    const deps = { ...p.deps, audit: auditPort(audit) };
    await w.withWorkers({ deps, unblock: p.unblock }, async () => {
      const runId = newId('baddate');
      // Started with the client, past the CLI's own date check, as another client could.
      const h = await start(
        runInput(runId, { asOf: { entryMoment: '2026-11-01T08:00:00.000Z', effectiveDate: '2026-13-45' } }),
      );
      const err = await endsWithin(
        h.result().then(
          () => assert.fail('the run completed'),
          (e: unknown) => e,
        ),
        15_000,
        'the run with a bad date',
      );
      assert.ok(err instanceof WorkflowFailedError);
      const message = innermostMessage(err);
      assert.match(message, /date\/time field value out of range/);
      assert.match(message, /SQLSTATE 22008/);
      assert.match(message, /retrying cannot help/);
      assert.match(message, /--effective-date/);
      const events = (await h.fetchHistory()).events ?? [];
      const types = new Map(
        events
          .filter((e) => e.activityTaskScheduledEventAttributes)
          .map((e) => [Number(e.eventId), e.activityTaskScheduledEventAttributes?.activityType?.name]),
      );
      const attempts = events
        .filter((e) => e.activityTaskStartedEventAttributes)
        .map((e) => e.activityTaskStartedEventAttributes!)
        .filter((a) => types.get(Number(a.scheduledEventId)) === 'recordRunStart')
        .map((a) => a.attempt);
      assert.deepEqual(attempts, [1], 'recordRunStart tried once: refused data is not retried');
      assert.deepEqual(p.workday.calls, [], 'Workday never asked');
      assert.equal((await audit.getRun(runId))?.status, 'FAILED');
    });
  });

  test('a terminated run, which cannot record its own end, is reconciled from Temporal by status', async () => {
    const p = fakePorts(30);
    p.workday.hold(1);
    const deps = { ...p.deps, audit: auditPort(audit) };
    await w.withWorkers({ deps, unblock: p.unblock }, async () => {
      const runId = newId('term');
      const h = await start(runInput(runId));
      await until(() => p.workday.pagesFetched().includes(1), 'page 1 in flight');
      assert.equal((await audit.getRun(runId))?.status, 'RUNNING');
      await h.terminate('operator pulled the plug');
      const st = await getRunStatus(w.env.client, runId);
      assert.equal(st.temporalStatus, 'TERMINATED');
      assert.equal(st.running, false);
      const closed = await reconcileRunRecord(
        audit,
        runId,
        st.temporalStatus,
        st.running ? undefined : st.failure,
      );
      assert.equal(closed, 'TERMINATED');
      const row = await audit.getRun(runId);
      assert.equal(row?.status, 'TERMINATED');
      assert.ok(row?.endedAt, 'ended_at set');
      assert.equal(
        await reconcileRunRecord(audit, runId, st.temporalStatus),
        undefined,
        'a closed row is left alone',
      );
    });
  });
});
