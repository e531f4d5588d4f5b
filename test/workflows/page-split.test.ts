import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type PageSlice,
  describeSplit,
  rowsInSnapshot,
  rowsOf,
  splitSlice,
} from '../../src/domain/page-split';

/* The arithmetic of a page split: the smaller requests ask Workday for exactly the page's rows. */

/** Rows of each piece, as [first, end) ranges, checked to tile the page's rows in order. */
function assertTiles(whole: PageSlice, pieces: PageSlice[]) {
  const { first, end } = rowsOf(whole);
  let at = first;
  for (const p of pieces) {
    assert.ok(
      Number.isInteger(p.count) && p.count >= 1 && p.count <= 999,
      `Count ${p.count} is a valid Count`,
    );
    assert.ok(p.count < whole.count, `Count ${p.count} is smaller than ${whole.count}`);
    assert.ok(Number.isInteger(p.page) && p.page >= 1, `Page ${p.page} is a valid Page`);
    assert.equal(rowsOf(p).first, at, `piece ${JSON.stringify(p)} starts where the last one ended`);
    at = rowsOf(p).end;
  }
  assert.equal(at, end, `the pieces of ${JSON.stringify(whole)} end where the page ends`);
}

test('Count 999 page n splits into Count 333 pages 3n-2..3n', () => {
  for (const n of [1, 2, 7, 1001]) {
    assert.deepEqual(splitSlice({ page: n, count: 999 }), [
      { page: 3 * n - 2, count: 333 },
      { page: 3 * n - 1, count: 333 },
      { page: 3 * n, count: 333 },
    ]);
  }
  // And again, for a piece still too large: Count 333 page 8 → Count 111 pages 22..24.
  assert.deepEqual(splitSlice({ page: 8, count: 333 }), [
    { page: 22, count: 111 },
    { page: 23, count: 111 },
    { page: 24, count: 111 },
  ]);
});

test('every Count 2..999 on many pages splits into smaller valid requests covering exactly its rows', () => {
  let most = 0;
  for (let count = 2; count <= 999; count++) {
    for (const page of [1, 2, 3, 5, 17, 64, 333, 1000]) {
      const pieces = splitSlice({ page, count });
      assertTiles({ page, count }, pieces);
      for (const p of pieces) assert.ok(p.count <= Math.ceil(count / 3), `${p.count} ≤ a third of ${count}`);
      most = Math.max(most, pieces.length);
    }
  }
  // A Count that does not divide by three takes more pieces, never many more.
  assert.ok(most <= 16, `at most ${most} pieces`);
  // A prime Count in the middle of the snapshot still splits exactly.
  const pieces = splitSlice({ page: 2, count: 997 });
  assertTiles({ page: 2, count: 997 }, pieces);
});

test('a single row cannot be split; nonsense is refused', () => {
  assert.deepEqual(splitSlice({ page: 40, count: 1 }), []);
  assert.throws(() => splitSlice({ page: 0, count: 999 }), RangeError);
  assert.throws(() => splitSlice({ page: 1, count: 2.5 }), RangeError);
});

test('the last page of a snapshot: pieces past its end hold no rows, the rest hold exactly its rows', () => {
  // 2,950 workers at Count 999: page 3 holds rows 1998..2949 (952 rows).
  const total = 2950;
  const pieces = splitSlice({ page: 3, count: 999 });
  assert.deepEqual(pieces, [
    { page: 7, count: 333 },
    { page: 8, count: 333 },
    { page: 9, count: 333 },
  ]);
  assert.deepEqual(
    pieces.map((p) => rowsInSnapshot(p, total)),
    [333, 333, 286],
  );
  // 1,200 workers: page 2 holds rows 999..1199 (201 rows); its second and third pieces are past
  // the end, and its first, split again, ends mid-piece.
  const p2 = splitSlice({ page: 2, count: 999 });
  assert.deepEqual(
    p2.map((p) => rowsInSnapshot(p, 1200)),
    [201, 0, 0],
  );
  const again = splitSlice(p2[0]!);
  assert.deepEqual(again, [
    { page: 10, count: 111 },
    { page: 11, count: 111 },
    { page: 12, count: 111 },
  ]);
  assert.deepEqual(
    again.map((p) => rowsInSnapshot(p, 1200)),
    [111, 90, 0],
  );
});

test('describeSplit names the requests a page came as', () => {
  const part = (page: number, count: number, rows: number) => ({ page, count, rows, bytes: rows * 15_000 });
  assert.equal(
    describeSplit({
      parts: [part(7, 333, 333), part(8, 333, 333), part(9, 333, 286)],
      resplit: [],
    }),
    '3 × Count 333 (pages 7–9)',
  );
  assert.equal(
    describeSplit({
      parts: [part(1, 111, 111), part(2, 111, 111), part(3, 111, 111), part(2, 333, 333)],
      resplit: [{ page: 1, count: 333 }],
    }),
    '3 × Count 111 (pages 1–3) + 1 × Count 333 (page 2); split again: 1',
  );
});
