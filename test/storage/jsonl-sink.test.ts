import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { contentHash } from '../../src/sinks/hash';
import { createJsonlSink } from '../../src/sinks/jsonl';
import type { Sink } from '../../src/sinks/types';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import { tempDir, widOf, worker, workers } from './helpers';

const T1 = '2024-01-01T00:00:00.000Z';
const T2 = '2024-02-01T00:00:00.000Z';
const T3 = '2024-03-01T00:00:00.000Z';

describe('jsonl sink', () => {
  let dir: string;
  let remove: () => void;
  let sink: Sink;
  beforeEach(async () => {
    ({ dir, remove } = tempDir());
    sink = createJsonlSink({ name: 'files', dir });
    await sink.init();
  });
  afterEach(() => remove());

  const snapshot = (): NormalizedWorker[] =>
    readFileSync(path.join(dir, 'workers.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  const leftovers = () => readdirSync(dir).filter((n) => n.endsWith('.tmp'));

  async function run(
    runId: string,
    asOfEntry: string,
    pages: NormalizedWorker[][],
    mode: 'full' | 'delta' = 'full',
  ) {
    for (const [i, records] of pages.entries()) {
      await sink.deliverPage({ key: { runId, page: i + 1 }, asOfEntry }, records);
    }
    return sink.finalizeRun!({ runId, mode, pages: pages.map((_, i) => i + 1), complete: true, asOfEntry });
  }

  test('change detection: records are inserted, updated or unchanged against their last delivered hash', async () => {
    const [a, b, c] = [worker(1), worker(2), worker(3)];
    const deliveredHashes = new Map([
      [a.wid, contentHash(a)],
      [b.wid, contentHash(worker(2, 0))],
    ]);
    const res = await sink.deliverPage({ key: { runId: 'cd-1', page: 1 }, asOfEntry: T1, deliveredHashes }, [
      a,
      b,
      c,
    ]);
    assert.deepEqual([res.unchanged, res.updated, res.inserted], [1, 1, 1]);
    assert.deepEqual(
      res.outcomes.map((o) => [o.wid, o.action]),
      [
        [a.wid, 'unchanged'],
        [b.wid, 'updated'],
        [c.wid, 'inserted'],
      ],
    );
  });

  test('full run: the snapshot is the pages in page order, one line per worker, built atomically', async () => {
    const first = await sink.deliverPage({ key: { runId: 'full-1', page: 1 }, asOfEntry: T1 }, workers(1, 3));
    assert.equal(first.inserted, 3);
    const again = await sink.deliverPage({ key: { runId: 'full-1', page: 1 }, asOfEntry: T1 }, workers(1, 3));
    assert.equal(again.alreadyDelivered, true);
    await sink.deliverPage({ key: { runId: 'full-1', page: 2 }, asOfEntry: T1 }, workers(4, 5));
    assert.equal(existsSync(path.join(dir, 'workers.jsonl')), false, 'nothing visible before finalize');

    const result = await sink.finalizeRun!({
      runId: 'full-1',
      mode: 'full',
      pages: [1, 2],
      complete: true,
      asOfEntry: T1,
    });
    assert.equal(result.removed, 0);
    assert.deepEqual(snapshot(), workers(1, 5));
    assert.match(readFileSync(path.join(dir, 'workers.jsonl'), 'utf8'), /^\{"wid":"[0-9a-f]{32}"/);
    assert.deepEqual(leftovers(), []);
    assert.deepEqual(readdirSync(path.join(dir, '.runs')), ['full-1.finalized'], 'page files removed');
    // A late retry after finalize neither writes pages again nor changes the snapshot.
    const late = await sink.deliverPage({ key: { runId: 'full-1', page: 2 }, asOfEntry: T1 }, workers(4, 5));
    assert.equal(late.alreadyDelivered, true);
    assert.deepEqual(
      await sink.finalizeRun!({
        runId: 'full-1',
        mode: 'full',
        pages: [1, 2],
        complete: true,
        asOfEntry: T1,
      }),
      {
        removed: 0,
        removedWids: [],
      },
    );
  });

  test('the next full run replaces the snapshot and reports who left', async () => {
    await run('full-1', T1, [workers(1, 3), workers(4, 5)]);
    const result = await run('full-2', T2, [[worker(1, 2), worker(2), worker(4)], [worker(6)]]);
    assert.deepEqual(result, { removed: 2, removedWids: [widOf(3), widOf(5)] });
    assert.deepEqual(snapshot(), [worker(1, 2), worker(2), worker(4), worker(6)]);
  });

  test('delta run: changed lines replaced in place, new workers appended, the rest kept', async () => {
    await run('full-1', T1, [workers(1, 4)]);
    await run('delta-1', T2, [[worker(2, 2)], [worker(9)]], 'delta');
    assert.deepEqual(snapshot(), [worker(1), worker(2, 2), worker(3), worker(4), worker(9)]);
    assert.deepEqual(leftovers(), []);
  });

  test('an incomplete full run merges like a delta instead of dropping workers', async () => {
    await run('full-1', T1, [workers(1, 4)]);
    await sink.deliverPage({ key: { runId: 'full-2', page: 1 }, asOfEntry: T2 }, [worker(1, 3)]);
    const r = await sink.finalizeRun!({
      runId: 'full-2',
      mode: 'full',
      pages: [1, 2],
      complete: false,
      asOfEntry: T2,
    });
    assert.equal(r.removed, 0);
    assert.deepEqual(snapshot(), [worker(1, 3), ...workers(2, 4)]);
  });

  test('a complete full run with an undelivered page refuses to build the snapshot', async () => {
    await sink.deliverPage({ key: { runId: 'full-1', page: 1 }, asOfEntry: T1 }, workers(1, 2));
    await assert.rejects(
      sink.finalizeRun!({ runId: 'full-1', mode: 'full', pages: [1, 2], complete: true, asOfEntry: T1 }),
      /pages 2 were never delivered/,
    );
  });

  test('an older run finalized late never replaces a newer snapshot', async () => {
    await run('full-3', T3, [[worker(1, 3)]]);
    await run('full-2', T2, [[worker(1, 2), worker(2)]]);
    assert.deepEqual(snapshot(), [worker(1, 3)]);
  });
  test('an older and a newer run finalizing at the same time: the snapshot file ends as the newer one (issue 19)', async () => {
    // The older run is large, so its snapshot build is the slower one and, without turns, its
    // write lands last. Two sink instances on one directory, as two worker processes have.
    const other = createJsonlSink({ name: 'files', dir });
    const older = workers(1, 20_000, 1);
    const newer = workers(1, 20_000, 2).slice(0, 50);
    for (let p = 0; p * 1000 < older.length; p++) {
      await other.deliverPage(
        { key: { runId: 'old-run', page: p + 1 }, asOfEntry: T1 },
        older.slice(p * 1000, (p + 1) * 1000),
      );
    }
    await sink.deliverPage({ key: { runId: 'new-run', page: 1 }, asOfEntry: T2 }, newer);
    const pages = Array.from({ length: 20 }, (_, i) => i + 1);
    await Promise.all([
      other.finalizeRun!({ runId: 'old-run', mode: 'full', pages, complete: true, asOfEntry: T1 }),
      sink.finalizeRun!({ runId: 'new-run', mode: 'full', pages: [1], complete: true, asOfEntry: T2 }),
    ]);
    const meta = JSON.parse(readFileSync(path.join(dir, 'workers.meta.json'), 'utf8'));
    assert.equal(meta.runId, 'new-run', 'the marker names the newer run');
    assert.deepEqual(snapshot(), newer, 'the snapshot file holds the newer run');
    assert.deepEqual(leftovers(), []);
  });

  test('reduced response groups keep the snapshot sections that were not fetched', async () => {
    await run('g-full', T1, [[worker(1), worker(2)]]);
    const partial = (n: number): NormalizedWorker => {
      const { employment: _e, organizations: _o, compensation: _c, ...rest } = worker(n);
      return { ...rest, personal: { ...rest.personal!, workEmail: `new${n}@example.com` } };
    };
    const merged1 = { ...worker(1), personal: partial(1).personal };
    const groups = { personal: true, employment: false, compensation: false, organizations: false };
    const res = await sink.deliverPage(
      {
        key: { runId: 'g-p', page: 1 },
        asOfEntry: T2,
        responseGroups: groups,
        deliveredHashes: new Map([[worker(1).wid, contentHash(merged1)]]),
      },
      [partial(1), partial(3)],
    );
    assert.deepEqual(
      res.outcomes.map((o) => [o.action, o.hash]),
      [
        ['unchanged', contentHash(merged1)],
        ['inserted', contentHash(partial(3))],
      ],
    );
    await sink.finalizeRun!({ runId: 'g-p', mode: 'delta', pages: [1], complete: true, asOfEntry: T2 });
    const byWid = new Map(snapshot().map((r) => [r.wid, r]));
    assert.deepEqual(byWid.get(worker(1).wid), JSON.parse(JSON.stringify(merged1)));
    assert.deepEqual(byWid.get(worker(2).wid), worker(2), 'not in the run: untouched');
    assert.deepEqual(byWid.get(widOf(3)), JSON.parse(JSON.stringify(partial(3))));
  });

  test('run ids "." and ".." never reach past the sink\'s .runs directory', async () => {
    await run('full-1', T1, [workers(1, 3)]);
    const published = readFileSync(path.join(dir, 'workers.jsonl'), 'utf8');
    const entries = readdirSync(dir).sort();
    for (const runId of ['.', '..']) {
      await assert.rejects(
        sink.deliverPage({ key: { runId, page: 1 }, asOfEntry: T2 }, workers(4, 5)),
        /resolves outside/,
        `deliverPage ${runId}`,
      );
      // With "..", finalize once deleted the whole sink directory, workers.jsonl included.
      for (const complete of [true, false]) {
        await assert.rejects(
          sink.finalizeRun!({ runId, mode: 'full', pages: [1], complete, asOfEntry: T2 }),
          /resolves outside/,
          `finalizeRun ${runId} complete=${complete}`,
        );
      }
    }
    assert.equal(
      readFileSync(path.join(dir, 'workers.jsonl'), 'utf8'),
      published,
      'the snapshot is untouched',
    );
    assert.deepEqual(readdirSync(dir).sort(), entries, 'no file appeared or vanished in the sink directory');
    assert.ok(existsSync(path.join(dir, '.runs')));
  });
});
