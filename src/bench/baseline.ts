import { workdayPort } from '../activities/workday-adapter';
import type { Db } from '../db/types';
import { createPostgresSink } from '../sinks/postgres';
import { createRecordsPacker } from '../staging/codec';
import { createRawBodyStager } from '../staging/raw-body';
import type { StagingStore } from '../staging/types';
import { createWorkdayClient, parseWorkdayConfig } from '../workday';
import { PageSlots } from '../workflows/page-slots';
import type { PageRequestSpec } from '../workflows/types';
import type { AsOf } from '../domain/as-of';

/**
 * The two baselines of issue 6: the same pages fetched and delivered with the same code wdsync's
 * activities run (Workday client and request mapping, raw gzip + checksum, filesystem staging,
 * PostgreSQL sink, end-of-run finalize), with no Temporal at all. `batch` is the classic nightly
 * job: one page after another. `pool` is pipelined as wdsync is, by the same rule (PageSlots):
 * `concurrency` fetches in flight, deliveries beside them up to `deliveryConcurrency` (the
 * worker's sink slots), and fetches waiting once more than `backlog` staged pages await delivery.
 * Nothing survives a crash: it is the price of durability that wdsync is compared to.
 * Not included here (wdsync does them): the audit trail rows and Temporal's own bookkeeping.
 */

export interface BaselineResult {
  kind: 'batch' | 'pool';
  runId: string;
  wallMs: number;
  pages: number;
  workers: number;
  workersPerSec: number;
  /** Summed time inside sink.deliverPage (ms); sequential in the batch job. */
  sinkMs: number;
  sinkRows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Summed time fetching (request to parsed page, ms). */
  fetchMs: number;
  cpuMs: number;
}

export interface BaselineEnv {
  endpoint: string;
  username: string;
  password: string;
  tenant: string;
  db: Db;
  schema: string;
  staging: StagingStore;
}

export async function runBaseline(
  env: BaselineEnv,
  o: {
    kind: 'batch' | 'pool';
    pageSize: number;
    concurrency: number;
    /** pool: staged pages awaiting delivery beyond `concurrency` (wdsync's --backlog). */
    backlog: number;
    /** pool: deliveries at once (the worker's sinkConcurrencyPerWorker). */
    deliveryConcurrency: number;
    runId: string;
    asOf: AsOf;
  },
  onPage?: (done: number, total: number) => void,
): Promise<BaselineResult> {
  const client = createWorkdayClient(
    parseWorkdayConfig({ endpoint: env.endpoint, username: env.username, password: env.password }),
  );
  const workday = workdayPort(client);
  const sink = createPostgresSink({ name: 'postgres', db: env.db, schema: env.schema });
  await sink.init();
  const spec: PageRequestSpec = { runId: o.runId, tenant: env.tenant, pageSize: o.pageSize, asOf: o.asOf };
  const r = { fetchMs: 0, sinkMs: 0, sinkRows: 0, inserted: 0, updated: 0, unchanged: 0, workers: 0 };

  /** Workday → staging, as the fetchPage activity does. */
  async function fetchPage(page: number) {
    const key = { runId: o.runId, page };
    // As the fetchPage activity does: keep the raw body gzip and checksum it while it streams.
    const raw = createRawBodyStager();
    const packer = createRecordsPacker();
    const f0 = performance.now();
    const res = await workday.fetchPage(spec, page, o.pageSize, {
      onRawChunk: raw.onRawChunk,
      onGzipChunk: raw.onGzipChunk,
      onRecord: (rec) => packer.add(rec),
    });
    const { rawGzip } = await raw.finish();
    r.fetchMs += performance.now() - f0;
    await env.staging.put(key, { rawGzip, records: await packer.finish(), deadLetters: res.deadLetters });
    r.workers += res.rows;
  }

  /** Staging → the sink, as deliverPage does: the sink reads the page back from staging. */
  async function deliverPage(page: number) {
    const key = { runId: o.runId, page };
    const records = await env.staging.getRecords(key);
    const s0 = performance.now();
    const d = await sink.deliverPage({ key, asOfEntry: o.asOf.entryMoment }, records);
    r.sinkMs += performance.now() - s0;
    r.sinkRows += records.length;
    r.inserted += d.inserted;
    r.updated += d.updated;
    r.unchanged += d.unchanged;
  }

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    // Plan as wdsync does: a one-row request tells the total, then pages 1..N.
    const head = await workday.fetchPage(spec, 1, 1, {});
    const pages = Math.ceil(head.totalResults / o.pageSize);
    let done = 0;
    if (o.kind === 'batch') {
      for (let p = 1; p <= pages; p++) {
        await fetchPage(p);
        await deliverPage(p);
        onPage?.(++done, pages);
      }
    } else {
      await pipeline(pages, o, fetchPage, deliverPage, () => onPage?.(++done, pages));
    }
    await sink.finalizeRun?.({
      runId: o.runId,
      mode: 'full',
      pages: Array.from({ length: pages }, (_, i) => i + 1),
      complete: true,
      asOfEntry: o.asOf.entryMoment,
    });
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return {
      kind: o.kind,
      runId: o.runId,
      wallMs,
      pages,
      workers: r.workers,
      workersPerSec: (r.workers / wallMs) * 1000,
      sinkMs: r.sinkMs,
      sinkRows: r.sinkRows,
      inserted: r.inserted,
      updated: r.updated,
      unchanged: r.unchanged,
      fetchMs: r.fetchMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
    };
  } finally {
    client.close();
    await sink.close();
  }
}

/**
 * Pages 1..N through fetch then delivery, with wdsync's slot rule: a page starts when PageSlots
 * has room, frees its fetch slot once staged, and waits for one of `deliveryConcurrency` delivery
 * slots. Rejects with the first error, as Promise.all would.
 */
async function pipeline(
  pages: number,
  o: { concurrency: number; backlog: number; deliveryConcurrency: number },
  fetch: (page: number) => Promise<void>,
  deliver: (page: number) => Promise<void>,
  onDone: () => void,
): Promise<void> {
  const slots = new PageSlots(true, o.backlog);
  const waiting: number[] = [];
  let delivering = 0;
  let next = 1;
  let ended = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (delivering < o.deliveryConcurrency && waiting.length) {
        const p = waiting.shift()!;
        delivering += 1;
        deliver(p).then(() => {
          delivering -= 1;
          slots.ended(p);
          onDone();
          if (++ended === pages) resolve();
          else pump();
        }, reject);
      }
      while (next <= pages && slots.hasRoom(o.concurrency)) {
        const p = next++;
        slots.started(p);
        fetch(p).then(() => {
          slots.fetched(p);
          waiting.push(p);
          pump();
        }, reject);
      }
    };
    if (pages === 0) resolve();
    else pump();
  });
}
