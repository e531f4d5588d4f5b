// Records workflow histories of a small real sync (parent with a continue-as-new, a run bound to
// its Workday connection, pages, a paused and resumed run, a cancelled run, a run cancelled while
// planning, a failed run) into
// test/replay/histories/, for the determinism replay test. Re-record after an intentional,
// versioned workflow change: `npx tsx scripts/record-histories.ts [name ...]` (names: only those
// recordings, e.g. `history-failed`; none: all).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { startSync } from '../src/runs/start';
import {
  cancelSignal,
  pauseSignal,
  progressQuery,
  resumeSignal,
  setConcurrencyUpdate,
} from '../src/workflows/messages';
import { createHarness } from '../test/helpers/harness';

async function main() {
  const out = path.resolve(__dirname, '..', 'test', 'replay', 'histories');
  mkdirSync(out, { recursive: true });
  const h = await createHarness({ workers: 900 });
  try {
    await h.startInProcessWorkers();
    const ids: string[] = [];
    const only = process.argv.slice(2);
    const wanted = (id: string) => only.length === 0 || only.includes(id);
    if (wanted('history-full')) {
      const a = await startSync(h.client, h.cfg, {
        runId: 'history-full',
        pageSize: 100,
        concurrency: 3,
        pagesPerExecution: 4,
      });
      await a.handle.result();
      ids.push(a.runId, `${a.runId}/page-1`);
    }
    if (wanted('history-bound')) {
      // A run bound to its Workday connection: activities on the connection's queues, each input
      // carrying the connection (issue 12).
      const a = await startSync(h.client, h.cfg, { runId: 'history-bound', pageSize: 100, concurrency: 3 });
      await a.handle.result();
      ids.push(a.runId, `${a.runId}/page-1`);
    }
    h.sim.admin.setFaults({ latency: { baseMs: 200, perWorkerMs: 0, jitterMs: 0 } });
    if (wanted('history-messages')) {
      const b = await startSync(h.client, h.cfg, {
        runId: 'history-messages',
        pageSize: 100,
        concurrency: 2,
      });
      await b.handle.signal(pauseSignal);
      await b.handle.executeUpdate(setConcurrencyUpdate, { args: [4] });
      await b.handle.query(progressQuery);
      await b.handle.signal(resumeSignal);
      await b.handle.result();
      ids.push(b.runId);
    }
    if (wanted('history-cancel')) {
      const c = await startSync(h.client, h.cfg, { runId: 'history-cancel', pageSize: 100, concurrency: 1 });
      await new Promise((r) => setTimeout(r, 1500));
      await c.handle.signal(cancelSignal);
      await c.handle.result();
      ids.push(c.runId);
    }
    if (wanted('history-cancel-planning')) {
      // Cancelled while counting (planning): the phase ends at once (patch cancel-ends-any-phase).
      h.sim.admin.setFaults({ latency: { baseMs: 5000, perWorkerMs: 0, jitterMs: 0 } });
      const d = await startSync(h.client, h.cfg, { runId: 'history-cancel-planning', pageSize: 100 });
      await new Promise((r) => setTimeout(r, 1500));
      await d.handle.signal(cancelSignal);
      await d.handle.result();
      ids.push(d.runId);
      h.sim.admin.setFaults({ latency: { baseMs: 200, perWorkerMs: 0, jitterMs: 0 } });
    }
    if (wanted('history-failed')) {
      // A delta run with no watermark fails; its run record is closed (patch run-end-on-failure).
      const e = await startSync(h.client, h.cfg, { runId: 'history-failed', pageSize: 100, mode: 'delta' });
      await e.handle.result().catch(() => undefined);
      ids.push(e.runId);
    }
    for (const id of ids) {
      // Every execution of the chain (continue-as-new), oldest first.
      for await (const wf of h.client.workflow.list({ query: `WorkflowId = '${id}'` })) {
        const history = await h.client.workflow.getHandle(id, wf.runId).fetchHistory();
        const file = `${id.replace(/\//g, '_')}-${wf.runId.slice(0, 8)}.bin`;
        writeFileSync(path.join(out, file), temporal.api.history.v1.History.encode(history).finish());
        console.log(`recorded ${file}`);
      }
    }
  } finally {
    await h.close();
  }
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
