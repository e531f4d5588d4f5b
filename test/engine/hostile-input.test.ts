/**
 * Bad identifiers and a lying Workday, on a real Temporal dev server and real PostgreSQL (issue 21,
 * items 1 and 2). Workday is scripted: real Get_Workers XML through the real parser, so the totals
 * can lie exactly. What it proves:
 * - `wdsync start --run-id ..` (or `.`) and `wdsync replay ..` are refused with one line, exit 1,
 *   and leave no run behind;
 * - a syncRun or replayRun started directly (another client) with such an id fails non-retryably
 *   before it asks Workday or writes to staging, a sink or the audit store;
 * - a Total_Results of 99,999,999,999 fails the run at once, with a message naming the bound;
 * - an empty page before the last stops the plan and ends the run COMPLETED_WITH_FAILURES with a
 *   ReconciliationMismatch, instead of fetching every promised page.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkdayPort } from '../../src/activities/ports';
import { buildDeps, type Deps } from '../../src/deps';
import { buildRunInput, startSync } from '../../src/runs/start';
import { getRunStatus } from '../../src/runs/status';
import { parsePage } from '../../src/workday/parse';
import { startWorkers, type WorkerHandle } from '../../src/worker';
import { TASK_QUEUES } from '../../src/workflows/activity-options';
import { createHarness, type Harness } from '../helpers/harness';
import { startWebhookReceiver } from '../helpers/webhook-receiver';
import { envelopeXml, syntheticWorker, workerXml } from '../workday/fixtures/worker-xml';

const N = 25;
const PAGE_SIZE = 10;
const LIE = 99_999_999_999;
/** 500 pages promised at 10 a page; only the first three hold anyone. */
const PROMISED = 5000;

const dataset = Array.from({ length: N }, (_, i) => syntheticWorker(i + 1));

/** Workday by run id: `liar-*` reports an absurd total, `hollow-*` promises 5000 and has 25. */
function scriptedWorkday(calls: Map<string, number[]>): WorkdayPort {
  return {
    async fetchPage(spec, page, count, opts) {
      calls.set(spec.runId, [...(calls.get(spec.runId) ?? []), page]);
      const total = spec.runId.startsWith('liar-')
        ? LIE
        : spec.runId.startsWith('hollow-')
          ? PROMISED
          : dataset.length;
      const rows = dataset.slice((page - 1) * count, page * count).map((w) => workerXml(w));
      const buf = Buffer.from(envelopeXml({ workers: rows, page, count, totalResults: total }));
      opts.onRawChunk?.(buf);
      return parsePage(buf);
    },
  };
}

