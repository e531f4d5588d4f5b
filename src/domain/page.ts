/** Page keys use the sync run id (the workflow id), never Temporal's internal run id. */
export interface PageKey {
  runId: string;
  page: number;
}

/**
 * The pages a run covers: a list, or every page from 1 through N. A plan of a hundred thousand pages
 * stays one number, so nothing allocates per planned page.
 */
export type PageSet = readonly number[] | { readonly through: number };

/** The pages of a PageSet, in order, one at a time. */
export function* pagesOf(pages: PageSet): Generator<number> {
  if ('through' in pages) {
    for (let p = 1; p <= pages.through; p++) yield p;
  } else yield* pages;
}

/** The first `limit` pages of the set for which `has` is false. */
export async function firstMissing(
  pages: PageSet,
  has: (page: number) => boolean | Promise<boolean>,
  limit = 20,
): Promise<number[]> {
  const missing: number[] = [];
  for (const p of pagesOf(pages)) {
    if (!(await has(p))) missing.push(p);
    if (missing.length >= limit) break;
  }
  return missing;
}
