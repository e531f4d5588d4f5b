/**
 * The simulator's notion of "now". Ticks with real time from a chosen start unless frozen; tests
 * set or advance it to move effective dates, expire tokens or open maintenance windows.
 * now() never goes backwards between calls unless someone sets it back explicitly, and
 * nextMoment() is strictly later than any moment handed out before, so a change entered after a
 * client pinned As_Of_Entry_DateTime can never share that millisecond.
 */
export class SimClock {
  private baseSim: number;
  private baseReal: number;
  private frozen: boolean;
  private last = 0;

  constructor(start: number = Date.now(), frozen = false) {
    this.baseSim = start;
    this.baseReal = Date.now();
    this.frozen = frozen;
  }

  private raw(): number {
    return this.frozen ? this.baseSim : this.baseSim + (Date.now() - this.baseReal);
  }

  now(): number {
    const t = Math.max(this.raw(), this.last);
    this.last = t;
    return t;
  }

  /** A moment strictly after every moment returned so far; moves the clock forward to it. */
  nextMoment(): number {
    const t = Math.max(this.raw(), this.last + 1);
    if (t > this.raw()) this.shift(t - this.raw());
    this.last = t;
    return t;
  }

  set(ms: number, frozen?: boolean): void {
    if (frozen !== undefined) this.frozen = frozen;
    this.baseSim = ms;
    this.baseReal = Date.now();
    this.last = ms;
  }

  advance(ms: number): void {
    this.shift(ms);
    this.last = this.raw();
  }

  isFrozen(): boolean {
    return this.frozen;
  }

  private shift(ms: number): void {
    this.baseSim += ms;
  }
}
