import { ApplicationFailure } from '@temporalio/common';
import type { WorkdayPort } from '../../src/activities/ports';
import type { Sink } from '../../src/sinks/types';
import type { PageRequestSpec } from '../../src/workflows/types';

/**
 * Fault switches for in-process workers: a page whose Workday fetch fails for good (a validation
 * fault: non-retryable, so the test does not wait out a retry policy) and pages a sink refuses.
 * Clearing a set is "fixing the cause".
 */
export interface Faults {
  /** Page numbers whose fetch fails (only for this run id, when set). */
  fetch: Set<number>;
  /** sink name -> page numbers its deliveries of them fail. */
  sink: Map<string, Set<number>>;
  runId?: string;
}

export function newFaults(): Faults {
  return { fetch: new Set(), sink: new Map() };
}

export function faultyWorkday(
  port: WorkdayPort,
  faults: Faults,
  calls: { spec: PageRequestSpec; page: number; count: number }[] = [],
): WorkdayPort {
  return {
    async fetchPage(spec, page, count, opts) {
      calls.push({ spec, page, count });
      const ours = !faults.runId || spec.runId === faults.runId;
      if (ours && count > 1 && faults.fetch.has(page)) {
        throw Object.assign(new Error(`Processing error occurred (injected fault on page ${page})`), {
          kind: 'validation',
        });
      }
      return port.fetchPage(spec, page, count, opts);
    },
  };
}

export function faultySinks(sinks: ReadonlyMap<string, Sink>, faults: Faults): Map<string, Sink> {
  const out = new Map<string, Sink>();
  for (const [name, sink] of sinks) {
    out.set(name, {
      name: sink.name,
      type: sink.type,
      capabilities: sink.capabilities,
      init: () => sink.init(),
      close: () => sink.close(),
      finalizeRun: sink.finalizeRun ? (ctx) => sink.finalizeRun!(ctx) : undefined,
      async deliverPage(ctx, records) {
        const ours = !faults.runId || ctx.key.runId.startsWith(faults.runId);
        if (ours && faults.sink.get(name)?.has(ctx.key.page)) {
          throw ApplicationFailure.nonRetryable(
            `sink ${name} is down (injected fault on page ${ctx.key.page})`,
            'SinkDown',
          );
        }
        return sink.deliverPage(ctx, records);
      },
    });
  }
  return out;
}
