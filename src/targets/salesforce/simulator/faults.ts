import type { FaultRule } from './options';

/** Seeded so a test's fault pattern repeats from run to run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What every simulator's fault rule has: a type, and a share or a count of what it hits. */
export interface BaseFaultRule {
  type: string;
  rate?: number;
  next?: number;
}

type LiveRule<R> = R & { left?: number };

/** Seeded fault rules, shared by the target simulators (each has its own rule types). */
export class Faults<R extends BaseFaultRule = FaultRule> {
  private rules: LiveRule<R>[] = [];
  private random: () => number;

  constructor(
    rules: R[],
    private readonly seed: number,
  ) {
    this.random = mulberry32(seed);
    this.set(rules);
  }

  set(rules: R[]): void {
    this.rules = rules.map((r) => ({ ...r, left: r.next }));
    this.random = mulberry32(this.seed);
  }

  /**
   * The rules still live, `next` counting what is left. A spent `next` rule is left out: it fires no
   * more, and `next: 0` is no rule a simulator accepts, so what this lists can always be set again.
   */
  list(): R[] {
    return this.rules
      .filter((r) => r.left === undefined || r.left > 0)
      .map(({ left, ...r }) => ({ ...r, ...(left !== undefined ? { next: left } : {}) }) as R);
  }

  /** The rule of this type that fires now, if any (consuming one of its `next`). */
  fire(type: R['type']): R | undefined {
    for (const r of this.rules) {
      if (r.type !== type) continue;
      if (r.left !== undefined) {
        if (r.left > 0) {
          r.left--;
          return r;
        }
        continue;
      }
      if (r.rate !== undefined && this.random() < r.rate) return r;
    }
    return undefined;
  }
}
