/**
 * Where the Salesforce sink should switch from sObject Collections to Bulk API 2.0: the same page
 * of N new Contacts delivered both ways by the real sink (jsforce) into the Salesforce simulator
 * with a simulated service time, timing each and counting its API calls.
 *
 *   npx tsx scripts/salesforce-switchover.ts [--sizes 100,200,400,600,800,999,1500,2000]
 *       [--request-ms 150] [--record-ms 4] [--queue-ms 2000] [--parallel 4] [--poll-ms 1000]
 *
 * The defaults model an org reached over the internet: 150 ms a call, 4 ms of server time per
 * record written (a 200-record upsert takes about 0.8 s with a few validation rules and flows),
 * a Bulk job queued 2 s before it runs and processed in 4 parallel chunks, polled every second.
 * It prints one row per size and the smallest size from which Bulk was faster.
 */
import { loadMapping } from '../src/mapping/mapping-file';
import { createSalesforceSink, salesforceCredentials } from '../src/sinks/salesforce';
import { startSalesforceSimulator } from '../src/targets/salesforce/simulator';
import { sampleWorker as worker } from '../test/helpers/sample-worker';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}

const sizes = arg('sizes', '100,200,400,600,800,999,1500,2000').split(',').map(Number);
const latency = {
  requestMs: Number(arg('request-ms', '150')),
  recordMs: Number(arg('record-ms', '4')),
  bulkQueueMs: Number(arg('queue-ms', '2000')),
  bulkParallel: Number(arg('parallel', '4')),
};
const pollMs = Number(arg('poll-ms', '1000'));

async function main(): Promise<void> {
  const sim = await startSalesforceSimulator({ port: 0, latency });
  const mapping = loadMapping(`${__dirname}/../examples/salesforce-contact.json`);
  const credentials = salesforceCredentials(
    { loginUrl: sim.loginUrl, clientId: sim.clientId, clientSecret: sim.clientSecret },
    {},
  );
  const time = async (n: number, bulk: boolean) => {
    sim.admin.reset();
    const sink = createSalesforceSink({
      name: 'crm',
      mapping,
      credentials,
      transport: { bulkThreshold: bulk ? 1 : Number.MAX_SAFE_INTEGER, bulkPollIntervalMs: pollMs },
      log: () => {},
    });
    await sink.init();
    const before = sim.admin.stats().requests;
    const t0 = performance.now();
    const res = await sink.deliverPage(
      { key: { runId: 'bench', page: 1 }, asOfEntry: new Date().toISOString(), deliveredHashes: new Map() },
      Array.from({ length: n }, (_, i) => worker(i + 1)),
    );
    const ms = performance.now() - t0;
    if (res.inserted !== n) throw new Error(`${bulk ? 'bulk' : 'collections'} wrote ${res.inserted} of ${n}`);
    await sink.close();
    return { ms, calls: sim.admin.stats().requests - before };
  };
  console.log(
    `latency: ${latency.requestMs} ms/call, ${latency.recordMs} ms/record, bulk queue ${latency.bulkQueueMs} ms, ${latency.bulkParallel} parallel, poll ${pollMs} ms`,
  );
  console.log('records  collections s (calls)  bulk s (calls)');
  let crossover: number | undefined;
  for (const n of sizes) {
    const c = await time(n, false);
    const b = await time(n, true);
    if (b.ms < c.ms && crossover === undefined) crossover = n;
    if (b.ms >= c.ms) crossover = undefined;
    console.log(
      `${String(n).padStart(7)}  ${(c.ms / 1000).toFixed(2).padStart(13)} (${c.calls})  ${(b.ms / 1000).toFixed(2).padStart(9)} (${b.calls})`,
    );
  }
  console.log(
    crossover === undefined
      ? 'Bulk was not faster at any size from which it stayed faster'
      : `Bulk faster from ${crossover} records on`,
  );
  await sim.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
