import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import lockfile from 'proper-lockfile';
import { inside } from '../paths/inside';
import { PRIVATE_DIR_MODE } from '../paths/private';
import { writeFileAtomic } from '../staging/atomic';
import type { NormalizedWorker } from '../domain/worker-record';
import { contentHash } from './hash';
import { mergeUnfetched, unfetchedSections } from './merge';
import type { DeliveryResult, FinalizeContext, FinalizeResult, RecordOutcome, Sink } from './types';
import { firstMissing, pagesOf } from '../domain/page';

export interface JsonlSinkOptions {
  name: string;
  dir: string;
}

/** Written next to workers.jsonl: which snapshot the file holds, so an older run never replaces it. */
interface SnapshotMeta {
  runId: string;
  mode: 'full' | 'delta';
  asOfEntry: string;
  workers: number;
  finalizedAt: string;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

async function* lines(file: string): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of rl) if (line) yield line;
}

// Lines are written with wid first, so the common case needs no JSON.parse.
function widOf(line: string): string {
  if (line.startsWith('{"wid":"') && line[40] === '"') return line.slice(8, 40);
  return (JSON.parse(line) as { wid: string }).wid;
}

function toLine(r: NormalizedWorker): string {
  const { wid, ...rest } = r;
  return JSON.stringify({ wid, ...rest });
}

/**
 * JSONL file sink. Pages land in <dir>/.runs/<runId>/page-<n>.jsonl (the file is the ledger);
 * finalizeRun turns them into <dir>/workers.jsonl, one line per worker, replaced atomically.
 * Readers only ever see a whole snapshot. Every record of a page is written to the run's page file
 * (the snapshot is rebuilt from them); whether it was inserted, updated or unchanged comes from the
 * content hash it had when it last reached this sink (the audit trail's `deliveredHashes`), since
 * looking WIDs up in a JSONL file would mean reading all of it.
 */
