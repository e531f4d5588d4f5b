import { AsyncLocalStorage } from 'node:async_hooks';
import { runAndPageOf } from '../workflows/ids';

/** What every log line of an activity says it is about. Ids and numbers only, never worker data. */
export interface LogContext {
  runId?: string;
  page?: number;
  sink?: string;
  attempt?: number;
  activity?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs fn with ctx as the context of every log line it writes, also in callbacks it schedules. */
export function withLogContext<T>(ctx: LogContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...ctx }, fn);
}

export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}

export const contextOfWorkflowId = (workflowId: string): LogContext => runAndPageOf(workflowId);

/**
 * The run, page and sink an activity's input names: every wdsync activity takes one object
 * with some of runId, page, sink (or spec.runId for Workday calls).
 */
export function contextOfActivityInput(args: unknown[]): LogContext {
  const input = args[0] as Record<string, unknown> | undefined;
  if (!input || typeof input !== 'object') return {};
  const spec = input.spec as Record<string, unknown> | undefined;
  const runId = typeof input.runId === 'string' ? input.runId : spec?.runId;
  const ctx: LogContext = {};
  if (typeof runId === 'string') ctx.runId = runId;
  if (typeof input.page === 'number') ctx.page = input.page;
  if (typeof input.sink === 'string') ctx.sink = input.sink;
  return ctx;
}
