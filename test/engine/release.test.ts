/**
 * Dead-letter release as a Temporal workflow, through the one delivery core, on a real dev server
 * and real PostgreSQL with a scripted Workday (real Get_Workers XML through the real parser).
 * The case it was built for: a letter of a `--groups personal` run. Released outside the core, it
 * replaced the worker's employment and compensation sections in PostgreSQL with nothing, and the
 * JSONL sink logged the worker "inserted" although nothing had changed. Released through the core,
 * both sinks keep the sections the run did not fetch and see the worker as unchanged.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
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
import { startSync } from '../../src/runs/start';
import { parsePage } from '../../src/workday/parse';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import { startWorkers, type WorkerHandle, workflowBundle } from '../../src/worker';
import { historyText } from '../helpers/history';
import { envelopeXml, type FixtureWorker, syntheticWorker, workerXml } from '../workday/fixtures/worker-xml';

const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const N = 12;
const PAGE_SIZE = 5;
const BROKEN = 7;
const dataset: FixtureWorker[] = Array.from({ length: N }, (_, i) => syntheticWorker(i + 1));
const broken = dataset[BROKEN - 1]!;

/** Workday as the run's scope asks: a personal-only run gets no employment or compensation. */
function scriptedWorkday(state: { breakName: boolean }): WorkdayPort {
  return {
    async fetchPage(spec, page, count, opts) {
      const g = spec.scope?.responseGroups;
      const list = dataset
        .slice((page - 1) * count, page * count)
        .map((w) =>
          g && !g.employment
            ? { ...w, position: undefined, status: undefined, compensation: undefined, orgs: undefined }
            : w,
        );
      const workers = list.map((w) => {
        const xml = workerXml(w);
        // No legal name: the mapping dead-letters this one worker, the page goes on.
        return state.breakName && w.wid === broken.wid
          ? xml.replaceAll('Legal_Name_Data', 'Legal_Name_Datum')
          : xml;
      });
      const buf = Buffer.from(envelopeXml({ workers, page, count, totalResults: N }));
      opts.onRawChunk?.(buf);
      return parsePage(buf);
    },
  };
}

describe('dead-letter release (real Temporal, real PostgreSQL, scripted Workday)', {
  timeout: 240_000,
}, () => {
  let server: DevServer;
  let client: Client;
  let cfg: WdsyncConfig;
  let deps: Deps;
  let workers: WorkerHandle;
  let dir: string;
  const schema = `t_${randomBytes(4).toString('hex')}`;
  const state = { breakName: false };
  const tag = randomBytes(3).toString('hex');

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wdsync-release-'));
    server = await startDevServer({ headless: true, logFile: path.join(dir, 'temporal.log') });
    cfg = ConfigSchema.parse({
      workday: {
        endpoint: 'http://127.0.0.1:9/ccx/service/acme/Human_Resources/v44.0',
        username: 'isu_wdsync@acme',
        password: 'not-used',
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
    workers = await startWorkers({ cfg, deps: { ...deps.activities, workday: scriptedWorkday(state) } });
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

  const pgRecord = async (wid: string) =>
    (
      await deps.db.query<{ record: NormalizedWorker }>(
        `SELECT record FROM "${schema}".workers WHERE wid = $1`,
        [wid],
      )
    ).rows[0]?.record;
  const fileRecord = (wid: string) =>
    readFileSync(path.join(dir, 'jsonl', 'workers.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as NormalizedWorker)
      .find((r) => r.wid === wid);

  test('a released letter of a --groups personal run keeps the sections the run did not fetch, in every sink', async () => {
    const full = await startSync(client, cfg, { runId: `sync-acme-full-${tag}`, pageSize: PAGE_SIZE });
    assert.equal((await full.handle.result()).status, 'COMPLETED');
    const before = await pgRecord(broken.wid);
    assert.ok(before?.employment && before.compensation, 'the full run stored employment and compensation');
    assert.deepEqual(fileRecord(broken.wid), before);

    state.breakName = true;
    const runId = `sync-acme-personal-${tag}`;
    const personal = await startSync(client, cfg, {
      runId,
      pageSize: PAGE_SIZE,
      scope: {
        responseGroups: { personal: true, employment: false, compensation: false, organizations: false },
      },
    });
    const summary = await personal.handle.result();
    assert.equal(summary.status, 'COMPLETED');
    const [letter] = await deps.audit.listDeadLetters({ runId });
    assert.ok(letter, 'the worker without a legal name was dead-lettered');
    assert.equal(letter.wid, broken.wid);

    // The fix (here in the data; in real life the mapping): release re-validates the fragment.
    await deps.db.query(
      `UPDATE "${schema}".dead_letters SET fragment = replace(fragment, 'Legal_Name_Datum', 'Legal_Name_Data') WHERE id = $1`,
      [letter.id],
    );
    const { handle, workflowId } = await startRelease(client, cfg, { runId });
    assert.match(workflowId, /^release-/);
    const outcomes = await handle.result();
    assert.equal(outcomes.length, 1);
    assert.equal(outcomes[0]?.result, 'released');
    assert.deepEqual(outcomes[0]?.sinks, { postgres: 'unchanged', files: 'unchanged' });
    assert.deepEqual(await pgRecord(broken.wid), before, 'PostgreSQL kept employment and compensation');
    assert.deepEqual(fileRecord(broken.wid), before, 'workers.jsonl kept them too');
    assert.ok((await deps.audit.getDeadLetter(letter.id))?.releasedAt, 'the letter is marked released');

    const history = await deps.audit.workerHistory(broken.wid);
    const released = history.filter((e) => e.runId.startsWith(`${runId}/release-`));
    assert.deepEqual(released.map((e) => [e.sink, e.action]).sort(), [
      ['files', 'unchanged'],
      ['postgres', 'unchanged'],
    ]);

    // Released again: nothing to do, nothing delivered twice.
    const again = await (await startRelease(client, cfg, { ids: [letter.id] })).handle.result();
    assert.equal(again[0]?.result, 'already-released');

    // The workflow is durable and visible, carries no worker data, and replays cleanly.
    const wf = client.workflow.getHandle(workflowId);
    assert.equal((await wf.describe()).type, 'releaseDeadLetters');
    const text = historyText(await wf.fetchHistory());
    assert.ok(text.includes(runId), 'control: the decoded history names the run');
    for (const needle of [broken.first, broken.last, broken.workEmail].filter(Boolean) as string[])
      assert.ok(!text.includes(needle), `the release history holds worker data (${needle})`);
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, [
      { workflowId, history: await wf.fetchHistory() },
    ])) {
      assert.equal(r.error, undefined, `replay of ${r.workflowId} failed: ${r.error}`);
    }
  });
});
