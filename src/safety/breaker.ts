/**
 * The circuit breaker on deactivations and deletions, apart from Temporal and I/O: the limits a
 * sink has and whether one run's held actions stay under them. A run that would deactivate or
 * delete more than `maxDestructive` records of a sink, or more than `maxDestructivePercent` of
 * what the sink holds, waits for `wdsync approve` or `wdsync reject` before touching any of them.
 * Pure and free of zod: the workflow bundle imports it (settings.ts validates the config).
 */

export const DEFAULT_SAFETY = { maxDestructive: 500, maxDestructivePercent: 10 } as const;

export interface SafetyLimits {
  /** Most deactivations plus deletions one run applies to a sink without approval (0: every one needs it). */
  maxDestructive: number;
  /** The same as a share of the records the sink holds, in percent (100: no share limit). */
  maxDestructivePercent: number;
}
export type SafetyOverride = Partial<SafetyLimits>;

/** The limits of each sink: its own settings over the defaults. */
export interface SafetyPolicy {
  defaults: SafetyLimits;
  perSink?: Record<string, SafetyOverride | undefined>;
}

export function limitsFor(policy: SafetyPolicy | undefined, sink: string): SafetyLimits {
  const d = policy?.defaults ?? DEFAULT_SAFETY;
  return { ...d, ...definedOnly(policy?.perSink?.[sink] ?? {}) };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export interface HeldCounts {
  deactivate: number;
  delete: number;
}

/** What the breaker says of one sink's held actions at the end of a run. */
export interface HeldReview extends HeldCounts {
  /** Records the sink holds (before the held actions). */
  holds: number;
  limits: SafetyLimits;
  /** True: the sink waits for approval. */
  tripped: boolean;
  /** Why it tripped, for people: counts and limits only. */
  reason?: string;
}

export function review(counts: HeldCounts, holds: number, limits: SafetyLimits): HeldReview {
  const total = counts.deactivate + counts.delete;
  const what = `${counts.deactivate} deactivation${counts.deactivate === 1 ? '' : 's'} and ${counts.delete} deletion${counts.delete === 1 ? '' : 's'}`;
  const base = { ...counts, holds, limits };
  if (total > limits.maxDestructive)
    return {
      ...base,
      tripped: true,
      reason: `${what} (${total}) exceed maxDestructive ${limits.maxDestructive}`,
    };
  // Percent of what the sink holds; a sink that holds nothing cannot lose a share of it.
  const percent = holds > 0 ? (total * 100) / holds : 0;
  if (percent > limits.maxDestructivePercent)
    return {
      ...base,
      tripped: true,
      reason: `${what} are ${round(percent)}% of the ${holds} records the sink holds, over maxDestructivePercent ${limits.maxDestructivePercent}`,
    };
  return { ...base, tripped: false };
}

const round = (n: number) => Math.round(n * 10) / 10;

/** The commands an operator runs for a sink waiting for approval. */
export const approvalCommands = (runId: string, sink: string) => ({
  approve: `wdsync approve ${runId} --sink ${sink}`,
  reject: `wdsync reject ${runId} --sink ${sink}`,
});
