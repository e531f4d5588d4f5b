import { ApplicationFailure, getExternalWorkflowHandle, workflowInfo } from '@temporalio/workflow';
import { innermostCause, innermostType } from '../errors/causes';
import { fetchToStaging } from './fetch-to-staging';
import { pageFetchedSignal } from './messages';
import { sinkActivities, workdayActivities } from './proxies';
import type { WorkdayConnectionId } from './connection';
import type { ActivityTuning, PageOutcome, PageRequestSpec, SinkDelivery } from './types';

export interface SyncPageInput {
  spec: PageRequestSpec;
  page: number;
  sinks: string[];
  tuning?: ActivityTuning;
  /** The run's connection (absent in histories from before runs were bound). */
  connection?: WorkdayConnectionId;
  /** Signal the parent run once fetched, so it frees the page's Workday slot (absent in older runs). */
  signalFetched?: boolean;
}

/**
 * One page: Workday → staging (as smaller pages if Workday cannot answer it whole), then staging →
 * each sink. Sinks are delivered independently, so a
 * sink that is down does not block the others; its failure is reported and it catches up from
 * staging on a replay. A fetch that fails for good fails this child, and the parent records it.
 */
export async function syncPage(input: SyncPageInput): Promise<PageOutcome> {
  const workday = workdayActivities(input.tuning, input.connection);
  const sinks = sinkActivities(input.tuning, input.connection);
  const fetch = await fetchToStaging(workday, sinks, input.spec, input.page);
  const signalled = input.signalFetched ? signalParentFetched(input.page) : undefined;
  const delivered: Record<string, SinkDelivery> = {};
  const sinkErrors: Record<string, string> = {};
  await Promise.all(
    input.sinks.map(async (sink) => {
      try {
        delivered[sink] = await sinks.deliverPage({
          runId: input.spec.runId,
          page: input.page,
          sink,
          asOfEntry: input.spec.asOf.entryMoment,
        });
      } catch (err) {
        sinkErrors[sink] = failureMessage(err);
      }
    }),
  );
  await signalled;
  return { page: input.page, fetch, delivered, sinkErrors };
}

/**
 * Not awaited before delivering, so the sinks start in the same workflow task. A parent that is
 * gone (it closes its children with it) or never hears it loses nothing: the page's end frees
 * the slot too.
 */
async function signalParentFetched(page: number): Promise<void> {
  const parent = workflowInfo().parent;
  if (!parent) return;
  await getExternalWorkflowHandle(parent.workflowId, parent.runId)
    .signal(pageFetchedSignal, page)
    .catch(() => undefined);
}

/** The innermost cause's message, led by its error type: what the operator needs, not the wrapper chain. */
export function failureMessage(err: unknown): string {
  const cur = innermostCause(err);
  if (cur instanceof ApplicationFailure) return cur.type ? `${cur.type}: ${cur.message}` : cur.message;
  return cur instanceof Error ? cur.message : String(cur);
}

/** The error type of a failure, for events and the audit trail: a timeout or a cancellation has no type but its name. */
export const failureType = (err: unknown): string =>
  innermostType(err) ?? (innermostCause(err) as Error | undefined)?.name ?? 'Error';