/** Every file under dir, relative, with its size: "nothing was written" is this list not changing. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

function assertOneLineError(r: { code: number; stderr: string }, pattern: RegExp) {
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0]!, pattern);
}

describe('hostile ids and a lying Total_Results (real Temporal, real PostgreSQL)', {
  timeout: 300_000,
}, () => {
  let h: Harness;
  let deps: Deps;
  let workers: WorkerHandle;
  let hook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const calls = new Map<string, number[]>();

  before(async () => {
    hook = await startWebhookReceiver();
    h = await createHarness({ workers: 10, config: { notify: { webhookUrl: hook.url } } });
    deps = await buildDeps(h.cfg);
    workers = await startWorkers({
      cfg: h.cfg,
      deps: { ...deps.activities, workday: scriptedWorkday(calls) },
    });
  });
  after(async () => {
    await workers?.shutdown().catch(() => {});
    await deps?.close().catch(() => {});
    await h?.close();
    hook?.close();
  });

  const stagingDir = () => h.cfg.staging.dir;
  const jsonlDir = () => path.join(h.dir, 'jsonl');

  test('a good run first, so staging and the JSONL sink hold something to lose', async () => {
    const { handle } = await startSync(h.client, h.cfg, { runId: 'good-1', pageSize: PAGE_SIZE });
    const summary = await handle.result();
    assert.equal(summary.status, 'COMPLETED');
    assert.equal(summary.workersFetched, N);
    assert.equal(readFileSync(path.join(jsonlDir(), 'workers.jsonl'), 'utf8').trim().split('\n').length, N);
    assert.ok(tree(stagingDir()).length > 0);
  });

  test('the CLI refuses "." and ".." as run ids with one line, exit 1, and no run', async () => {
    const staged = tree(stagingDir());
    const sink = tree(jsonlDir());
    for (const id of ['..', '.', 'a/b']) {
      assertOneLineError(
        await h.cli(['start', '--run-id', id]),
        /^wdsync: error: --run-id ".*" is not allowed/,
      );
      await assert.rejects(h.client.workflow.getHandle(id).describe(), /not found/i, `no run ${id}`);
    }
    for (const id of ['..', '.']) {
      assertOneLineError(
        await h.cli(['replay', id, '--failed']),
        /^wdsync: error: run id ".*" is not allowed/,
      );
      assertOneLineError(
        await h.cli(['replay', 'good-1', '--failed', '--replay-id', id]),
        /--replay-id takes letters/,
      );
      assertOneLineError(await h.cli(['schedule', 'create', id, '--every', '1h']), /schedule name/);
    }
    let replays = 0;
    for await (const _ of h.client.workflow.list({ query: `WorkflowType = 'replayRun'` })) replays++;
    assert.equal(replays, 0, 'no replay was started');
    assert.deepEqual(tree(stagingDir()), staged);
    assert.deepEqual(tree(jsonlDir()), sink);
  });

  test('syncRun and replayRun started directly with a bad id fail before touching anything', async () => {
    const staged = tree(stagingDir());
    const sink = tree(jsonlDir());
    const snapshot = readFileSync(path.join(jsonlDir(), 'workers.jsonl'), 'utf8');
    const { runId: _fixed, ...input } = buildRunInput(h.cfg, { pageSize: PAGE_SIZE });
    const starts = [
      // The run id defaults to the workflow id, as for a scheduled run.
      { type: 'syncRun', workflowId: '..', args: [input], runId: '..' },
      { type: 'syncRun', workflowId: 'direct-dot', args: [{ ...input, runId: '.' }], runId: '.' },
      {
        type: 'replayRun',
        workflowId: 'direct-replay',
        args: [{ replayId: 'r1', runId: '..', target: { failed: true }, refetch: false }],
        runId: '..',
      },
    ];
    for (const s of starts) {
      const handle = await h.client.workflow.start(s.type, {
        taskQueue: TASK_QUEUES.workflows,
        workflowId: s.workflowId,
        args: s.args,
      });
      const err = await handle.result().then(
        () => assert.fail(`${s.type} ${s.workflowId} completed`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof WorkflowFailedError, `${s.type} ${s.workflowId} failed: ${err}`);
      const cause = err.cause;
      assert.ok(cause instanceof ApplicationFailure, `an ApplicationFailure, got ${cause}`);
      assert.equal(cause.type, 'InvalidRunId');
      assert.equal(cause.nonRetryable, true);
      assert.match(cause.message, /is not allowed/);
      assert.equal(calls.get(s.runId), undefined, 'Workday was never asked');
      assert.equal(await deps.audit.getRun(s.runId), undefined, 'no run record');
    }
    assert.deepEqual(tree(stagingDir()), staged, 'staging unchanged');
    assert.deepEqual(tree(jsonlDir()), sink, 'JSONL sink directory unchanged');
    assert.equal(readFileSync(path.join(jsonlDir(), 'workers.jsonl'), 'utf8'), snapshot);
  });

  test('a Total_Results of 99,999,999,999 fails the run at once, naming the bound', async () => {
    const runId = `liar-${Date.now()}`;
    const { handle } = await startSync(h.client, h.cfg, { runId, pageSize: 999 });
    // Today's bug planned 100 million pages; a bounded wait turns that into a failure, not a hang.
    const ended = await Promise.race([
      handle.result().then(
        () => 'completed',
        () => 'failed',
      ),
      new Promise((r) => setTimeout(() => r('still running after 60 s'), 60_000)),
    ]);
    assert.equal(ended, 'failed');
    const st = await getRunStatus(h.client, runId);
    assert.equal(st.temporalStatus, 'FAILED');
    assert.ok(!st.running);
    assert.match(st.failure ?? '', /Total_Results 99999999999/);
    assert.match(st.failure ?? '', /WDSYNC_MAX_TOTAL_RESULTS/);
    assert.match(st.failure ?? '', /WDSYNC_MAX_PAGES/);
    assert.deepEqual(calls.get(runId), [1], 'one count request, never retried, no page fetched');
    assert.deepEqual(
      tree(stagingDir()).filter((f) => f.startsWith(runId)),
      [],
    );
  });

  test('an empty page before the last stops the plan: COMPLETED_WITH_FAILURES, ReconciliationMismatch', async () => {
    const runId = `hollow-${Date.now()}`;
    const { handle } = await startSync(h.client, h.cfg, {
      runId,
      pageSize: PAGE_SIZE,
      concurrency: 2,
      backlog: 2,
      recovery: { passes: 1, cooldownSeconds: 1 },
    });
    const summary = await handle.result();
    assert.equal(summary.status, 'COMPLETED_WITH_FAILURES');
    assert.equal(summary.pagesTotal, PROMISED / PAGE_SIZE);
    assert.equal(summary.workersFetched, N);
    assert.deepEqual(summary.failedPages, []);
    assert.equal(summary.reconciliation.ok, false);
    assert.deepEqual(
      summary.totalsMismatch.filter((m) => /returned no workers/.test(m)).length,
      1,
      summary.totalsMismatch.join('; '),
    );
    // Page 4 is the first empty one; page 5 may be in flight beside it and come back first.
    assert.match(summary.totalsMismatch.join('; '), /page [45] of 500 returned no workers/);
    // The count request, pages 1-4, and what was in flight beside them: with pipelined pages, C
    // fetches plus the backlog of fetched pages still delivering when page 4's emptiness reached
    // the run (once 8 under CI load, with the default backlog of 16). Before the fix, all 500.
    const requests = calls.get(runId) ?? [];
    assert.ok(requests.length <= 1 + 4 + 2 + 2, `${requests.length} requests: pages ${requests.join(', ')}`);
    const event = await (async () => {
      for (let i = 0; i < 100; i++) {
        const e = hook.events.find((x) => x.type === 'run.completed_with_failures' && x.runId === runId);
        if (e) return e;
        await new Promise((r) => setTimeout(r, 100));
      }
      return undefined;
    })();
    assert.ok(event, 'a run.completed_with_failures event');
    assert.equal(event.errorType, 'ReconciliationMismatch');
    assert.match(String(event.error), /returned no workers/);
  });
});
