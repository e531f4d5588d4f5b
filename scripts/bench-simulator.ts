/**
 * How fast the simulator produces Get_Workers XML: a 999-worker page with the default response
 * groups, rendered on one core (the render loop the server runs, minus the socket), then the same
 * page fetched over HTTP from an in-process server for an end-to-end figure.
 *
 *   npx tsx scripts/bench-simulator.ts [--workers 100000] [--rounds 20]
 */
import { Dataset } from '../src/simulator/dataset';
import { DEFAULT_GROUPS, WorkerRenderer } from '../src/simulator/render';
import { startSimulator } from '../src/simulator';
import { TenantTime } from '../src/simulator/time';
import { ViewContext } from '../src/simulator/view';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const WORKERS = arg('workers', 100_000);
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

async function main() {
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
    const envelope = (page: number) =>
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:bsvc="urn:com.workday/bsvc"><soapenv:Header>' +
      '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"><wsse:UsernameToken>' +
      `<wsse:Username>${sim.credentials.username}</wsse:Username><wsse:Password>${sim.credentials.password}</wsse:Password>` +
      '</wsse:UsernameToken></wsse:Security></soapenv:Header><soapenv:Body><bsvc:Get_Workers_Request>' +
      `<bsvc:Response_Filter><bsvc:Page>${page}</bsvc:Page><bsvc:Count>${COUNT}</bsvc:Count></bsvc:Response_Filter>` +
      '</bsvc:Get_Workers_Request></soapenv:Body></soapenv:Envelope>';
    let httpBytes = 0;
    const h0 = process.hrtime.bigint();
    const n = Math.max(3, Math.floor(ROUNDS / 2));
    for (let k = 0; k < n; k++) {
      const res = await fetch(sim.endpoint, { method: 'POST', body: envelope(2 + k) });
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
