/**
 * How fast the simulator produces Get_Workers XML: a 999-worker page with the default response
 * groups, rendered on one core (the render loop the server runs, minus the socket), then the same
 * page fetched over HTTP from an in-process server for an end-to-end figure.
 *
 *   npx tsx scripts/bench-simulator.ts [--workers 100000] [--rounds 20]
 *
 * With --memory, it first measures memory: it starts a simulator of --workers (default 1,000,000),
 * serves --pages (default 5) 999-worker pages over HTTP spread across the population, and prints the
 * process's peak RSS (VmHWM from /proc/self/status) before the render benchmark allocates anything.
 *
 * The pages are unpinned, as a client that does not pin As_Of_Entry_DateTime sends them; with
 * --filtered they also carry Exclude_Inactive_Workers, so each one scans the population into a
 * result set of its own (the simulator caches up to 24 of them).
 *
 *   npx tsx scripts/bench-simulator.ts --memory [--workers 1000000] [--pages 5] [--filtered]
 */
import { readFileSync } from 'node:fs';
import { Dataset } from '../src/simulator/dataset';
import { DEFAULT_GROUPS, WorkerRenderer } from '../src/simulator/render';
import { startSimulator } from '../src/simulator';
import { TenantTime } from '../src/simulator/time';
import { ViewContext } from '../src/simulator/view';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const MEMORY = process.argv.includes('--memory');
/** --filtered: the memory run's pages carry Exclude_Inactive_Workers, so each builds a filtered result set. */
const FILTERED = process.argv.includes('--filtered');
const WORKERS = arg('workers', MEMORY ? 1_000_000 : 100_000);
const ROUNDS = arg('rounds', 20);
const COUNT = 999;

function renderPage(ds: Dataset, page: number): number {
  const now = Date.now();
  const asOf = { entry: now, effective: ds.tt.dayOf(now) };
  const ctx = new ViewContext(ds, asOf, 'acme.example.com');
  const r = new WorkerRenderer(ctx, DEFAULT_GROUPS);
  const set = ds.resultSet(asOf, {});
  let bytes = 0;
  for (const i of set.slice((page - 1) * COUNT, page * COUNT)) {
    const st = ds.state(i, asOf);
    if (st) bytes += r.render(ctx.view(st)).length;
  }
  return bytes;
}

function envelope(
  sim: { credentials: { username: string; password: string } },
  page: number,
  filtered = false,
): string {
  return (
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:bsvc="urn:com.workday/bsvc"><soapenv:Header>' +
    '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"><wsse:UsernameToken>' +
    `<wsse:Username>${sim.credentials.username}</wsse:Username><wsse:Password>${sim.credentials.password}</wsse:Password>` +
    '</wsse:UsernameToken></wsse:Security></soapenv:Header><soapenv:Body><bsvc:Get_Workers_Request>' +
    (filtered
      ? '<bsvc:Request_Criteria><bsvc:Exclude_Inactive_Workers>1</bsvc:Exclude_Inactive_Workers></bsvc:Request_Criteria>'
      : '') +
    `<bsvc:Response_Filter><bsvc:Page>${page}</bsvc:Page><bsvc:Count>${COUNT}</bsvc:Count></bsvc:Response_Filter>` +
    '</bsvc:Get_Workers_Request></soapenv:Body></soapenv:Envelope>'
  );
}

/** kB figures from /proc/self/status (Linux): VmHWM is the peak resident set, VmRSS the current one. */
function procStatus(): { hwmMB: number; rssMB: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { hwmMB: kb('VmHWM') / 1024, rssMB: kb('VmRSS') / 1024 };
}

