// Issue 14, the engine's half, on a real Temporal dev server, PostgreSQL and both simulators, read
// back through jsforce: records Salesforce refuses become dead letters of that sink and are
// released once the fault is gone; terminations and removals do what the mapping says, held by
// the circuit breaker until `wdsync approve` (applied) or `wdsync reject` (skipped, audited).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { Connection } from 'jsforce';
import { createAuditStore } from '../../src/audit/store';
import { openDb } from '../../src/db/open';
import type { AsOf } from '../../src/domain/as-of';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import { parseMapping } from '../../src/mapping/mapping-file';
import { type StartOptions, startSync } from '../../src/runs/start';
import {
  type SalesforceSimulatorHandle,
  startSalesforceSimulator,
} from '../../src/targets/salesforce/simulator';
import { startRelease } from '../../src/replay/release';
import { approveDestructiveUpdate } from '../../src/workflows/messages';
import { STATE } from '../../src/workflows/search-attributes';
import type { RunSummary } from '../../src/workflows/types';
import { createHarness, type Harness, PG_URL, sinkRows } from '../helpers/harness';
import { until } from '../helpers/snapshot';
import { awaitingApproval, heldActions } from '../helpers/targets';
import { startWebhookReceiver } from '../helpers/webhook-receiver';

const WORKERS = 300;
const TZ_MS = 8 * 3_600_000;
const EXAMPLE = path.resolve(__dirname, '..', '..', 'examples', 'salesforce-contact.json');

