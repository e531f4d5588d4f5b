// The simulator's response-size limit, read through wdsync's own Workday client: each way the
// tenant refuses a page too large is recognised for what it is, and a page under it is untouched.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type SimulatorHandle, startSimulator } from '../../src/simulator';
import { createWorkdayClient } from '../../src/workday/client';
import { parseWorkdayConfig } from '../../src/workday/config';
import { type AnyWorkdayError, isWorkdayError } from '../../src/workday/errors';
import { NO_LATENCY } from './helpers';

describe('response-size limit', () => {
  let sim: SimulatorHandle;
  let client: ReturnType<typeof createWorkdayClient>;
  const asOf = {
    entryMoment: new Date().toISOString(),
    effectiveDate: new Date().toISOString().slice(0, 10),
  };
  let pageBytes = 0;
  let progress = 0;
  const page = (count: number) =>
    client.getWorkersPage({ page: 1, count, asOf }, { onProgress: (b) => (progress = b) });
  const failure = async (count: number): Promise<AnyWorkdayError> => {
    const err = await page(count).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isWorkdayError(err), `a Workday error, got ${String(err)}`);
    return err;
  };

  before(async () => {
    sim = await startSimulator({ workers: 200, seed: 3, faults: NO_LATENCY });
    client = createWorkdayClient(
      parseWorkdayConfig({
        endpoint: sim.endpoint,
        username: sim.credentials.username,
        password: sim.credentials.password,
        timeoutMs: 20_000,
        responseTimeoutMs: 1_500,
      }),
    );
    pageBytes = (await page(100)).bytes;
  });
  after(async () => {
    client.close();
    await sim.close();
  });
  beforeEach(() => {
    sim.admin.setFaults({ responseLimit: null });
    sim.admin.resetStats();
    progress = 0;
  });

  it('fault: a Processing_Fault saying the response is too large, before any of the page', async () => {
    sim.admin.setFaults({ responseLimit: { maxBytes: Math.floor(pageBytes / 2), mode: 'fault' } });
    const err = await failure(100);
    assert.equal(err.kind, 'tooLarge');
    assert.equal(err.status, 500);
    assert.equal(err.faultCode, 'SOAP-ENV:Server.processingError');
    assert.match(err.detail ?? '', /too large .*over the limit of \d+ bytes/);
    assert.equal(sim.admin.requestLog().at(-1)?.outcome, 'too_large');
    // Half the rows fit: answered whole, the limit is about size, not about Count.
    const half = await page(40);
    assert.equal(half.rows, 40);
    assert.ok(half.bytes <= pageBytes / 2);
  });

  it('reset: the connection is cut once the body has passed the limit', async () => {
    const maxBytes = Math.floor(pageBytes / 3);
    sim.admin.setFaults({ responseLimit: { maxBytes, mode: 'reset' } });
    const err = await failure(100);
    assert.equal(err.kind, 'transient');
    assert.ok(['network', 'truncated'].includes((err as { reason?: string }).reason ?? ''), err.message);
    assert.equal((err as { midBody?: boolean }).midBody, true, 'cut after the answer began');
    assert.ok(progress < pageBytes, `cut after ${progress} of ${pageBytes} bytes`);
    assert.equal(sim.admin.requestLog().at(-1)?.outcome, 'too_large');
    assert.equal((await page(20)).rows, 20, 'a page under the limit streams whole');
  });

  it('hang: no answer, the client times out', async () => {
    sim.admin.setFaults({ responseLimit: { maxBytes: Math.floor(pageBytes / 2), mode: 'hang' } });
    const err = await failure(100);
    assert.equal(err.kind, 'transient');
    assert.equal((err as { reason?: string }).reason, 'timeout');
    assert.equal(sim.admin.requestLog().at(-1)?.outcome, 'too_large');
  });

  it('is off by default; the admin API sets it, mode fault unless told', async () => {
    assert.equal(sim.admin.faults().responseLimit, null);
    sim.admin.setFaults({ responseLimit: { maxBytes: 10 } });
    assert.deepEqual(sim.admin.faults().responseLimit, { maxBytes: 10, mode: 'fault' });
  });
});
