import { ErrorType } from '../errors/types';
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  workflowInfo,
} from '@temporalio/workflow';
import type { WorkdayActivities } from '../activities';
import { fetchToStaging } from './fetch-to-staging';
import { sinkActivities, tunedBookkeepingActivities, workdayActivities } from './proxies';
import type {
  PlannedPage,
  ReplayCarry,
  ReplayFailure,
  ReplayInput,
  ReplayPlan,
  ReplaySummary,
} from './replay-types';
import { runIdProblem } from './ids';
import { failureMessage } from './sync-page';
import type { WorkdayConnectionId } from './connection';
import type { ActivityTuning } from './types';

function proxies(tuning: ActivityTuning | undefined, connection: WorkdayConnectionId | undefined) {
  return {
    workday: workdayActivities(tuning, connection),
    sinks: sinkActivities(tuning, connection),
    books: tunedBookkeepingActivities(tuning, connection),
    planning: tunedBookkeepingActivities(tuning, connection, {
      nonRetryableErrorTypes: [ErrorType.ReplayPlan],
    }),
  };
}
type Proxies = ReturnType<typeof proxies>;

export const DEFAULT_REPLAY_CONCURRENCY = 4;

/**
 * Replays part of a finished sync run to chosen sinks: given pages, the run's failed pages, or the
 * pages holding given workers. Reads staging by default; fetches a page again from Workday (at the
 * run's original pinned as-of, same page size and scope) with --refetch or when it was never staged.
 * Idempotent: sinks' ledgers and content hashes make a second replay change nothing.
 */
export async function replayRun(input: ReplayInput): Promise<ReplaySummary> {
  const badId = runIdProblem(input.runId) ?? runIdProblem(input.replayId, 'replay id');
  if (badId) throw ApplicationFailure.nonRetryable(badId, ErrorType.InvalidRunId);
  const a = proxies(input.tuning, input.connection);
  const { planning, sinks, books } = a;
  const c: ReplayCarry = input.carry ?? {
    plan: await planning.planReplay(input),
    next: 0,
    startedAt: new Date().toISOString(),
    replayed: [],
    refetched: [],
    perSink: {},
    stillFailing: [],
    replayKeyed: {},
    executions: 1,
  };
  const plan = c.plan;
  const concurrency = input.concurrency ?? DEFAULT_REPLAY_CONCURRENCY;

  // Workers never found in the run but asked for with --refetch: fetch them by reference, once.
  if (!input.carry && plan.byReference?.length && plan.spec) {
    await fetchByReference(a, plan, c);
  }

  let inFlight = 0;
  for (;;) {
    await condition(() => inFlight < concurrency);
    if (c.next >= plan.pages.length || workflowInfo().continueAsNewSuggested) break;
    const page = plan.pages[c.next]!;
    c.next += 1;
    inFlight += 1;
    void replayPage(a, plan, c, page, plan.runId).finally(() => {
      inFlight -= 1;
    });
  }
  await condition(() => inFlight === 0);
  if (c.next < plan.pages.length) {
    await condition(allHandlersFinished);
    c.executions += 1;
    return continueAsNew<typeof replayRun>({ ...input, carry: c });
  }

  const finalized: Record<string, string> = {};
  for (const sink of plan.sinks) {
    const sinkFailing = c.stillFailing.some((f) => f.sink === undefined || f.sink === sink);
    try {
      finalized[sink] = await sinks.replayFinalizeSink({
        runId: plan.runId,
        replayRunId: plan.replayRunId,
        sink,
        mode: plan.mode,
        replayKeyedPages: c.replayKeyed[sink] ?? [],
        totalPages: plan.totalPages,
        asOfEntry: plan.asOf.entryMoment,
        completeOriginal: plan.completeOriginal && !sinkFailing,
      });
    } catch (err) {
      finalized[sink] = `finalize failed: ${failureMessage(err)}`;
      c.stillFailing.push({ page: 0, sink, error: finalized[sink]! });
    }
  }

  const endedAt = new Date().toISOString();
  const target = 'pages' in input.target ? 'pages' : 'failed' in input.target ? 'failed' : 'workers';
  const nothing = plan.pages.length === 0 && !plan.byReference?.length;
  const summary: ReplaySummary = {
    replayId: input.replayId,
    replayRunId: plan.replayRunId,
    runId: plan.runId,
    status: c.stillFailing.length ? 'COMPLETED_WITH_FAILURES' : nothing ? 'NOTHING_TO_REPLAY' : 'COMPLETED',
    target,
    asOf: plan.asOf,
    pagesReplayed: [...c.replayed].sort((a, b) => a - b),
    pagesRefetched: [...c.refetched].sort((a, b) => a - b),
    perSink: c.perSink,
    stillFailing: c.stillFailing,
    workersNotFound: plan.byReference
      ? plan.byReference.filter((id) => !c.matched?.includes(id))
      : plan.notFound,
    finalized,
    startedAt: c.startedAt,
    endedAt,
    durationMs: Date.parse(endedAt) - Date.parse(c.startedAt),
    executions: c.executions,
  };
  await books.recordReplayEnd({ summary, markPages: target === 'workers' ? [] : summary.pagesReplayed });
  return summary;
}

