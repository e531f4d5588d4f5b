import assert from 'node:assert/strict';
import { readdirSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { ScheduleNotFoundError } from '@temporalio/client';
import type { ActivityDeps } from '../../src/activities/ports';
import { startSync } from '../../src/runs/start';
import { connectionOf } from '../../src/config/config';
import { ensureStagingRetention, stagingRetentionScheduleId } from '../../src/runs/staging-retention';
import { createHarness, type Harness } from '../helpers/harness';
import { until } from '../helpers/snapshot';

const DAY = 86_400_000;

/**
 * Staged pages are raw Workday responses, so they expire: `wdsync worker` keeps a Temporal Schedule
 * that deletes runs staged longer ago than staging.retentionDays, never a run still going.
 */
describe('staging retention through a Temporal Schedule', { timeout: 180_000 }, () => {
  let h: Harness;
  let deps: ActivityDeps;

  before(async () => {
    h = await createHarness({ workers: 120 });
    deps = (await h.startInProcessWorkers()).deps.activities;
  });
  after(() => h?.close());

  /** Stages one page of a made-up run, last written `ageDays` ago. */
  async function stageOld(runId: string, ageDays: number) {
    await deps.staging.put({ runId, page: 1 }, { rawGzip: gzipSync('<x/>'), records: [], deadLetters: [] });
    const dir = path.join(h.cfg.staging.dir, encodeURIComponent(runId));
    const then = new Date(Date.now() - ageDays * DAY);
    for (const f of readdirSync(dir)) utimesSync(path.join(dir, f), then, then);
  }
  const staged = async () => new Set((await deps.staging.listRuns()).map((r) => r.runId));

  test('expired runs go, a recent run and an old run still going stay; retention 0 removes the schedule', async () => {
    const recent = await startSync(h.client, h.cfg, { pageSize: 40, concurrency: 2 });
    assert.equal((await recent.handle.result()).status, 'COMPLETED');
    await stageOld('expired-run', 10);
    await stageOld('paused-for-days', 10);
    await deps.audit.recordRunStart({
      runId: 'paused-for-days',
      mode: 'full',
      tenant: 'acme',
      scope: null,
      asOf: { entryMoment: new Date(Date.now() - 10 * DAY).toISOString(), effectiveDate: '2026-11-22' },
      pageSize: 100,
    });
    assert.deepEqual([...(await staged())].sort(), ['expired-run', 'paused-for-days', recent.runId].sort());

    assert.equal(await ensureStagingRetention(h.client, h.cfg), 'created');
    assert.equal(
      await ensureStagingRetention(h.client, h.cfg),
      'updated',
      'a second worker start changes nothing',
    );
    const schedule = h.client.schedule.getHandle(stagingRetentionScheduleId(h.cfg));
    const described = await schedule.describe();
    assert.equal(described.spec.intervals?.[0]?.every, 3_600_000);
    assert.equal(described.action.type, 'startWorkflow');
    assert.deepEqual((described.action as { args?: unknown[] }).args, [
      { olderThanDays: 7, connection: connectionOf(h.cfg) },
    ]);

    await schedule.trigger();
    await until(async () => !(await staged()).has('expired-run'), 'the expired run deleted');
    const left = await staged();
    assert.ok(left.has(recent.runId), 'a run staged today is kept');
    assert.ok(left.has('paused-for-days'), 'a run still going is kept whatever its age');

    const off = { ...h.cfg, staging: { ...h.cfg.staging, retentionDays: 0 } };
    assert.equal(await ensureStagingRetention(h.client, off), 'removed');
    await assert.rejects(schedule.describe(), ScheduleNotFoundError);
    assert.equal(await ensureStagingRetention(h.client, off), 'off');
  });
});
