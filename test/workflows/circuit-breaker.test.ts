import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { HeldActionsPort, StoredHeldAction } from '../../src/activities/ports';
import type { DeliveryResult, HeldAction, LifecycleItem, SinkLifecycle } from '../../src/sinks/types';
import type { PageKey } from '../../src/domain/page';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import {
  approveDestructiveUpdate,
  cancelSignal,
  progressQuery,
  rejectDestructiveUpdate,
} from '../../src/workflows/messages';
import { fakePorts, fakeWorker, MemorySink } from '../helpers/fake-ports';
import { until } from '../helpers/snapshot';
import { rootMessage } from '../../src/runs/status';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../../src/worker';
import {
  createWorkflowEnv,
  newRunId,
  runInput,
  startSyncRun,
  type WorkflowEnv,
} from '../helpers/workflow-env';

/*
 * The circuit breaker in syncRun's control flow, in seconds: real workflows and activities on a
 * local Temporal server, over in-memory ports and a business-system sink whose leavers become
 * held deactivations. test/engine/circuit-breaker.test.ts does the same against Salesforce.
 */

class MemoryHeld implements HeldActionsPort {
  rows: (StoredHeldAction & { sink: string; runId: string; status: string; by?: string })[] = [];
  async hold(sink: string, runId: string, page: number, actions: HeldAction[]) {
    for (const a of actions)
      if (
        !this.rows.some((r) => r.sink === sink && r.runId === runId && r.wid === a.wid && r.event === a.event)
      )
        this.rows.push({ ...a, id: this.rows.length + 1, page, sink, runId, status: 'held' });
  }
  private open(sink: string, runId: string) {
    return this.rows.filter((r) => r.sink === sink && r.runId === runId && r.status === 'held');
  }
  async counts(sink: string, runId: string) {
    const open = this.open(sink, runId);
    return {
      deactivate: open.filter((r) => r.action === 'deactivate').length,
      delete: open.filter((r) => r.action === 'delete').length,
    };
  }
  async list(sink: string, runId: string, afterId: number, limit: number) {
    return this.open(sink, runId)
      .filter((r) => r.id > afterId)
      .slice(0, limit);
  }
  async decide(ids: number[], status: 'applied' | 'rejected' | 'failed', opts: { by?: string } = {}) {
    let n = 0;
    for (const r of this.rows)
      if (ids.includes(r.id) && r.status === 'held') {
        r.status = status;
        r.by = opts.by;
        n++;
      }
    return n;
  }
  async decideAll(sink: string, runId: string, status: 'rejected', by: string) {
    return this.decide(
      this.open(sink, runId).map((r) => r.id),
      status,
      { by },
    );
  }
}

/** A target that deactivates the workers listed in `leaving`, once it holds them. */
class CrmSink extends MemorySink {
  readonly leaving = new Set<string>();
  readonly deactivated = new Set<string>();
  /** apply waits for this while set (to cancel a run in the middle of it). */
  applyGate: Promise<void> | undefined;
  applying = false;
  down = false;
  readonly lifecycle: SinkLifecycle = {
    removals: async () => [],
    apply: async (_ctx, items: LifecycleItem[]) => {
      this.applying = true;
      await this.applyGate;
      if (this.down) throw new Error('crm is down');
      for (const i of items) this.deactivated.add(i.wid);
      return { done: items.map((i) => i.wid), failures: [] };
    },
    count: async () => this.rows.size,
  };
  override async deliverPage(ctx: { key: PageKey }, records: NormalizedWorker[]): Promise<DeliveryResult> {
    const leavers = records.filter((r) => this.leaving.has(r.wid) && this.rows.has(r.wid));
    const res = await super.deliverPage(
      ctx,
      records.filter((r) => !leavers.includes(r)),
    );
    const held = leavers.map((r) => ({
      wid: r.wid,
      event: 'termination' as const,
      action: 'deactivate' as const,
    }));
    return held.length ? { ...res, held } : res;
  }
}

let w: WorkflowEnv;
before(async () => {
  w = await createWorkflowEnv();
});
after(async () => {
  await w?.close();
});

function crmPorts(maxDestructive: number) {
  const p = fakePorts(40);
  const crm = new CrmSink('crm');
  const held = new MemoryHeld();
  p.deps = {
    ...p.deps,
    sinks: new Map([
      ['memory', p.sink],
      ['crm', crm],
    ]),
    held,
    safety: { defaults: { maxDestructive, maxDestructivePercent: 100 } },
  };
  for (let i = 0; i < 40; i++) crm.rows.set(fakeWorker(i).wid, 'old');
  for (const i of [3, 14, 25]) crm.leaving.add(fakeWorker(i).wid);
  return { p, crm, held };
}

const input = (label: string) => runInput(newRunId(label), { sinks: ['memory', 'crm'] });

