// Issue 15 on the machinery of issue 14, on a real Temporal dev server, PostgreSQL and the Zendesk
// and Dataverse simulators, read back through node-zendesk and dynamics-web-api: a run whose
// terminations are over a sink's limit stops that sink in AwaitingApproval with nothing
// destructive applied; `wdsync approve` applies them, `wdsync reject` skips them (audited, and
// proposed again by the next run); a complete full run's removals (onRemoval) take the same path.
// Users join the organization their mapping names, read back through organization memberships.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DynamicsWebApi } from 'dynamics-web-api';
import { createAuditStore } from '../../src/audit/store';
import { openDb } from '../../src/db/open';
import { lifecycleAction, type MappedRecord, parseMapping } from '../../src/mapping/mapping-file';
import { type DataverseSimulatorHandle, startDataverseSimulator } from '../../src/targets/dynamics/simulator';
import { type ZendeskSimulatorHandle, startZendeskSimulator } from '../../src/targets/zendesk/simulator';
import { approveDestructiveUpdate } from '../../src/workflows/messages';
import type { RunSummary } from '../../src/workflows/types';
import { createHarness, type Harness, PG_URL } from '../helpers/harness';
import { mappedWorkers, runPinned, startPinned } from '../helpers/mapped-run';
import {
  awaitingApproval,
  dataverseClient,
  dataverseSink,
  heldActions,
  zendeskClient,
  zendeskSink,
} from '../helpers/targets';

const WORKERS = 300;
const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');
// The example mappings, with removals deleting the Zendesk user and deactivating the contact.
const zdFile = JSON.parse(readFileSync(path.join(EXAMPLES, 'zendesk-user.json'), 'utf8'));
zdFile.actions = { ...zdFile.actions, onRemoval: 'delete' };
const dvFile = JSON.parse(readFileSync(path.join(EXAMPLES, 'dynamics-contact.json'), 'utf8'));
dvFile.actions = { ...dvFile.actions, onRemoval: 'deactivate' };
const zdMapping = parseMapping(zdFile, 'zendesk-user.json', 'zendesk');
const dvMapping = parseMapping(dvFile, 'dynamics-contact.json', 'dynamics');

type ZdUser = Record<string, unknown> & {
  id: number;
  external_id: string;
  suspended: boolean;
  name: string;
  organization_id: number | null;
  user_fields: Record<string, unknown>;
};
type Contact = Record<string, unknown>;