async function replayPage(
  { workday, sinks }: Proxies,
  plan: ReplayPlan,
  c: ReplayCarry,
  p: PlannedPage,
  stagingRunId: string,
): Promise<void> {
  if (p.fetch) {
    try {
      // A page too large for Workday is re-fetched as smaller pages, as in the run.
      await fetchToStaging(workday, sinks, plan.spec!, p.page);
      if (stagingRunId === plan.runId) c.refetched.push(p.page);
    } catch (err) {
      c.stillFailing.push({ page: p.page, error: failureMessage(err) });
      return;
    }
  }
  const failures: ReplayFailure[] = [];
  await Promise.all(
    p.sinks.map(async (sink) => {
      try {
        const d = await sinks.replayDeliverPage({
          runId: plan.runId,
          replayRunId: plan.replayRunId,
          stagingRunId,
          page: p.page,
          sink,
          asOfEntry: plan.asOf.entryMoment,
          workerIds: stagingRunId === plan.runId ? plan.workerIds : undefined,
          reportIds: stagingRunId === plan.runId ? undefined : plan.byReference,
        });
        for (const id of d.matched ?? []) {
          c.matched = c.matched ?? [];
          if (!c.matched.includes(id)) c.matched.push(id);
        }
        const t = c.perSink[sink] ?? { inserted: 0, updated: 0, unchanged: 0, alreadyDelivered: 0 };
        c.perSink[sink] = t;
        t.inserted += d.inserted;
        t.updated += d.updated;
        t.unchanged += d.unchanged;
        if (d.alreadyDelivered) t.alreadyDelivered += 1;
        if (d.ledgerRunId === plan.replayRunId && d.records > 0 && !d.alreadyDelivered) {
          const keyed = c.replayKeyed[sink] ?? [];
          c.replayKeyed[sink] = keyed;
          if (!keyed.includes(p.page)) keyed.push(p.page);
        }
      } catch (err) {
        failures.push({ page: p.page, sink, error: failureMessage(err) });
      }
    }),
  );
  c.stillFailing.push(...failures);
  if (failures.length === 0 && stagingRunId === plan.runId) c.replayed.push(p.page);
}

/**
 * --worker with --refetch for ids found on no page of the run: ask Workday for exactly those
 * workers (Request_References) at the run's as-of, staged under the replay's own run id.
 */
async function fetchByReference(a: Proxies, plan: ReplayPlan, c: ReplayCarry): Promise<void> {
  const ids = plan.byReference!;
  const spec = {
    ...plan.spec!,
    runId: plan.replayRunId,
    pageSize: Math.min(999, Math.max(1, ids.length)),
    scope: { ...(plan.spec!.scope ?? {}), workerIds: ids },
  };
  let totalPages = 1;
  for (let page = 1; page <= totalPages; page++) {
    let fetched: Awaited<ReturnType<WorkdayActivities['fetchPage']>>;
    try {
      fetched = await fetchToStaging(a.workday, a.sinks, spec, page);
    } catch (err) {
      c.stillFailing.push({
        page: 0,
        error: `fetching workers ${ids.join(', ')} by reference: ${failureMessage(err)}`,
      });
      return;
    }
    totalPages = fetched.totalPages;
    if (fetched.valid === 0) continue;
    await replayPage(
      a,
      { ...plan, spec, workerIds: undefined },
      c,
      { page, sinks: plan.sinks, fetch: false },
      plan.replayRunId,
    );
  }
}