describe('syncRun: the circuit breaker on deactivations', { timeout: 60_000 }, () => {
  test('under the limits the held deactivations are applied at the end, no approval asked', async () => {
    const { p, crm, held } = crmPorts(3);
    await w.withWorkers(p, async () => {
      const summary = await (await startSyncRun(w, input('under'))).result();
      assert.equal(summary.status, 'COMPLETED');
      assert.deepEqual(summary.destructive?.crm, {
        sink: 'crm',
        deactivate: 3,
        delete: 0,
        decision: 'applied',
        applied: 3,
        failed: 0,
        rejected: 0,
      });
      assert.equal(crm.deactivated.size, 3);
      assert.ok(held.rows.every((r) => r.status === 'applied'));
      assert.equal(p.notifier.ofType('run.awaiting_approval').length, 0);
      // Audited as the deliveries they are.
      const leavers = p.audit.events.filter((e) => e.sink === 'crm' && crm.leaving.has(e.wid));
      assert.deepEqual(
        leavers.map((e) => e.action),
        ['updated', 'updated', 'updated'],
      );
    });
  });

  test('a target down while applying fails neither the run nor the other sink: the actions stay held', async () => {
    const { p, crm, held } = crmPorts(3);
    crm.down = true;
    await w.withWorkers(p, async () => {
      const summary = await (await startSyncRun(w, input('down'))).result();
      assert.equal(summary.status, 'COMPLETED');
      assert.match(summary.destructive?.crm?.error ?? '', /crm is down/);
      assert.equal(summary.destructive?.crm?.applied, 0);
      assert.equal(p.sink.rows.size, 40);
      assert.ok(held.rows.length === 3 && held.rows.every((r) => r.status === 'held'));
    });
  });

  test('over the limits the sink waits; updates went ahead; approve applies, once', async () => {
    const { p, crm } = crmPorts(2);
    await w.withWorkers(p, async () => {
      const h = await startSyncRun(w, input('approve'));
      await until(
        async () => (await h.query(progressQuery)).state === 'AwaitingApproval',
        'AwaitingApproval',
      );
      assert.equal(crm.deactivated.size, 0, 'nothing destructive before the decision');
      assert.equal(p.sink.rows.size, 40, 'the other sink got every page');
      await until(() => p.notifier.ofType('run.awaiting_approval').length > 0, 'the event');
      const [event] = p.notifier.ofType('run.awaiting_approval');
      assert.equal(event?.command, `wdsync approve ${h.workflowId} --sink crm`);
      await assert.rejects(h.executeUpdate(approveDestructiveUpdate, { args: [{ sink: 'memory' }] }), (err) =>
        /not waiting for approval on sink memory; it waits on crm/.test(rootMessage(err)),
      );
      const outcome = await h.executeUpdate(approveDestructiveUpdate, {
        args: [{ sink: 'crm', by: 'alice' }],
      });
      assert.equal(outcome.applied, 3);
      assert.equal(outcome.decision, 'approved');
      const summary = await h.result();
      assert.equal(summary.status, 'COMPLETED');
      assert.equal(summary.destructive?.crm?.by, 'alice');
      assert.equal(crm.deactivated.size, 3);
      // The breaker's path is deterministic: its history replays against the workflow code.
      await Worker.runReplayHistory(
        { workflowBundle: await workflowBundle() },
        await h.fetchHistory(),
        h.workflowId,
      );
    });
  });

  test('reject skips them; a cancel while waiting ends the run with nothing applied', async () => {
    const a = crmPorts(0);
    await w.withWorkers(a.p, async () => {
      const h = await startSyncRun(w, input('reject'));
      await until(
        async () => (await h.query(progressQuery)).state === 'AwaitingApproval',
        'AwaitingApproval',
      );
      const outcome = await h.executeUpdate(rejectDestructiveUpdate, { args: [{ sink: 'crm', by: 'bob' }] });
      assert.deepEqual([outcome.decision, outcome.rejected, outcome.applied], ['rejected', 3, 0]);
      await h.result();
      assert.equal(a.crm.deactivated.size, 0);
      assert.ok(a.held.rows.every((r) => r.status === 'rejected' && r.by === 'bob'));
    });
    const b = crmPorts(0);
    await w.withWorkers(b.p, async () => {
      const h = await startSyncRun(w, input('cancel'));
      await until(
        async () => (await h.query(progressQuery)).state === 'AwaitingApproval',
        'AwaitingApproval',
      );
      await h.signal(cancelSignal);
      const summary = await h.result();
      assert.equal(summary.status, 'CANCELLED');
      assert.equal(b.crm.deactivated.size, 0);
      assert.ok(
        b.held.rows.every((r) => r.status === 'held'),
        'still held, never applied',
      );
    });
  });

  test('an approval the run never carries out (cancelled while applying) fails, and the run still ends', async () => {
    const { p, crm } = crmPorts(0);
    let open = () => {};
    crm.applyGate = new Promise<void>((r) => {
      open = r;
    });
    await w.withWorkers({ deps: p.deps, unblock: open }, async () => {
      const h = await startSyncRun(w, input('cancel-applying'));
      await until(
        async () => (await h.query(progressQuery)).state === 'AwaitingApproval',
        'AwaitingApproval',
      );
      const approval = h.executeUpdate(approveDestructiveUpdate, { args: [{ sink: 'crm', by: 'alice' }] });
      await until(() => crm.applying, 'the apply to start');
      await h.signal(cancelSignal);
      await assert.rejects(approval, (err) =>
        /was cancelled before the held actions of sink crm/.test(rootMessage(err)),
      );
      assert.equal((await h.result()).status, 'CANCELLED');
    });
  });
});