describe('Salesforce: per-sink dead letters and the circuit breaker (issue 14)', { timeout: 600_000 }, () => {
  let h: Harness;
  let sf: SalesforceSimulatorHandle;
  let conn: Connection;
  let hook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let mappingFile: string;
  // The example mapping, with removals deleting the Contact.
  const file = { ...JSON.parse(readFileSync(EXAMPLE, 'utf8')) };
  file.actions = { ...file.actions, onRemoval: 'delete' };
  const mapping = parseMapping(file);

  before(async () => {
    sf = await startSalesforceSimulator({ port: 0 });
    hook = await startWebhookReceiver();
    h = await createHarness({
      workers: WORKERS,
      simulator: {
        clockFrozen: true,
        clockStart: '2026-11-20T18:00:00.000Z',
        faults: { latency: { baseMs: 2, perWorkerMs: 0, jitterMs: 2 } },
      },
      config: {
        sinks: [
          { name: 'postgres', type: 'postgres' },
          {
            name: 'crm',
            type: 'salesforce',
            mapping: '(set below)',
            loginUrl: sf.loginUrl,
            clientId: sf.clientId,
            clientSecret: sf.clientSecret,
            // Every deactivation or deletion waits for an operator.
            safety: { maxDestructive: 0 },
          },
        ],
        notify: { webhookUrl: hook.url },
      },
    });
    mappingFile = path.join(h.dir, 'contact-mapping.json');
    writeFileSync(mappingFile, JSON.stringify(file));
    const crm = h.cfg.sinks.find((s) => s.name === 'crm');
    if (crm?.type === 'salesforce') crm.mapping = mappingFile;
    await h.startInProcessWorkers();
    conn = new Connection({
      oauth2: { loginUrl: sf.loginUrl, clientId: sf.clientId, clientSecret: sf.clientSecret },
      version: '62.0',
    });
    await conn.authorize({ grant_type: 'client_credentials' });
  });
  after(async () => {
    await h?.close();
    await sf?.close();
    hook?.close();
  });

  /** The CLI against this harness, with the crm sink configured as the workers have it. */
  const cli = async (args: string[]) => {
    const t0 = Date.now();
    const r = await h.cli(args, {
      WDSYNC_SINKS: `postgres,crm=salesforce:${mappingFile}`,
      SALESFORCE_LOGIN_URL: sf.loginUrl,
      SALESFORCE_CLIENT_ID: sf.clientId,
      SALESFORCE_CLIENT_SECRET: sf.clientSecret,
    });
    if (process.env.WDSYNC_TEST_TIMING)
      console.error(`cli ${args.slice(0, 2).join(' ')}: ${Date.now() - t0} ms`);
    return r;
  };

  async function start(opts: Omit<StartOptions, 'asOf'> = {}): Promise<WorkflowHandle> {
    h.sim.admin.clock.advance(60_000);
    const entryMoment = h.sim.admin.clock.now();
    const asOf: AsOf = {
      entryMoment,
      effectiveDate: new Date(Date.parse(entryMoment) - TZ_MS).toISOString().slice(0, 10),
    };
    const { handle } = await startSync(h.client, h.cfg, { pageSize: 50, concurrency: 3, asOf, ...opts });
    return handle;
  }

  async function truth() {
    const out = new Map<string, { record: NormalizedWorker; m: Awaited<ReturnType<typeof mapping.map>> }>();
    for (const [wid, row] of await sinkRows(h.schema)) {
      const record = row.record as unknown as NormalizedWorker;
      out.set(wid, { record, m: await mapping.map(record) });
    }
    return out;
  }

  async function contacts(): Promise<Map<string, Record<string, unknown>>> {
    const res = await conn
      .query<Record<string, unknown>>(
        'SELECT Workday_ID__c, Active__c, Title, Termination_Date__c FROM Contact',
      )
      .run({ autoFetch: true, maxFetch: 100_000 });
    return new Map(res.records.map((r) => [r.Workday_ID__c as string, r]));
  }

  const held = (runId: string) => heldActions(h.schema, 'crm', runId);

  async function openLetters(sink: string) {
    const db = await openDb(PG_URL);
    try {
      return await createAuditStore(db, h.schema).listDeadLetters({ sink, released: false });
    } finally {
      await db.close();
    }
  }

  let refusedWids: string[] = [];

  test('records Salesforce refuses are dead letters of the crm sink, released once the fault is cleared', async () => {
    sf.admin.setFaults([{ type: 'validation', next: 4, message: 'Title must not be empty (injected)' }]);
    const handle = await start();
    const summary = (await handle.result()) as RunSummary;
    assert.equal(summary.status, 'COMPLETED', JSON.stringify(summary));
    assert.equal(summary.perSink.crm?.refused, 4);
    assert.equal(sf.admin.stats().recordFailures.FIELD_CUSTOM_VALIDATION_EXCEPTION, 4);

    const [listed, shown] = await Promise.all([
      cli(['dead-letters', 'list', '--sink', 'crm', '--run', summary.runId, '--json']),
      cli(['dead-letters', 'list', '--sink', 'crm', '--run', summary.runId]),
    ]);
    assert.equal(listed.code, 0, listed.stderr);
    const letters = JSON.parse(listed.stdout) as {
      id: number;
      wid: string;
      sink: string;
      code: string;
      reason: string;
      releasedAt: string | null;
    }[];
    assert.equal(letters.length, 4);
    for (const l of letters) {
      assert.equal(l.sink, 'crm');
      assert.equal(l.code, 'FIELD_CUSTOM_VALIDATION_EXCEPTION');
      assert.equal(l.reason, 'Title must not be empty (injected)');
      assert.equal(l.releasedAt, null);
    }
    assert.match(shown.stdout, /SINK.*CODE/);
    assert.match(shown.stdout, /crm +open .* FIELD_CUSTOM_VALIDATION_EXCEPTION +Title must not be empty/);
    refusedWids = letters.map((l) => l.wid);
    const before1 = await contacts();
    for (const wid of refusedWids)
      assert.equal(before1.has(wid), false, `${wid} was refused, so not created`);
    assert.deepEqual(await openLetters(''), [], 'no Workday-side letters');

    // Still refused: the letter stays open, with the new code and message.
    sf.admin.setFaults([{ type: 'validation', next: 1, message: 'still refused (injected)' }]);
    const { handle: r1 } = await startRelease(h.client, h.cfg, { ids: [letters[0]!.id] });
    const [again] = await r1.result();
    assert.equal(again!.result, 'delivery-failed');
    assert.match(again!.reason!, /crm refused it again: FIELD_CUSTOM_VALIDATION_EXCEPTION/);
    const still = (await openLetters('crm')).find((l) => l.id === letters[0]!.id);
    assert.equal(still?.reason, 'still refused (injected)');

    sf.admin.setFaults([]);
    const released = await cli([
      'dead-letters',
      'release',
      '--run',
      summary.runId,
      '--sink',
      'crm',
      '--json',
    ]);
    assert.equal(released.code, 0, released.stdout + released.stderr);
    const outcomes = JSON.parse(released.stdout) as {
      id: number;
      result: string;
      sinks: Record<string, string>;
    }[];
    assert.equal(outcomes.length, 4);
    for (const o of outcomes) {
      assert.equal(o.result, 'released');
      assert.deepEqual(o.sinks, { crm: 'inserted' }, 'delivered to crm only');
    }
    const after1 = await contacts();
    const t = await truth();
    for (const wid of refusedWids) {
      const c = after1.get(wid);
      assert.ok(c, `${wid} delivered by the release`);
      assert.equal(c.Title, t.get(wid)!.m.values.Title ?? null);
    }
    assert.deepEqual(await openLetters('crm'), [], 'every letter of crm is closed');
    const inScope = [...t].filter(([, w]) => w.m.inScope && !w.m.terminated).map(([wid]) => wid);
    assert.deepEqual([...after1.keys()].sort(), inScope.sort(), 'exactly the in-scope workers');
  });

  let terminatedInCrm: string[] = [];

  test('terminations over the limit wait for approval (Web UI, status, webhook); approve applies them', async (t) => {
    const before2 = await contacts();
    h.sim.admin.churn(120);
    hook.events.length = 0;
    const handle = await start({ mode: 'delta' });
    const p = await awaitingApproval(handle);
    const waiting = p.awaitingApproval?.find((a) => a.sink === 'crm');
    assert.ok(waiting, JSON.stringify(p));
    const truth2 = await truth();
    terminatedInCrm = [...truth2]
      .filter(([wid, w]) => w.m.terminated && before2.get(wid)?.Active__c === true)
      .map(([wid]) => wid);
    assert.ok(terminatedInCrm.length > 0, 'the churn terminated some Contact holders');
    assert.equal(waiting.deactivate, terminatedInCrm.length);
    assert.equal(waiting.delete, 0);
    assert.equal(waiting.approve, `wdsync approve ${handle.workflowId} --sink crm`);

    // Nothing destructive applied yet; the creates and updates of the run went ahead.
    const during = await contacts();
    for (const wid of terminatedInCrm) assert.equal(during.get(wid)?.Active__c, true, `${wid} still active`);
    const updatedAlready = [...truth2].filter(
      ([wid, w]) => w.m.inScope && !w.m.terminated && during.get(wid)?.Title !== before2.get(wid)?.Title,
    );
    t.diagnostic(
      `${terminatedInCrm.length} terminations held, ${updatedAlready.length} updates applied meanwhile`,
    );

    // The workflow sets the search attribute once the run.awaiting_approval notification is out
    // (an activity), a moment after the progress query already shows the wait.
    const state = async () =>
      (await h.client.workflow.getHandle(handle.workflowId).describe()).typedSearchAttributes.get(STATE);
    await until(async () => (await state()) === 'AwaitingApproval', 'the Web UI filter sees it');
    const [status, wrong, noSink] = await Promise.all([
      cli(['status', handle.workflowId]),
      cli(['approve', handle.workflowId, '--sink', 'postgres']),
      cli(['approve', handle.workflowId]),
    ]);
    assert.notEqual(noSink.code, 0);
    assert.match(noSink.stderr, /--sink/);
    assert.match(status.stdout, /AwaitingApproval/);
    assert.match(status.stdout, new RegExp(`approve: wdsync approve ${handle.workflowId} --sink crm`));
    await until(() => hook.events.some((e) => e.type === 'run.awaiting_approval'), 'the webhook');
    const ev = hook.events.find((e) => e.type === 'run.awaiting_approval')!;
    assert.equal(ev.command, `wdsync approve ${handle.workflowId} --sink crm`);
    assert.equal(ev.sink, 'crm');
    assert.equal(ev.errorType, 'DestructiveLimit');

    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /not waiting for approval on sink postgres; it waits on crm/);

    const ok = await cli(['approve', handle.workflowId, '--sink', 'crm', '--by', 'alice']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`approved by alice: ${terminatedInCrm.length} applied`));
    const summary = (await handle.result()) as RunSummary;
    assert.equal(summary.status, 'COMPLETED');
    assert.equal(summary.destructive?.crm?.decision, 'approved');
    assert.equal(summary.destructive?.crm?.applied, terminatedInCrm.length);
    const after2 = await contacts();
    for (const wid of terminatedInCrm) {
      assert.equal(after2.get(wid)?.Active__c, false, `${wid} deactivated`);
      assert.equal(
        after2.get(wid)?.Termination_Date__c,
        truth2.get(wid)!.record.employment?.terminationDate ?? null,
      );
    }
    const rows = await held(handle.workflowId);
    assert.equal(rows.length, terminatedInCrm.length);
    assert.ok(
      rows.every((r) => r.status === 'applied' && r.decided_by === 'alice' && r.action === 'deactivate'),
    );
  });

  let rejected: string[] = [];

  test('reject skips the held actions, and says who did', async () => {
    const before3 = await contacts();
    h.sim.admin.churn(120);
    const handle = await start({ mode: 'delta' });
    const p = await awaitingApproval(handle);
    const waiting = p.awaitingApproval!.find((a) => a.sink === 'crm')!;
    const no = await cli(['reject', handle.workflowId, '--sink', 'crm', '--by', 'bob']);
    assert.equal(no.code, 0, no.stderr);
    assert.match(no.stdout, /rejected by bob/);
    const summary = (await handle.result()) as RunSummary;
    assert.equal(summary.destructive?.crm?.decision, 'rejected');
    assert.equal(summary.destructive?.crm?.rejected, waiting.deactivate + waiting.delete);
    const rows = await held(handle.workflowId);
    rejected = rows.map((r) => r.wid);
    assert.ok(rejected.length > 0);
    assert.ok(rows.every((r) => r.status === 'rejected' && r.decided_by === 'bob'));
    const after3 = await contacts();
    for (const wid of rejected) assert.deepEqual(after3.get(wid), before3.get(wid), `${wid} untouched`);
    await assert.rejects(
      h.client.workflow
        .getHandle(handle.workflowId)
        .executeUpdate(approveDestructiveUpdate, { args: [{ sink: 'crm' }] }),
      'a finished run takes no decision',
    );
  });

  test('a complete full run deletes a Contact whose worker Workday no longer has, once approved', async () => {
    // A worker delivered to crm once (by the audit trail) whom Workday no longer has.
    const gone = 'f'.repeat(32);
    await conn
      .sobject('Contact')
      .upsert([{ LastName: 'Gone', Workday_ID__c: gone, Active__c: true }], 'Workday_ID__c', {
        allOrNone: true,
      });
    const db = await openDb(PG_URL);
    try {
      await createAuditStore(db, h.schema).recordEvents([
        {
          runId: 'earlier',
          page: 1,
          wid: gone,
          workerId: 'W-GONE',
          sink: 'crm',
          action: 'inserted',
          hash: 'h',
        },
      ]);
    } finally {
      await db.close();
    }
    // And one renamed worker whose update Salesforce refuses: a dead letter of crm, open.
    const t4 = await truth();
    const [renamed, other] = [...t4].filter(([, w]) => w.m.inScope && !w.m.terminated);
    h.sim.admin.rename({ wid: renamed![0], lastName: other![1].record.personal!.legalName!.last! });
    sf.admin.setFaults([{ type: 'validation', next: 1 }]);
    const handle = await start({ mode: 'full' });
    const p = await awaitingApproval(handle);
    assert.deepEqual(
      (await openLetters('crm')).map((l) => [l.wid, l.code]),
      [[renamed![0], 'FIELD_CUSTOM_VALIDATION_EXCEPTION']],
    );
    const waiting = p.awaitingApproval!.find((a) => a.sink === 'crm')!;
    assert.equal(waiting.delete, 1, 'the removal');
    // The terminations rejected last run are proposed again: the source still says so.
    assert.equal(waiting.deactivate, rejected.length);
    assert.equal((await contacts()).has(gone), true);
    const outcome = await handle.executeUpdate(approveDestructiveUpdate, {
      args: [{ sink: 'crm', by: 'carol' }],
    });
    assert.equal(outcome.applied, rejected.length + 1);
    const summary = (await handle.result()) as RunSummary;
    assert.equal(summary.destructive?.crm?.applied, rejected.length + 1);
    const count = await conn.query(`SELECT COUNT() FROM Contact WHERE Workday_ID__c = '${gone}'`);
    assert.equal(count.totalSize, 0, 'deleted through jsforce');
    const after4 = await contacts();
    for (const wid of rejected) assert.equal(after4.get(wid)?.Active__c, false);
    const rows = await held(handle.workflowId);
    assert.deepEqual(
      rows.filter((r) => r.event === 'removal').map((r) => [r.wid, r.action, r.status]),
      [[gone, 'delete', 'applied']],
    );
    // Audited as removed, so the next full run does not propose it again; it delivers the refused
    // update, which closes that letter (a release of it could only write an older version).
    const next = await start({ mode: 'full' });
    const s2 = (await next.result()) as RunSummary;
    assert.equal(s2.status, 'COMPLETED');
    assert.equal(s2.destructive, undefined, 'nothing left to deactivate or delete');
    assert.deepEqual(await openLetters('crm'), [], 'the later delivery closed the letter');
    const c = await conn.query<{ LastName: string }>(
      `SELECT LastName FROM Contact WHERE Workday_ID__c = '${renamed![0]}'`,
    );
    assert.equal(c.records[0]?.LastName, other![1].record.personal!.legalName!.last);
  });
});