describe('Zendesk and Dataverse: terminations and removals behind the circuit breaker (issue 15)', {
  timeout: 600_000,
}, () => {
  let h: Harness;
  let zd: ZendeskSimulatorHandle;
  let dv: DataverseSimulatorHandle;
  let zdc: ReturnType<typeof zendeskClient>;
  let api: DynamicsWebApi;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wdsync-desk-breaker-'));
  const zdPath = path.join(dir, 'zendesk-user.json');
  const dvPath = path.join(dir, 'dynamics-contact.json');
  writeFileSync(zdPath, JSON.stringify(zdFile));
  writeFileSync(dvPath, JSON.stringify(dvFile));

  before(async () => {
    zd = await startZendeskSimulator({ port: 0 });
    dv = await startDataverseSimulator({ port: 0 });
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
          // Every deactivation or deletion waits for an operator.
          zendeskSink(zd, 'desk', zdPath, { safety: { maxDestructive: 0 } }),
          dataverseSink(dv, 'dataverse', dvPath, { safety: { maxDestructive: 0 } }),
        ],
      },
    });
    await h.startInProcessWorkers();
    zdc = zendeskClient(zd);
    api = dataverseClient(dv);
  });
  after(async () => {
    await h?.close();
    await zd?.close();
    await dv?.close();
  });

  /** The CLI as a user's shell would run it: sinks and credentials from the environment. */
  const cli = (args: string[]) =>
    h.cli(args, {
      WDSYNC_SINKS: `postgres,desk=zendesk:${zdPath},dataverse=dynamics:${dvPath}`,
      ...zd.env,
      ...dv.env,
    });

  async function users(): Promise<Map<string, ZdUser>> {
    const list = (await zdc.users.list()) as unknown as ZdUser[];
    return new Map(list.filter((u) => u.external_id).map((u) => [u.external_id, u]));
  }

  async function contacts(): Promise<Map<string, Contact>> {
    const r = await api.retrieveAll<Contact>({
      collection: 'contacts',
      select: ['wd_workdayid', 'lastname', 'jobtitle', 'wd_active', 'statecode', 'wd_terminationdate'],
    });
    return new Map(r.value.map((c) => [c.wd_workdayid as string, c]));
  }

  /** Each active in-scope user is a member of exactly the organization its mapping names, by default. */
  async function assertMemberships(truth: Map<string, { m: MappedRecord }>, held: Map<string, ZdUser>) {
    const orgs = new Map(
      ((await zdc.organizations.list()) as unknown as { id: number; external_id: string }[]).map((o) => [
        o.id,
        o.external_id,
      ]),
    );
    const all = (await zdc.organizationmemberships.list()) as unknown as {
      user_id: number;
      organization_id: number;
      default: boolean | null;
    }[];
    let checked = 0;
    for (const [wid, w] of truth) {
      if (!w.m.inScope || w.m.terminated) continue;
      const u = held.get(wid)!;
      const mine = all.filter((m) => m.user_id === u.id);
      assert.deepEqual(
        mine.map((m) => [orgs.get(m.organization_id), m.default]),
        [[w.m.values['organization.external_id'], true]],
        `${wid}'s memberships`,
      );
      assert.equal(u.organization_id, mine[0]!.organization_id, `${wid}.organization_id is its default`);
      checked++;
    }
    return checked;
  }

  /** The workers a run proposes to deactivate in a target: leavers it holds, still active there. */
  function leavers(
    truth: Map<string, { m: MappedRecord }>,
    file: typeof zdMapping.file,
    active: (wid: string) => boolean,
  ) {
    return [...truth]
      .filter(([wid, w]) => lifecycleAction(file, w.m) === 'deactivate' && active(wid))
      .map(([wid]) => wid)
      .sort();
  }

  test('a full sync delivers both targets, and users are members of their organizations', async (t) => {
    const summary = await runPinned(h);
    assert.equal(summary.status, 'COMPLETED', JSON.stringify(summary));
    assert.equal(summary.destructive, undefined, 'nothing to deactivate or delete yet');
    const truth = await mappedWorkers(h, zdMapping);
    const held = await users();
    const inScope = [...truth].filter(([, w]) => w.m.inScope && !w.m.terminated).map(([wid]) => wid);
    assert.deepEqual([...held.keys()].sort(), inScope.sort());
    const members = await assertMemberships(truth, held);
    const dvTruth = await mappedWorkers(h, dvMapping);
    assert.deepEqual(
      [...(await contacts()).keys()].sort(),
      [...dvTruth]
        .filter(([, w]) => w.m.inScope && !w.m.terminated)
        .map(([wid]) => wid)
        .sort(),
    );
    t.diagnostic(`${members} users checked against their organization memberships`);
  });

  let rejectedInDataverse: string[] = [];

  test('terminations over the limit wait on each sink; approve applies on one, reject skips on the other', async (t) => {
    const [users1, contacts1] = [await users(), await contacts()];
    h.sim.admin.churn(120);
    const handle = await startPinned(h, { mode: 'delta' });
    // Each sink waits on its own decision.
    const p = await awaitingApproval(handle, ['desk', 'dataverse']);
    const zdTruth = await mappedWorkers(h, zdMapping);
    const dvTruth = await mappedWorkers(h, dvMapping);
    const zdLeavers = leavers(zdTruth, zdMapping.file, (wid) => users1.get(wid)?.suspended === false);
    const dvLeavers = leavers(dvTruth, dvMapping.file, (wid) => contacts1.get(wid)?.statecode === 0);
    assert.ok(zdLeavers.length > 0 && dvLeavers.length > 0, 'the churn terminated some workers both hold');
    const desk = p.awaitingApproval!.find((a) => a.sink === 'desk')!;
    const dataverse = p.awaitingApproval!.find((a) => a.sink === 'dataverse')!;
    assert.deepEqual([desk.deactivate, desk.delete], [zdLeavers.length, 0]);
    assert.deepEqual([dataverse.deactivate, dataverse.delete], [dvLeavers.length, 0]);
    assert.equal(desk.approve, `wdsync approve ${handle.workflowId} --sink desk`);

    // Nothing destructive yet, read back through the vendors' clients.
    const [users2, contacts2] = [await users(), await contacts()];
    for (const wid of zdLeavers) assert.equal(users2.get(wid)!.suspended, false, `${wid} still active`);
    for (const wid of dvLeavers) assert.equal(contacts2.get(wid)!.statecode, 0, `${wid} still active`);
    const status = await cli(['status', handle.workflowId]);
    assert.match(status.stdout, /AwaitingApproval/);
    assert.match(status.stdout, new RegExp(`approve: wdsync approve ${handle.workflowId} --sink dataverse`));

    const yes = await cli(['approve', handle.workflowId, '--sink', 'desk', '--by', 'alice']);
    assert.equal(yes.code, 0, yes.stderr);
    assert.match(yes.stdout, new RegExp(`approved by alice: ${zdLeavers.length} applied`));
    const no = await cli(['reject', handle.workflowId, '--sink', 'dataverse', '--by', 'bob']);
    assert.equal(no.code, 0, no.stderr);
    assert.match(no.stdout, /rejected by bob/);
    const summary = (await handle.result()) as RunSummary;
    assert.equal(summary.status, 'COMPLETED');
    assert.deepEqual(
      [summary.destructive?.desk?.decision, summary.destructive?.desk?.applied],
      ['approved', zdLeavers.length],
    );
    assert.deepEqual(
      [summary.destructive?.dataverse?.decision, summary.destructive?.dataverse?.rejected],
      ['rejected', dvLeavers.length],
    );

    const users3 = await users();
    for (const wid of zdLeavers) {
      const u = users3.get(wid)!;
      assert.equal(u.suspended, true, `${wid} suspended`);
      assert.equal(
        u.user_fields.termination_date,
        zdTruth.get(wid)!.record.employment?.terminationDate ?? null,
      );
    }
    const contacts3 = await contacts();
    for (const wid of dvLeavers) assert.deepEqual(contacts3.get(wid), contacts2.get(wid), `${wid} untouched`);
    const zdRows = await heldActions(h.schema, 'desk', handle.workflowId);
    assert.deepEqual(
      zdRows.map((r) => [r.wid, r.event, r.action, r.status, r.decided_by]),
      zdLeavers.map((wid) => [wid, 'termination', 'deactivate', 'applied', 'alice']),
    );
    const dvRows = await heldActions(h.schema, 'dataverse', handle.workflowId);
    assert.ok(dvRows.every((r) => r.status === 'rejected' && r.decided_by === 'bob'));
    rejectedInDataverse = dvRows.map((r) => r.wid);
    assert.deepEqual(rejectedInDataverse, dvLeavers);
    // The creates and updates went ahead, memberships moved with the workers who moved.
    t.diagnostic(`${await assertMemberships(zdTruth, users3)} memberships checked after the delta`);
  });

  test('a complete full run removes workers Workday no longer has, with what was rejected, once approved', async () => {
    // A worker each target got from wdsync once (by the audit trail) whom Workday no longer has.
    const gone = 'e'.repeat(32);
    const made = (
      (await zdc.users.createOrUpdate({
        user: { external_id: gone, name: 'Gone Worker', email: 'gone@example.com' },
      } as never)) as unknown as { result: { id: number } }
    ).result;
    assert.ok(made.id);
    await api.create({
      collection: 'contacts',
      data: { wd_workdayid: gone, lastname: 'Gone', jobtitle: 'Kept', wd_active: true },
    });
    const db = await openDb(PG_URL);
    try {
      const audit = createAuditStore(db, h.schema);
      for (const sink of ['desk', 'dataverse'])
        await audit.recordEvents([
          { runId: 'earlier', page: 1, wid: gone, workerId: 'W-GONE', sink, action: 'inserted', hash: 'h' },
        ]);
    } finally {
      await db.close();
    }
    const handle = await startPinned(h, { mode: 'full' });
    const p = await awaitingApproval(handle, ['desk', 'dataverse']);
    assert.deepEqual(p.awaitingApproval!.map((a) => [a.sink, a.deactivate, a.delete]).sort(), [
      ['dataverse', rejectedInDataverse.length + 1, 0],
      ['desk', 0, 1],
    ]);
    await assert.rejects(
      handle.executeUpdate(approveDestructiveUpdate, { args: [{ sink: 'postgres' }] }),
      'postgres waits for nothing',
    );
    const desk = await handle.executeUpdate(approveDestructiveUpdate, {
      args: [{ sink: 'desk', by: 'carol' }],
    });
    assert.equal(desk.applied, 1, 'the removal');
    const dataverse = await handle.executeUpdate(approveDestructiveUpdate, {
      args: [{ sink: 'dataverse', by: 'carol' }],
    });
    // The terminations rejected last run are proposed again (the source still says so), with the removal.
    assert.equal(dataverse.applied, rejectedInDataverse.length + 1);
    const summary = (await handle.result()) as RunSummary;
    assert.equal(summary.status, 'COMPLETED');

    assert.equal((await users()).has(gone), false, 'deleted, through node-zendesk');
    await assert.rejects(zdc.users.show(made.id), /404|not found/i);
    const c = await contacts();
    const g = c.get(gone)!;
    assert.deepEqual(
      [g.wd_active, g.statecode, g.lastname, g.jobtitle],
      [false, 1, 'Gone', 'Kept'],
      'deactivated with the deactivate fields only',
    );
    for (const wid of rejectedInDataverse) assert.equal(c.get(wid)!.statecode, 1, `${wid} deactivated now`);
    assert.deepEqual(
      (await heldActions(h.schema, 'desk', handle.workflowId)).map((r) => [
        r.wid,
        r.event,
        r.action,
        r.status,
      ]),
      [[gone, 'removal', 'delete', 'applied']],
    );
    // Audited as removed: the next full run proposes nothing.
    const next = await runPinned(h, { mode: 'full' });
    assert.equal(next.status, 'COMPLETED');
    assert.equal(next.destructive, undefined, 'nothing left to deactivate or delete');
  });
});
