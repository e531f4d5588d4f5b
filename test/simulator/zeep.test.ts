// A strict validating SOAP client, Python's zeep, loads Workday's real v31.2 WSDL and reads the
// simulator's v31.2 answers; the v30 shape is a schema error for it. zeep is installed on first
// run into .wdsync/zeep-venv (PyPI), like the Temporal CLI into .wdsync/venv.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import { type SimulatorHandle, startSimulator } from '../../src/simulator';
import { WSDL_V31_2 } from '../workday/xsd';
import { endpointAt, NO_LATENCY } from './helpers';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const VENV = path.join(ROOT, '.wdsync/zeep-venv');
const PYTHON = path.join(VENV, 'bin/python');
const SCRIPT = path.join(__dirname, 'zeep_get_workers.py');
const ZEEP = 'zeep==4.3.3';

async function ensureZeep(): Promise<void> {
  try {
    await run(PYTHON, ['-c', 'import zeep'], { encoding: 'utf8' });
    return;
  } catch {
    // Not installed yet: build the venv below.
  }
  await run('python3', ['-m', 'venv', VENV], { encoding: 'utf8' });
  await run(PYTHON, ['-m', 'pip', 'install', '-q', ZEEP], { encoding: 'utf8', timeout: 600_000 });
}

interface ZeepRead {
  total: number;
  workers: number;
  wids: string[];
  phones: { tenant: string; e164: string; area: string; number: string }[];
  titles: string[];
}

describe('zeep (strict) with Workday v31.2 WSDL', {
  skip: existsSync(WSDL_V31_2) ? undefined : `${WSDL_V31_2} not found`,
}, () => {
  let sim: SimulatorHandle;
  before(async () => {
    await ensureZeep();
    sim = await startSimulator({ workers: 300, seed: 7, faults: NO_LATENCY });
    // Terminations and rehires put the v31 hire-eligibility references on the page.
    sim.admin.churn(100);
  });
  after(() => sim?.close());

  const zeep = async (version: string, count: number) => {
    const { stdout } = await run(
      PYTHON,
      [
        SCRIPT,
        WSDL_V31_2,
        endpointAt(sim, version),
        sim.credentials.username,
        sim.credentials.password,
        String(count),
      ],
      { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 },
    );
    return JSON.parse(stdout) as ZeepRead;
  };

  it("reads a v31.2 page without a schema error, with the simulator's values", async () => {
    const now = sim.admin.clock.now();
    const truth: NormalizedWorker[] = await sim.admin.workersAsOf({
      entryMoment: now,
      effectiveDate: now.slice(0, 10),
    });
    const byWid = new Map(truth.map((w) => [w.wid, w]));
    const r = await zeep('v31.2', 200);
    assert.equal(r.total, truth.length);
    assert.equal(r.workers, 200);
    assert.ok(
      truth.some((w) => w.employment?.terminated),
      'terminated workers in the tenant',
    );
    r.wids.forEach((wid, i) => {
      const t = byWid.get(wid);
      assert.ok(t, `zeep's worker ${wid} exists`);
      assert.equal(r.phones[i]!.tenant, t.personal?.phone);
      assert.match(r.phones[i]!.e164, /^\+\d{8,15}$/);
      assert.ok(r.phones[i]!.area && r.phones[i]!.number.includes(r.phones[i]!.area), 'area code attribute');
      assert.equal(r.titles[i], t.employment?.positionTitle);
    });
  });

  it('rejects the v30 shape: Area_Code as an element is a schema error for v31.2', async () => {
    await assert.rejects(zeep('v30.0', 20), (e: Error & { stderr?: string }) => {
      assert.match(e.stderr ?? '', /XMLParseError: Unexpected element '\{urn:com.workday\/bsvc\}Area_Code'/);
      return true;
    });
  });
});
