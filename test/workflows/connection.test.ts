import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { activitiesByQueue } from '../../src/activities';
import { ErrorType } from '../../src/errors/types';
import { connectionKey, connectionQueues, type WorkdayConnectionId } from '../../src/workflows/connection';
import { fakePorts } from '../helpers/fake-ports';
import {
  createWorkflowEnv,
  newRunId,
  runInput,
  startSyncRun,
  type WorkflowEnv,
} from '../helpers/workflow-env';

/*
 * Issue 12, point 1: a run is bound to one Workday connection. Its Workday and sink activities go
 * to that connection's queues, each carrying the connection, and a worker configured for another
 * connection refuses them before touching Workday, staging, a sink or the state store.
 */

const PROD: WorkdayConnectionId = {
  name: 'prod',
  host: 'wd2-services1.example.com',
  tenant: 'acme',
  version: 'v44.0',
};
// Workday refreshes a sandbox as a copy of production: same tenant name, same WIDs.
const SANDBOX: WorkdayConnectionId = { ...PROD, name: 'sandbox', host: 'wd2-impl-services1.example.com' };

let w: WorkflowEnv;
before(async () => {
  w = await createWorkflowEnv();
});
after(async () => w?.close());

const { EventType } = temporal.api.enums.v1;

describe('a run bound to its Workday connection', { timeout: 60_000 }, () => {
  test("the run's Workday and sink activities run on its connection's queues, carrying the connection", async () => {
    const p = fakePorts(30);
    await w.withWorkers({ ...p, deps: { ...p.deps, connection: PROD } }, async () => {
      const h = await startSyncRun(w, runInput(newRunId('bound'), { connection: PROD }));
      const summary = await h.result();
      assert.equal(summary.status, 'COMPLETED');
      assert.equal(p.sink.rows.size, 30);
      const queues = new Map<string, Set<string>>();
      const inputs: string[] = [];
      for (const id of [h.workflowId, `${h.workflowId}/page-1`]) {
        const history = await w.env.client.workflow.getHandle(id).fetchHistory();
        for (const e of history.events ?? []) {
          if (e.eventType !== EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) continue;
          const a = e.activityTaskScheduledEventAttributes!;
          const set = queues.get(a.activityType!.name!) ?? new Set();
          set.add(a.taskQueue!.name!);
          queues.set(a.activityType!.name!, set);
          inputs.push(Buffer.from(a.input!.payloads![0]!.data!).toString());
        }
      }
      const own = connectionQueues(PROD);
      assert.deepEqual([...queues.get('countWorkers')!], [own.workday]);
      assert.deepEqual([...queues.get('fetchPage')!], [own.workday]);
      assert.deepEqual([...queues.get('deliverPage')!], [own.sinks]);
      assert.deepEqual([...queues.get('recordRunStart')!], [own.sinks]);
      assert.match(own.workday, /^wdsync-workday\/prod\/acme\/wd2-services1\.example\.com\/v44\.0$/);
      assert.notEqual(connectionQueues(SANDBOX).workday, own.workday, 'the sandbox has queues of its own');
      assert.ok(inputs.length > 3);
      for (const input of inputs) assert.equal(JSON.parse(input).connection?.host, PROD.host, input);
    });
  });

  test('a worker of another connection polling the run’s queues refuses its work: no Workday call, no state, no sink write', async () => {
    const p = fakePorts(30);
    // A hand-made setup: the sandbox's worker polls production's queue names.
    await w.withWorkers({ ...p, deps: { ...p.deps, connection: SANDBOX }, queuesOf: PROD }, async () => {
      const h = await startSyncRun(w, runInput(newRunId('foreign'), { connection: PROD }));
      const err = await h.result().then(
        () => assert.fail('the run must not complete'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof WorkflowFailedError);
      let cause: unknown = err;
      const chain: string[] = [];
      while (cause instanceof Error) {
        chain.push(`${(cause as { type?: string }).type ?? cause.name}: ${cause.message}`);
        cause = cause.cause;
      }
      assert.ok(
        chain.some((l) =>
          l.startsWith(
            `${ErrorType.WrongConnection}: this task belongs to Workday connection ${connectionKey(PROD)}`,
          ),
        ),
        chain.join('\n'),
      );
      assert.equal(p.workday.calls.length, 0, 'Workday never called');
      assert.equal(p.sink.rows.size, 0, 'nothing written');
      assert.equal(p.audit.startAttempts, 0, 'no run record written to the other connection’s state');
    });
  });

  test('every activity group refuses a foreign or missing connection before its port is touched, and strips it otherwise', async () => {
    const p = fakePorts(10);
    const a = activitiesByQueue({ ...p.deps, connection: SANDBOX });
    const asOf = { entryMoment: '2026-11-01T08:00:00.000Z', effectiveDate: '2026-11-01' };
    const refused = (e: unknown) => {
      assert.equal((e as { type?: string }).type, ErrorType.WrongConnection);
      return true;
    };
    await assert.rejects(
      a.sinks.deliverPage({
        runId: 'r1',
        page: 1,
        sink: 'memory',
        asOfEntry: asOf.entryMoment,
        connection: PROD,
      } as never),
      refused,
    );
    await assert.rejects(
      a.sinks.recordRunStart({ runId: 'r1', mode: 'full', tenant: 'acme', scope: null, asOf, pageSize: 10 }),
      (e: unknown) => refused(e) && /carries no Workday connection/.test((e as Error).message),
    );
    assert.equal(p.sink.rows.size, 0);
    assert.equal(p.audit.startAttempts, 0);
    // Its own connection: the activity runs, without the connection in what it receives.
    await a.sinks.recordRunStart({
      runId: 'r1',
      mode: 'full',
      tenant: 'acme',
      scope: null,
      asOf,
      pageSize: 10,
      connection: SANDBOX,
    } as never);
    assert.equal(p.audit.startAttempts, 1);
  });
});
