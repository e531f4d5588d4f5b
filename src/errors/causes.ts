import { ApplicationFailure } from '@temporalio/common';

/**
 * The innermost cause of a failure: what the operator needs, not Temporal's wrapper chain
 * (WorkflowFailedError → ChildWorkflowFailure → ActivityFailure → ...). An ApplicationFailure ends
 * the walk, since it is what our code threw. Safe in workflow code.
 */
export function innermostCause(err: unknown): unknown {
  let cur = err;
  for (;;) {
    if (cur instanceof ApplicationFailure) return cur;
    const next = (cur as { cause?: unknown } | null | undefined)?.cause;
    if (!next) return cur;
    cur = next;
  }
}

/** The innermost cause's message. */
export function innermostMessage(err: unknown): string {
  const cur = innermostCause(err) as { message?: string } | undefined;
  return cur?.message ?? String(err);
}

/** The innermost ApplicationFailure's type, when there is one. */
export function innermostType(err: unknown): string | undefined {
  const cur = innermostCause(err);
  return cur instanceof ApplicationFailure ? (cur.type ?? undefined) : undefined;
}

/** The first errno-style code (ECONNREFUSED, ENOTFOUND, ...) along the cause chain, if any. */
export function causeCode(err: unknown): string | undefined {
  for (let cur = err, depth = 0; cur && depth < 10; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
