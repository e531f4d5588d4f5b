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
