// The Workday client against the project's simulator: pinned paging, counts, auth faults, and the
// parsed records against the simulator's own ground truth. Skipped until src/simulator lands.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createWorkdayClient } from '../../src/workday/client';
import { parseWorkdayConfig } from '../../src/workday/config';
import { WorkdayError } from '../../src/workday/errors';
import type { NormalizedWorker } from '../../src/domain/worker-record';

const SIMULATOR = path.resolve(__dirname, '../../src/simulator/index.ts');
const skip = existsSync(SIMULATOR) ? undefined : 'src/simulator/index.ts not there yet';
const WORKERS = 2_500;

// biome-ignore lint/suspicious/noExplicitAny: the simulator's handle is typed in its own module, which may not exist yet.
type Sim = any;

describe('Workday client against the simulator', { skip }, () => {
  let sim: Sim;
  before(async () => {
    const mod = await import(SIMULATOR);
    sim = await mod.startSimulator({ workers: WORKERS, seed: 42, port: 0 });
  });
  after(async () => {
    await sim?.close();
  });

  const asOf = () => {
    const now = new Date();
    return { entryMoment: now.toISOString(), effectiveDate: now.toISOString().slice(0, 10) };
  };
  const client = (password?: string) =>
    createWorkdayClient(
      parseWorkdayConfig({
        endpoint: sim.endpoint,
        username: sim.credentials.username,
        password: password ?? sim.credentials.password,
      }),
    );

  it('pages a pinned snapshot: totals agree, every worker once, no dead letters', async () => {
    const c = client();
    const pinned = asOf();
    const first = await c.getWorkersPage({ page: 1, count: 999, asOf: pinned });
    assert.equal(first.totalResults, WORKERS);
    assert.equal(first.totalPages, Math.ceil(WORKERS / 999));
    const rest = await Promise.all(
      Array.from({ length: first.totalPages - 1 }, (_, i) =>
        c.getWorkersPage({ page: i + 2, count: 999, asOf: pinned }),
      ),
    );
    const pages = [first, ...rest];
    for (const p of pages) {
      assert.equal(p.totalResults, first.totalResults, 'same total on every page');
      assert.equal(p.rows, p.records.length + p.deadLetters.length);
      assert.deepEqual(p.deadLetters, [], 'the simulator sends only valid workers');
    }
    const wids = pages.flatMap((p) => p.records.map((r) => r.wid));
    assert.equal(wids.length, WORKERS);
    assert.equal(new Set(wids).size, WORKERS);
    c.close();

    if (typeof sim.admin?.workersAsOf === 'function') {
      const truth: NormalizedWorker[] = await sim.admin.workersAsOf(pinned);
      const byWid = new Map(pages.flatMap((p) => p.records).map((r) => [r.wid, r]));
      assert.equal(truth.length, WORKERS);
      for (const t of truth)
        assert.deepEqual(byWid.get(t.wid), t, `worker ${t.wid} matches the simulator's ground truth`);
    }
  });

  it('wrong password → auth error that says what to check', async () => {
    const c = client('definitely-wrong');
    await assert.rejects(c.getWorkersPage({ page: 1, count: 10, asOf: asOf() }), (err: unknown) => {
      assert.ok(err instanceof WorkdayError);
      assert.equal(err.kind, 'auth');
      assert.match(err.message, /WORKDAY_USERNAME\/WORKDAY_PASSWORD/);
      return true;
    });
    c.close();
  });
});
