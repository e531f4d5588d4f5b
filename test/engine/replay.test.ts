/**
 * Replay, audit and dead-letter release on a real Temporal dev server and real PostgreSQL, with a
 * scripted Workday: real Get_Workers XML through the real parser, served from memory, so faults are
 * exact and the test needs no simulator. What it proves:
 * - a page whose fetch fails for good, and a page a sink refuses, leave the run
 *   COMPLETED_WITH_FAILURES naming them; `replay --failed` after the fix makes both sinks exact;
 * - replaying again changes nothing (ledger no-ops, same rows, same file);
 * - --worker delivers just those workers under a key of its own; --refetch asks Workday for the
 *   same page at the run's pinned as-of and page size;
 * - the audit trail shows each worker's runs, pages, sinks, actions and hashes;
 * - dead letters are released once valid, and stay with the new reason while not;
 * - no worker data in the replay's history, and the history replays cleanly.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { WorkdayPort } from '../../src/activities/ports';
import { ConfigSchema, type WdsyncConfig } from '../../src/config/config';
import { openDb } from '../../src/db/open';
import { buildDeps, type Deps } from '../../src/deps';
import { type DevServer, startDevServer } from '../../src/devserver/dev-server';
import { startRelease } from '../../src/replay/release';
import { startReplay } from '../../src/replay/start';
import { startSync } from '../../src/runs/start';
import { parsePage } from '../../src/workday/parse';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import { startWorkers, workflowBundle, type WorkerHandle } from '../../src/worker';
import type { RunSummary } from '../../src/workflows/types';
import { faultySinks, faultyWorkday, newFaults } from '../helpers/faults';
import { historyText } from '../helpers/history';
import { envelopeXml, type FixtureWorker, syntheticWorker, workerXml } from '../workday/fixtures/worker-xml';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';

const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const N = 45;
const PAGE_SIZE = 10;
const BROKEN = 13;
/** Distinctive, so the history check can tell a leaked password from the word wdsync. */
const WORKDAY_PASSWORD = `pw-${randomBytes(8).toString('hex')}`;

/** Workers 1..45; worker 13 has Active "maybe", so the mapping dead-letters it. */
const dataset: FixtureWorker[] = Array.from({ length: N }, (_, i) => {
  const w = syntheticWorker(i + 1);
  return i + 1 === BROKEN ? { ...w, status: { ...w.status!, active: 'maybe' } } : w;
});

function pageXml(list: FixtureWorker[], page: number, count: number, total: number): string {
  return envelopeXml({ workers: list.map((w) => workerXml(w)), page, count, totalResults: total });
}

/** Get_Workers over the dataset, as Workday pages it; by reference when the scope names workers. */
function scriptedWorkday(): WorkdayPort {
  return {
    async fetchPage(spec, page, count, opts) {
      const ids = spec.scope?.workerIds;
      const all = ids ? dataset.filter((w) => ids.includes(w.workerId) || ids.includes(w.wid)) : dataset;
      const xml = pageXml(all.slice((page - 1) * count, page * count), page, count, all.length);
      const buf = Buffer.from(xml);
      opts.onRawChunk?.(buf);
      const parsed = parsePage(buf);
      return { ...parsed, totalPages: parsed.totalPages };
    },
  };
}

/** The source snapshot: every valid record of every page. */
const expected: NormalizedWorker[] = Array.from(
  { length: Math.ceil(N / PAGE_SIZE) },
  (_, i) =>
    parsePage(pageXml(dataset.slice(i * PAGE_SIZE, (i + 1) * PAGE_SIZE), i + 1, PAGE_SIZE, N)).records,
).flat();

