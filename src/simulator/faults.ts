import type { SimClock } from './clock';
import type { FaultPatch, FaultRule, FaultSettings, FaultType, Maintenance } from './options';
import { Salt, unit } from './random';

/**
 * Decides, per request, which injected fault (if any) applies and how slow the answer is.
 * Rates draw from the seed and the request's sequence number, so a run with the same request
 * order sees the same faults.
 */

export interface FaultDecision {
  type: FaultType;
  rule: FaultRule;
}

export class FaultInjector {
  private settings: FaultSettings;
  private remaining: (number | undefined)[] = [];

  constructor(
    initial: FaultSettings,
    private readonly seed: number,
    private readonly clock: SimClock,
  ) {
    this.settings = structuredClone(initial);
    this.remaining = this.settings.rules.map((r) => r.next);
  }

  current(): FaultSettings & { remaining: (number | undefined)[] } {
    return { ...structuredClone(this.settings), remaining: [...this.remaining] };
  }

  apply(patch: FaultPatch): FaultSettings {
    const s = this.settings;
    if (patch.rules !== undefined) {
      s.rules = structuredClone(patch.rules);
      this.remaining = s.rules.map((r) => r.next);
    }
    if (patch.concurrencyCap !== undefined) s.concurrencyCap = patch.concurrencyCap;
    if (patch.capResponse !== undefined) s.capResponse = patch.capResponse;
    if (patch.responseLimit !== undefined) s.responseLimit = structuredClone(patch.responseLimit);
    if (patch.maintenance) {
      const m = { ...s.maintenance };
      for (const [k, v] of Object.entries(patch.maintenance) as [keyof Maintenance, unknown][]) {
        // null (or an explicit undefined from an in-process caller) clears from / until.
        if (v === null || v === undefined) {
          if (k === 'from' || k === 'until') delete m[k];
        } else (m as Record<string, unknown>)[k] = v;
      }
      s.maintenance = m;
    }
    if (patch.latency) s.latency = { ...s.latency, ...patch.latency };
    return structuredClone(s);
  }

  get concurrencyCap(): number | null {
    return this.settings.concurrencyCap;
  }

  get capResponse(): FaultSettings['capResponse'] {
    return this.settings.capResponse;
  }

  get responseLimit(): FaultSettings['responseLimit'] {
    return this.settings.responseLimit;
  }

  /** Seconds until the maintenance window ends, or null when not in maintenance. */
  maintenance(): { retryAfterSec: number } | null {
    const m = this.settings.maintenance;
    const now = this.clock.now();
    const from = m.from ? Date.parse(m.from) : undefined;
    const until = m.until ? Date.parse(m.until) : undefined;
    const inWindow =
      (from !== undefined || until !== undefined) && (from ?? -Infinity) <= now && now < (until ?? Infinity);
    if (!m.active && !inWindow) return null;
    const retryAfterSec =
      until !== undefined && until > now ? Math.ceil((until - now) / 1000) : m.retryAfterSec;
    return { retryAfterSec };
  }

  /** The first rule that fires for this request; `next` counters are consumed only when it fires. */
  decide(seq: number, page: number): FaultDecision | null {
    const rules = this.settings.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i];
      if (r.pages && !r.pages.includes(page)) continue;
      const left = this.remaining[i];
      if (r.next !== undefined && (left === undefined || left <= 0)) continue;
      if (r.rate !== undefined && unit(this.seed, Salt.fault, seq, i) >= r.rate) continue;
      if (r.next !== undefined) this.remaining[i] = (left ?? 0) - 1;
      return { type: r.type, rule: r };
    }
    return null;
  }

  /** Delay before the first byte (ms) and per worker written. */
  latency(seq: number): { beforeMs: number; perWorkerMs: number } {
    const l = this.settings.latency;
    let before = l.baseMs + unit(this.seed, Salt.latency, seq) * l.jitterMs;
    if (l.slowTailRate > 0 && unit(this.seed, Salt.latency, seq, 1) < l.slowTailRate) before += l.slowTailMs;
    return { beforeMs: before, perWorkerMs: l.perWorkerMs };
  }
}
