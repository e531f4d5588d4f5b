/**
 * The arithmetic of splitting a Get_Workers page that Workday cannot answer whole. A request
 * (Page p, Count c) covers rows [(p-1)·c, p·c) of the pinned snapshot, so a smaller request can
 * only stand for rows that start on a multiple of its own Count. Splitting page n of Count 999 in
 * three gives Count 333 pages 3n−2..3n: the same rows, in the same order, nothing more.
 *
 * Deterministic and dependency-free: the page workflow plans its sub-requests with it.
 */

/** One Get_Workers request: rows [(page-1)·count, page·count) of the snapshot. */
export interface PageSlice {
  page: number;
  count: number;
}

/** Pieces a too-large request is split into (about a third of its Count each). */
export const SPLIT_FACTOR = 3;

/** The snapshot rows a request stands for, 0-based, end exclusive. */
export function rowsOf(s: PageSlice): { first: number; end: number } {
  return { first: (s.page - 1) * s.count, end: s.page * s.count };
}

/**
 * Smaller requests covering exactly the rows of `s`, in row order, each Count at most
 * ceil(count / factor). Each piece is the largest Count that fits there and starts on a multiple
 * of itself, so a Count that divides by the factor splits evenly (999 → 3 × 333) and any other
 * Count still splits exactly, in a few more pieces (997 on page 2 → 1, 2, 250, 250, 300, 180, 12,
 * 2). A single row cannot be split: [].
 */
export function splitSlice(s: PageSlice, factor = SPLIT_FACTOR): PageSlice[] {
  if (!Number.isInteger(s.page) || !Number.isInteger(s.count) || s.page < 1 || s.count < 1) {
    throw new RangeError(`not a Get_Workers page: page ${s.page}, count ${s.count}`);
  }
  if (s.count === 1) return [];
  const target = Math.max(1, Math.ceil(s.count / Math.max(2, factor)));
  const { first, end } = rowsOf(s);
  const pieces: PageSlice[] = [];
  for (let at = first; at < end; ) {
    let size = Math.min(target, end - at);
    while (at % size !== 0) size--;
    pieces.push({ page: at / size + 1, count: size });
    at += size;
  }
  return pieces;
}

/**
 * The rows of `s` that exist in a snapshot of `total` rows. A piece past the end is never asked
 * for: Workday has nothing to put on it.
 */
export function rowsInSnapshot(s: PageSlice, total: number): number {
  const { first, end } = rowsOf(s);
  return Math.max(0, Math.min(end, total) - first);
}

/** How one page was split, for the audit trail (no worker data: pages, counts, sizes). */
export interface PageSplit {
  /** Why the page was split: the size fault's text, or the repeated cut or timeout. */
  reason: string;
  /** The requests that answered, in row order (pieces past the snapshot's end are left out). */
  parts: SplitPart[];
  /** Requests that were themselves too large and split again, in the order they were tried. */
  resplit: PageSlice[];
}

export interface SplitPart extends PageSlice {
  /** Worker elements received. */
  rows: number;
  /** Decompressed body bytes. */
  bytes: number;
}

/** "3 requests of Count 333 (pages 7–9)", for status lines and the audit table. */
export function describeSplit(split: Pick<PageSplit, 'parts' | 'resplit'>): string {
  const byCount = new Map<number, number[]>();
  for (const p of split.parts) byCount.set(p.count, [...(byCount.get(p.count) ?? []), p.page]);
  const groups = [...byCount].map(([count, pages]) => {
    const range = pages.length > 1 && pages.at(-1)! - pages[0]! === pages.length - 1;
    const list = range ? `${pages[0]}–${pages.at(-1)}` : pages.join(', ');
    return `${pages.length} × Count ${count} (page${pages.length > 1 ? 's' : ''} ${list})`;
  });
  const again = split.resplit.length ? `; split again: ${split.resplit.length}` : '';
  return `${groups.join(' + ')}${again}`;
}
