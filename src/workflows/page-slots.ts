/**
 * Which pages of a run may start. The run's concurrency C protects Workday, so it bounds fetches
 * in flight and nothing else: a page whose fetch ended (its child signals pageFetched) gives its
 * Workday slot back while it is delivered to the sinks. Delivery has its own limit (the sinks
 * queue's worker slots, WDSYNC_SINK_CONCURRENCY), and the backlog bounds what is staged but not
 * yet delivered: at most C + backlog pages are in flight, so when a slow or retrying sink lets more
 * than `backlog` pages pile up, fetches wait for deliveries instead of staging without limit.
 *
 * Runs recorded before pages were pipelined (`pipelined` false) keep the old rule: a page holds
 * its slot until its deliveries end.
 */
export const DEFAULT_BACKLOG = 16;
/** Pending children per workflow stay well under Temporal's 2,000 (C is at most 64). */
export const MAX_BACKLOG = 256;

export function backlogProblem(n: unknown, what = 'backlog'): string | undefined {
  return Number.isInteger(n) && (n as number) >= 0 && (n as number) <= MAX_BACKLOG
    ? undefined
    : `${what} must be a whole number from 0 to ${MAX_BACKLOG} (pages staged awaiting delivery), got ${n}`;
}

export class PageSlots {
  private readonly inFlight = new Set<number>();
  private readonly fetching = new Set<number>();

  constructor(
    readonly pipelined: boolean,
    readonly backlog: number,
  ) {}

  started(page: number): void {
    this.inFlight.add(page);
    this.fetching.add(page);
  }

  /** The page's fetch ended: it is staged and being delivered. A late or repeated signal is a no-op. */
  fetched(page: number): void {
    this.fetching.delete(page);
  }

  /** The page's child ended, whatever became of it (also frees the slot of a child that never signalled). */
  ended(page: number): void {
    this.inFlight.delete(page);
    this.fetching.delete(page);
  }

  /** Pages in flight: fetching or delivering. */
  get size(): number {
    return this.inFlight.size;
  }

  /** Pages whose Workday fetch is in flight (all pages in flight when not pipelined). */
  get fetchingCount(): number {
    return this.pipelined ? this.fetching.size : this.inFlight.size;
  }

  /** Whether one more page may start at this concurrency. */
  hasRoom(concurrency: number): boolean {
    if (!this.pipelined) return this.inFlight.size < concurrency;
    return this.fetching.size < concurrency && this.inFlight.size < concurrency + this.backlog;
  }
}