describe('replay, audit and dead letters (real Temporal, real PostgreSQL, scripted Workday)', {
  timeout: 300_000,
}, () => {
  let server: DevServer;
  let client: Client;
  let cfg: WdsyncConfig;
  let deps: Deps;
  let workers: WorkerHandle;
  let dir: string;
  const schema = `t_${randomBytes(4).toString('hex')}`;
  const faults = newFaults();
  const calls: { spec: import('../../src/workflows/types').PageRequestSpec; page: number; count: number }[] =
    [];
  const runId = `sync-acme-replay-${randomBytes(3).toString('hex')}`;
  let summary: RunSummary;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wdsync-replay-'));
    server = await startDevServer({ headless: true, logFile: path.join(dir, 'temporal.log') });
    cfg = ConfigSchema.parse({
      workday: {
        endpoint: 'http://127.0.0.1:9/ccx/service/acme/Human_Resources/v44.0',
        username: 'isu_wdsync@acme',
        password: WORKDAY_PASSWORD,
      },
      temporal: { address: server.address, namespace: 'default' },
      database: { url: PG_URL, schema },
      staging: { kind: 'fs', dir: path.join(dir, 'staging') },
      sinks: [
        { name: 'postgres', type: 'postgres', schema },
        { name: 'files', type: 'jsonl', dir: path.join(dir, 'jsonl') },
      ],
      limits: { workdayRequestsPerSecond: 200 },
      defaults: {},
      notify: {},
    });
    client = new Client({
      connection: await Connection.connect({ address: server.address }),
      namespace: 'default',
    });
    deps = await buildDeps(cfg);
    faults.runId = runId;
    workers = await startWorkers({
      cfg,
      deps: {
        ...deps.activities,
        workday: faultyWorkday(scriptedWorkday(), faults, calls),
        sinks: faultySinks(deps.activities.sinks, faults),
      },
    });
  });

  after(async () => {
    await workers?.shutdown().catch(() => {});
    await deps?.close().catch(() => {});
    await client?.connection.close().catch(() => {});
    await server?.stop();
    const db = await openDb(PG_URL);
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function pgRows() {
    const r = await deps.db.query<{
      wid: string;
      record: NormalizedWorker;
      content_hash: string;
      updated_at: Date;
      removed_at: Date | null;
    }>(`SELECT wid, record, content_hash, updated_at, removed_at FROM "${schema}".workers ORDER BY wid`);
    return r.rows;
  }

  async function assertExact(what: string) {
    const rows = await pgRows();
    assert.equal(rows.length, expected.length, `${what}: PostgreSQL holds every worker once`);
    const byWid = new Map(rows.map((r) => [r.wid, r]));
    for (const w of expected) {
      const row = byWid.get(w.wid);
      assert.ok(row, `${what}: ${w.wid} missing from PostgreSQL`);
      assert.equal(row.removed_at, null);
      assert.deepEqual(row.record, JSON.parse(JSON.stringify(w)), `${what}: ${w.wid} differs`);
    }
    const lines = readFileSync(path.join(dir, 'jsonl', 'workers.jsonl'), 'utf8')
      .trim()
      .split('\n');
    const files = new Map(lines.map((l) => JSON.parse(l) as NormalizedWorker).map((r) => [r.wid, r]));
    assert.equal(lines.length, expected.length, `${what}: workers.jsonl has one line per worker`);
    for (const w of expected) assert.deepEqual(files.get(w.wid), JSON.parse(JSON.stringify(w)));
  }

  test('a failed fetch and a refused sink leave the run COMPLETED_WITH_FAILURES naming those pages', async () => {
    faults.fetch.add(3);
    faults.sink.set('postgres', new Set([5]));
    const { handle } = await startSync(client, cfg, {
      runId,
      pageSize: PAGE_SIZE,
      concurrency: 2,
      recovery: { passes: 0, cooldownSeconds: 1 },
    });
    summary = await handle.result();
    assert.equal(summary.status, 'COMPLETED_WITH_FAILURES');
    assert.deepEqual(summary.failedPages, [3]);
    assert.deepEqual(summary.sinkFailures.postgres, [5]);
    assert.equal(
      (await pgRows()).length,
      expected.length - 15,
      'pages 3 (10 workers) and 5 (5) are missing from PostgreSQL',
    );
    const pages = await deps.audit.runPages(runId);
    const p3 = pages.find((p) => p.page === 3);
    assert.equal(p3?.status, 'failed');
    assert.match(p3?.error ?? '', /injected fault on page 3/);
  });

  test('after the fix, replay --failed refetches page 3 at the pinned as-of and makes both sinks exact', async () => {
    faults.fetch.clear();
    faults.sink.clear();
    calls.length = 0;
    const { handle, workflowId } = await startReplay(client, cfg, { runId, target: { failed: true } });
    assert.match(workflowId, new RegExp(`^${runId}/replay-`));
    const r = await handle.result();
    assert.equal(r.status, 'COMPLETED', JSON.stringify(r.stillFailing));
    assert.deepEqual(r.pagesReplayed, [3, 5]);
    assert.deepEqual(
      r.pagesRefetched,
      [3],
      'page 3 was never staged, so it is fetched again; page 5 comes from staging',
    );
    assert.equal(r.perSink.postgres?.inserted, 15);
    assert.equal(r.perSink.files?.inserted, 10, 'the files sink only missed page 3');
    assert.match(r.finalized.postgres ?? '', /complete on this sink/);
    assert.deepEqual(
      calls.map((c) => ({ page: c.page, count: c.count, asOf: c.spec.asOf })),
      [{ page: 3, count: PAGE_SIZE, asOf: summary.asOf }],
      'exactly one Workday request: page 3, same page size, the run’s pinned as-of',
    );
    await assertExact('after replay --failed');
    const p3 = (await deps.audit.runPages(runId)).find((p) => p.page === 3);
    assert.equal(p3?.status, 'replayed');
    assert.equal(p3?.error, null);
    const replayRun = await deps.audit.getRun(r.replayRunId);
    assert.equal(replayRun?.mode, 'replay');
    assert.equal(replayRun?.status, 'COMPLETED');
  });

  test('replaying again changes nothing', async () => {
    const before = await pgRows();
    const file = readFileSync(path.join(dir, 'jsonl', 'workers.jsonl'));
    const { handle } = await startReplay(client, cfg, { runId, target: { failed: true } });
    const r = await handle.result();
    assert.equal(r.status, 'COMPLETED');
    assert.deepEqual(r.pagesReplayed, [3, 5]);
    assert.deepEqual(r.pagesRefetched, [], 'page 3 is staged now');
    assert.deepEqual(
      {
        inserted: r.perSink.postgres?.inserted,
        updated: r.perSink.postgres?.updated,
        already: r.perSink.postgres?.alreadyDelivered,
      },
      { inserted: 0, updated: 0, already: 2 },
    );
    assert.deepEqual(await pgRows(), before, 'no PostgreSQL row changed, not even updated_at');
    assert.deepEqual(
      readFileSync(path.join(dir, 'jsonl', 'workers.jsonl')),
      file,
      'workers.jsonl is byte for byte the same',
    );
  });

  test('--worker delivers only those workers, under the replay’s own ledger key', async () => {
    const a = dataset[14]!; // Employee_ID, page 2
    const b = dataset[30]!; // by WID, page 4
    const { handle } = await startReplay(client, cfg, {
      runId,
      target: { workerIds: [a.workerId, b.wid.toUpperCase(), 'NOBODY-1'] },
      sinks: ['postgres'],
    });
    const r = await handle.result();
    assert.equal(r.status, 'COMPLETED');
    assert.equal(r.target, 'workers');
    assert.deepEqual(r.perSink.postgres, { inserted: 0, updated: 0, unchanged: 2, alreadyDelivered: 0 });
    assert.deepEqual(r.workersNotFound, ['NOBODY-1']);
    assert.equal(r.perSink.files, undefined, '--sink postgres only');
    const ledger = await deps.db.query<{ run_id: string; page: number }>(
      `SELECT run_id, page FROM "${schema}".sink_ledger WHERE run_id = $1 ORDER BY page`,
      [r.replayRunId],
    );
    assert.deepEqual(
      ledger.rows.map((x) => Number(x.page)),
      [2, 4],
      'workers 15 and 31 live on pages 2 and 4; keyed by the replay, not the page',
    );
    const history = await deps.audit.workerHistory(a.workerId);
    const sinks = history
      .filter((e) => e.runId === runId)
      .map((e) => e.sink)
      .sort();
    assert.deepEqual(sinks, ['files', 'postgres']);
    const replayed = history.filter((e) => e.runId === r.replayRunId);
    assert.deepEqual(
      replayed.map((e) => [e.sink, e.action, e.page]),
      [['postgres', 'unchanged', 2]],
    );
    assert.ok(replayed[0]!.hash.length >= 32);
  });

  test('--refetch asks Workday again for the same page at the pinned as-of; dead letters are not doubled', async () => {
    calls.length = 0;
    const dlBefore = await deps.audit.listDeadLetters({ runId });
    assert.equal(dlBefore.length, 1, 'worker 13 was dead-lettered');
    const { handle } = await startReplay(client, cfg, { runId, target: { pages: [2] }, refetch: true });
    const r = await handle.result();
    assert.equal(r.status, 'COMPLETED');
    assert.deepEqual(r.pagesRefetched, [2]);
    assert.deepEqual(
      calls.map((c) => [c.page, c.count, c.spec.asOf.entryMoment]),
      [[2, PAGE_SIZE, summary.asOf.entryMoment]],
    );
    assert.equal(r.perSink.postgres?.alreadyDelivered, 1);
    assert.equal((await deps.audit.listDeadLetters({ runId })).length, 1);
    await assertExact('after --refetch');
  });

  test('plan errors are clear and not retried', async () => {
    const nope = await startReplay(client, cfg, { runId: 'no-such-run', target: { failed: true } });
    await assert.rejects(nope.handle.result(), (err: Error) => {
      let cur: { cause?: unknown; message?: string } = err;
      while (cur.cause) cur = cur.cause as typeof cur;
      assert.match(cur.message ?? '', /no run no-such-run in the audit store/);
      return true;
    });
    const range = await startReplay(client, cfg, { runId, target: { pages: [9] } });
    await assert.rejects(range.handle.result());
    const hist = await range.handle.fetchHistory();
    const scheduled = hist.events!.filter((e) => e.activityTaskScheduledEventAttributes).length;
    assert.equal(scheduled, 1, 'the plan activity ran once: a plan error is not retried');
  });

  test('dead letters: still invalid keeps the letter with the current reason; valid ones are delivered and released', async () => {
    const [letter] = await deps.audit.listDeadLetters({ runId });
    assert.ok(letter);
    assert.match(letter.reason, /Active/);
    const release = async (opts: { ids?: number[]; runId?: string }) =>
      (await startRelease(client, cfg, opts)).handle.result();
    await deps.db.query(`UPDATE "${schema}".dead_letters SET reason = 'old reason' WHERE id = $1`, [
      letter.id,
    ]);
    const first = await release({ ids: [letter.id] });
    assert.equal(first[0]?.result, 'still-invalid');
    assert.match(
      (await deps.audit.getDeadLetter(letter.id))!.reason,
      /Worker_Status_Data\/Active: expected a boolean/,
    );

    // The fix: here the data, in real life the mapping. Either way release re-validates the fragment.
    await deps.db.query(
      `UPDATE "${schema}".dead_letters SET fragment = replace(fragment, '>maybe<', '>1<') WHERE id = $1`,
      [letter.id],
    );
    const second = await release({ runId });
    assert.equal(second.length, 1);
    assert.equal(second[0]?.result, 'released');
    assert.deepEqual(second[0]?.sinks, { postgres: 'inserted', files: 'inserted' });
    const row = (await pgRows()).find((r) => r.wid === dataset[BROKEN - 1]!.wid);
    assert.ok(row, 'the released worker is in PostgreSQL');
    const file = readFileSync(path.join(dir, 'jsonl', 'workers.jsonl'), 'utf8');
    assert.ok(file.includes(dataset[BROKEN - 1]!.wid), 'and in workers.jsonl');
    assert.ok((await deps.audit.getDeadLetter(letter.id))?.releasedAt);
    const again = await release({ ids: [letter.id] });
    assert.equal(again[0]?.result, 'already-released');
    const events = await deps.audit.workerHistory(dataset[BROKEN - 1]!.workerId);
    assert.deepEqual(events.map((e) => e.action).sort(), ['dead-lettered', 'inserted', 'inserted']);
  });

  test('no worker data in replay histories, and they replay cleanly', async () => {
    const needles = expected
      .flatMap((w) => [w.personal?.workEmail, w.personal?.legalName.formatted])
      .filter((s): s is string => Boolean(s));
    assert.ok(needles.length > 0);
    assert.equal(
      cfg.workday.password?.reveal(),
      WORKDAY_PASSWORD,
      'a distinctive password, so finding it means a leak',
    );
    needles.push(WORKDAY_PASSWORD);
    const histories = [];
    let controlSeen = 0;
    for await (const wf of client.workflow.list({ query: `WorkflowType = 'replayRun'` })) {
      const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      // Payload bytes decoded: JSON.stringify(history) would only show them base64-encoded.
      const text = historyText(history);
      for (const n of needles)
        assert.ok(!text.includes(n), `history of ${wf.workflowId} holds worker data or the password (${n})`);
      // Control: the replay's input payload names the run it replays (its workflow id's prefix).
      if (text.includes(`"${wf.workflowId.split('/replay-')[0]}"`)) controlSeen += 1;
      histories.push({ workflowId: wf.workflowId, history });
    }
    assert.ok(histories.length >= 5, `expected the replays' histories, got ${histories.length}`);
    assert.equal(
      controlSeen,
      histories.length,
      'the replayed run id is found in every decoded replay history',
    );
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      assert.equal(r.error, undefined, `replay of ${r.workflowId} failed: ${r.error}`);
    }
  });

  const cliReady = existsSync(path.join(__dirname, '../../src/simulator/command.ts'));
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [path.join(__dirname, '../../bin/wdsync.cjs'), ...args], {
      encoding: 'utf8',
      env: {
        ...process.env,
        DATABASE_URL: PG_URL,
        WDSYNC_DB_SCHEMA: schema,
        TEMPORAL_ADDRESS: server.address,
        WDSYNC_SINKS: `postgres,files=jsonl:${path.join(dir, 'jsonl')}`,
        WDSYNC_STAGING_DIR: path.join(dir, 'staging'),
      },
    });

  test('CLI: audit worker, audit run, dead-letters list', {
    skip: !cliReady && 'src/simulator/command.ts (imported by the CLI) is not there yet',
  }, () => {
    const w = cli(['audit', 'worker', dataset[14]!.workerId]);
    assert.equal(w.status, 0, w.stderr);
    assert.match(w.stdout, new RegExp(`Worker ${dataset[14]!.wid} \\(${dataset[14]!.workerId}\\)`));
    assert.match(w.stdout, new RegExp(`${runId}\\s+full\\s+2\\s+postgres\\s+inserted`));
    assert.match(w.stdout, /replay\s+2\s+postgres\s+unchanged/);
    const j = JSON.parse(cli(['audit', 'worker', dataset[14]!.wid, '--json']).stdout);
    assert.ok(j.events.length >= 3);
    const run = cli(['audit', 'run', runId]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /COMPLETED_WITH_FAILURES/);
    assert.match(run.stdout, /\n3\s+\S+\s+45\s+10\s+.*replayed/);
    const runJson = JSON.parse(cli(['audit', 'run', runId, '--json']).stdout);
    assert.equal(runJson.pages.length, 5);
    assert.ok(runJson.replays.length >= 3);
    const dl = JSON.parse(cli(['dead-letters', 'list', '--run', runId, '--json']).stdout);
    assert.equal(dl.length, 1);
    const show = cli(['dead-letters', 'show', String(dl[0].id)]);
    assert.match(show.stdout, /Worker_Reference/);
  });

  test('CLI: argument errors are one line with a non-zero exit', {
    skip: !cliReady && 'src/simulator/command.ts (imported by the CLI) is not there yet',
  }, () => {
    const cases: [string[], RegExp][] = [
      [['replay', runId], /say what to replay: --pages 3,7, --failed or --worker/],
      [
        ['replay', runId, '--pages', '3', '--failed'],
        /give one of --pages, --failed or --worker, not --pages and --failed/,
      ],
      [['replay', runId, '--pages', 'x'], /--pages takes page numbers like 3,7 or 3-5/],
      [['replay', runId, '--failed', '--sink', 'nope'], /unknown sink nope/],
      [['replay'], /missing required argument 'runId'/],
      [['dead-letters', 'release'], /say which dead letters to release/],
      [['dead-letters', 'release', '1', '--run', runId], /ids or --run, not both/],
      [['dead-letters', 'show', 'abc'], /dead letter ids are whole numbers/],
      [['audit', 'run', 'no-such-run'], /no run no-such-run in the audit store/],
    ];
    for (const [args, re] of cases) {
      const r = cli(args);
      assert.notEqual(r.status, 0, `${args.join(' ')} exits non-zero`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${args.join(' ')}: one line, got:\n${r.stderr}`);
      assert.match(lines[0]!, re);
    }
    for (const args of [
      ['replay', '--help'],
      ['audit', 'worker', '--help'],
      ['dead-letters', 'release', '--help'],
    ]) {
      const r = cli(args);
      assert.equal(r.status, 0);
      assert.match(r.stdout, /Usage: wdsync/);
    }
  });
});
