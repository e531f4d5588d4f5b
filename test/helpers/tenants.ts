import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDb } from '../../src/db/open';
import type { RunSummary } from '../../src/workflows/types';
import { createHarness, type Harness, PG_URL, type Simulator } from './harness';

/** Helpers of the tenant tests (issue 12): several Workday connections on one harness. */

/** The summary a `start --wait --json` printed as its last line. */
export function summaryOf(r: { code: number; stdout: string; stderr: string }): RunSummary {
  assert.equal(r.code, 0, `start failed: ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as RunSummary;
}

/** Requests a simulator served for the run pinned at the summary's entry moment. */
export const requestsOf = (sim: Simulator, s: RunSummary) =>
  sim.admin.requestLog().filter((e) => e.asOfEntryRequested === s.asOf.entryMoment).length;

/** A harness plus the extra schemas and folders a test makes for other connections, all removed on close. */
export async function tenantHarness(workers: number) {
  const h: Harness = await createHarness({ workers });
  const schemas: string[] = [];
  const dirs: string[] = [];
  return {
    h,
    /** Drops this schema on close. */
    schema(name: string) {
      schemas.push(name);
      return name;
    },
    newDir() {
      const d = mkdtempSync(path.join(os.tmpdir(), 'wdsync-tenant-'));
      dirs.push(d);
      return d;
    },
    async close() {
      await h.close();
      const db = await openDb(PG_URL);
      for (const s of schemas) await db.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      await db.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