export function createJsonlSink(options: JsonlSinkOptions): Sink {
  const { name } = options;
  const dir = path.resolve(options.dir);
  const runsDir = path.join(dir, '.runs');
  // Encoding leaves "." and "..": a run id of ".." once made finalize delete the whole sink directory.
  const runDir = (runId: string) => inside(runsDir, encodeURIComponent(runId));
  const pageFile = (runId: string, page: number) => inside(runDir(runId), `page-${page}.jsonl`);
  const finalizedMarker = (runId: string) => inside(runsDir, `${encodeURIComponent(runId)}.finalized`);
  const snapshotFile = path.join(dir, 'workers.jsonl');
  const metaFile = path.join(dir, 'workers.meta.json');
  const lockFile = path.join(dir, '.finalize.lock');

  /**
   * Finalizes of different runs (workers in other processes too) take turns: each reads the
   * snapshot's marker and replaces the snapshot under the lock, so an older run that read the
   * marker before a newer one wrote it cannot replace the newer snapshot afterwards.
   */
  async function locked<T>(fn: () => Promise<T>): Promise<T> {
    const release = await lockfile.lock(dir, {
      lockfilePath: lockFile,
      stale: 30_000,
      retries: { retries: 1000, factor: 1.2, minTimeout: 50, maxTimeout: 2000 },
    });
    try {
      return await fn();
    } finally {
      await release();
    }
  }

  async function readMeta(): Promise<SnapshotMeta | undefined> {
    try {
      return JSON.parse(await fs.readFile(metaFile, 'utf8')) as SnapshotMeta;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /**
   * A run with reduced response groups: each record gets the sections it did not fetch from the
   * published snapshot, so the page file (and the snapshot built from it) keeps them, and the
   * content hash is over the merged record. Costs one read of the snapshot per page.
   */
  async function withStoredSections(
    ctx: Parameters<Sink['deliverPage']>[0],
    records: NormalizedWorker[],
  ): Promise<NormalizedWorker[]> {
    const unfetched = unfetchedSections(ctx.responseGroups);
    if (unfetched.length === 0 || records.length === 0 || !(await exists(snapshotFile))) return records;
    const wanted = new Set(records.map((r) => r.wid));
    const stored = new Map<string, NormalizedWorker>();
    for await (const line of lines(snapshotFile)) {
      const wid = widOf(line);
      if (wanted.has(wid)) stored.set(wid, JSON.parse(line) as NormalizedWorker);
    }
    ctx.heartbeat?.();
    return records.map((r) => mergeUnfetched(r, stored.get(r.wid), unfetched));
  }

  async function deliverPage(
    ctx: Parameters<Sink['deliverPage']>[0],
    fetched: NormalizedWorker[],
  ): Promise<DeliveryResult> {
    const file = pageFile(ctx.key.runId, ctx.key.page);
    if ((await exists(file)) || (await exists(finalizedMarker(ctx.key.runId)))) {
      return { alreadyDelivered: true, inserted: 0, updated: 0, unchanged: 0, outcomes: [] };
    }
    const records = await withStoredSections(ctx, fetched);
    await writeFileAtomic(
      file,
      records.map((r) => `${toLine(r)}\n`),
    );
    ctx.heartbeat?.();
    const outcomes = records.map((r): RecordOutcome => {
      const hash = contentHash(r);
      const before = ctx.deliveredHashes?.get(r.wid);
      return {
        wid: r.wid,
        hash,
        action: before === undefined ? 'inserted' : before === hash ? 'unchanged' : 'updated',
      };
    });
    const count = (a: RecordOutcome['action']) => outcomes.filter((o) => o.action === a).length;
    return {
      alreadyDelivered: false,
      inserted: count('inserted'),
      updated: count('updated'),
      unchanged: count('unchanged'),
      outcomes,
    };
  }

  async function deliveredPages(ctx: FinalizeContext): Promise<number[]> {
    let names: string[];
    try {
      names = await fs.readdir(runDir(ctx.runId));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const wanted = 'through' in ctx.pages ? undefined : new Set(ctx.pages);
    const limit = 'through' in ctx.pages ? ctx.pages.through : Number.POSITIVE_INFINITY;
    return names
      .map((n) => /^page-(\d+)\.jsonl$/.exec(n)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .filter((p) => p <= limit && (!wanted || wanted.has(p)))
      .sort((a, b) => a - b);
  }

  /** Complete full run: the snapshot is exactly the run's pages, in page order. */
  async function buildFull(ctx: FinalizeContext, previous: string[] | undefined) {
    const seen = new Set<string>();
    async function* content() {
      for (const page of pagesOf(ctx.pages)) {
        for await (const line of lines(pageFile(ctx.runId, page))) {
          const wid = widOf(line);
          // One snapshot holds each WID once; a repeat across pages is the same record again.
          if (seen.has(wid)) continue;
          seen.add(wid);
          yield `${line}\n`;
        }
      }
    }
    await writeFileAtomic(snapshotFile, content());
    const removedWids = (previous ?? []).filter((wid) => !seen.has(wid));
    return { workers: seen.size, removedWids };
  }

  /** Delta (or incomplete full) run: the old snapshot with this run's records replacing or added. */
  async function buildMerge(ctx: FinalizeContext) {
    const delta = new Map<string, string>();
    // The page files this run left, not every page it planned (a cancelled run may have planned
    // far more than it delivered).
    for (const page of await deliveredPages(ctx)) {
      for await (const line of lines(pageFile(ctx.runId, page))) delta.set(widOf(line), line);
    }
    let workers = 0;
    async function* content() {
      if (await exists(snapshotFile)) {
        for await (const line of lines(snapshotFile)) {
          const wid = widOf(line);
          const replacement = delta.get(wid);
          delta.delete(wid);
          workers++;
          yield `${replacement ?? line}\n`;
        }
      }
      for (const line of delta.values()) {
        workers++;
        yield `${line}\n`;
      }
    }
    await writeFileAtomic(snapshotFile, content());
    return { workers, removedWids: [] as string[] };
  }

  async function previousWids(): Promise<string[] | undefined> {
    if (!(await exists(snapshotFile))) return undefined;
    const wids: string[] = [];
    for await (const line of lines(snapshotFile)) wids.push(widOf(line));
    return wids;
  }

  /**
   * The newest-snapshot rule, per record: the marker is the newest as-of of any run folded in, so a
   * run at or after it is newer than every record the file holds, and a run before it is folded in
   * not at all (its records could only be older than what a newer run delivered or confirmed).
   */
  async function finalizeRun(ctx: FinalizeContext): Promise<FinalizeResult> {
    return locked(() => finalizeLocked(ctx));
  }

  async function finalizeLocked(ctx: FinalizeContext): Promise<FinalizeResult> {
    if (await exists(finalizedMarker(ctx.runId))) return { removed: 0, removedWids: [] };
    const meta = await readMeta();
    const stale = meta !== undefined && Date.parse(meta.asOfEntry) > Date.parse(ctx.asOfEntry);
    let result: FinalizeResult = { removed: 0, removedWids: [] };
    if (!stale) {
      const full = ctx.mode === 'full' && ctx.complete;
      if (full) {
        const missing = await firstMissing(ctx.pages, (page) => exists(pageFile(ctx.runId, page)));
        if (missing.length > 0) {
          throw new Error(
            `sink ${name}: cannot build the snapshot of run ${ctx.runId}, pages ${missing.join(', ')} ` +
              'were never delivered to it; deliver them first (wdsync replay) or finalize with complete=false',
          );
        }
      }
      const built = full ? await buildFull(ctx, await previousWids()) : await buildMerge(ctx);
      const next: SnapshotMeta = {
        runId: ctx.runId,
        mode: ctx.mode,
        asOfEntry: ctx.asOfEntry,
        workers: built.workers,
        finalizedAt: new Date().toISOString(),
      };
      await writeFileAtomic(metaFile, `${JSON.stringify(next, null, 2)}\n`);
      result = { removed: built.removedWids.length, removedWids: built.removedWids };
    }
    // The marker keeps a late retry of deliverPage from re-creating the run's page files.
    await writeFileAtomic(finalizedMarker(ctx.runId), `${new Date().toISOString()}\n`);
    await fs.rm(runDir(ctx.runId), { recursive: true, force: true });
    return result;
  }

  return {
    name,
    type: 'jsonl',
    capabilities: {
      comparesHashes: false,
      keepsUnfetchedSections: true,
      marksRemovals: true,
      // A run's page files are folded into the snapshot and deleted at finalize.
      ledgerOutlivesRun: false,
      // A page file is written atomically; the snapshot is replaced atomically at finalize.
      transactional: true,
      batchSize: Number.POSITIVE_INFINITY,
    },
    async init() {
      await fs.mkdir(runsDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    },
    deliverPage,
    finalizeRun,
    resetMarkers: (limit) =>
      locked(async () => {
        const meta = await readMeta();
        if (!meta || Date.parse(meta.asOfEntry) <= Date.parse(limit)) return {};
        await writeFileAtomic(metaFile, `${JSON.stringify({ ...meta, asOfEntry: limit }, null, 2)}\n`);
        return { snapshotWas: meta.asOfEntry };
      }),
    async close() {},
  };
}