/** Peak RSS of a simulator of WORKERS workers serving a few 999-worker pages. */
async function memory() {
  const pages = arg('pages', 5);
  const before = procStatus();
  const b0 = process.hrtime.bigint();
  const sim = await startSimulator({
    workers: WORKERS,
    seed: 42,
    faults: { latency: { baseMs: 0, perWorkerMs: 0, jitterMs: 0 } },
  });
  const buildSecs = Number(process.hrtime.bigint() - b0) / 1e9;
  const built = procStatus();
  try {
    const full = Math.max(1, Math.floor(WORKERS / COUNT)); // pages with all 999 workers
    let bytes = 0;
    let total = '?';
    const h0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    for (let k = 0; k < pages; k++) {
      // Spread over the population: the first page, the last, and evenly in between.
      const page = pages === 1 ? 1 : 1 + Math.round((k * (full - 1)) / (pages - 1));
      const res = await fetch(sim.endpoint, { method: 'POST', body: envelope(sim, page, FILTERED) });
      // Count the body as it streams in, so the client holds no page in memory.
      let n = 0;
      let head = '';
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        if (head.length < 4096) head += Buffer.from(chunk).toString('utf8', 0, 4096);
        n += chunk.byteLength;
      }
      if (k === 0) total = /<wd:Total_Results>(\d+)</.exec(head)?.[1] ?? '?';
      if (res.status !== 200) throw new Error(`page ${page}: HTTP ${res.status}`);
      bytes += n;
    }
    const secs = Number(process.hrtime.bigint() - h0) / 1e9;
    const cpu = process.cpuUsage(c0);
    const served = procStatus();
    console.log(
      `memory: ${WORKERS} workers; RSS ${before.rssMB.toFixed(0)} MB at start, ${built.rssMB.toFixed(0)} MB once built (${buildSecs.toFixed(1)} s)`,
    );
    console.log(
      `memory: served ${pages} unpinned${FILTERED ? ' Exclude_Inactive_Workers' : ''} pages x ${COUNT} workers of Total_Results ${total} (${(bytes / 1e6).toFixed(1)} MB of XML) in ${secs.toFixed(1)} s, ${(bytes / 1e6 / secs).toFixed(1)} MB/s over HTTP, ${(bytes / 1e6 / ((cpu.user + cpu.system) / 1e6)).toFixed(1)} MB per CPU-second (server and client in this process)`,
    );
    console.log(
      `memory: peak RSS (VmHWM) ${served.hwmMB.toFixed(0)} MB, RSS now ${served.rssMB.toFixed(0)} MB, V8 heap used ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB`,
    );
  } finally {
    await sim.close();
  }
}

async function main() {
  if (MEMORY) await memory();
  const ds = new Dataset(42, WORKERS, Date.now(), new TenantTime('-08:00'));
  renderPage(ds, 1); // warm up the JIT and the fragment cache
  let bytes = 0;
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let k = 0; k < ROUNDS; k++) bytes += renderPage(ds, 2 + (k % 50));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  // CPU time of this single-threaded loop, so the figure holds on a busy machine too.
  const cpuSecs = process.cpuUsage(c0).user / 1e6;
  const mb = bytes / 1e6;
  const perPage = (s: number) => ((s / ROUNDS) * 1000).toFixed(0);
  console.log(
    `render: ${ROUNDS} pages x ${COUNT} workers, ${(mb / ROUNDS).toFixed(1)} MB/page, ${(bytes / ROUNDS / COUNT / 1000).toFixed(1)} KB/worker`,
  );
  console.log(
    `render: ${(mb / cpuSecs).toFixed(1)} MB/s of XML per CPU-second, one core (${perPage(cpuSecs)} ms CPU per page)`,
  );
  console.log(
    `render: ${(mb / secs).toFixed(1)} MB/s wall clock (${perPage(secs)} ms per page; lower when the machine is busy)`,
  );

  const sim = await startSimulator({
    workers: WORKERS,
    seed: 42,
    faults: { latency: { baseMs: 0, perWorkerMs: 0, jitterMs: 0 } },
  });
  try {
    let httpBytes = 0;
    const h0 = process.hrtime.bigint();
    const n = Math.max(3, Math.floor(ROUNDS / 2));
    for (let k = 0; k < n; k++) {
      const res = await fetch(sim.endpoint, { method: 'POST', body: envelope(sim, 2 + k) });
      httpBytes += (await res.arrayBuffer()).byteLength;
    }
    const hs = Number(process.hrtime.bigint() - h0) / 1e9;
    console.log(
      `http:   ${(httpBytes / 1e6 / hs).toFixed(1)} MB/s end to end (server and client share this process)`,
    );
  } finally {
    await sim.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
