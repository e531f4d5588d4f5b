import { Context } from '@temporalio/activity';
import type { AuditStore } from '../audit/store';
import { deliveryTotals, finalizeDelivery, sinkNamed } from '../delivery/deliver';
import { ErrorType, TypedError } from '../errors/types';
import { selectSinks } from '../sinks/names';
import type { Sink } from '../sinks/types';
import type { RecoveryStore } from '../replay/store';
import type { NormalizedWorker } from '../domain/worker-record';
import type { PlannedPage, ReplayInput, ReplayPlan, ReplaySummary } from '../workflows/replay-types';
import { replayLedgerRunId } from '../workflows/ids';
import type { PageRequestSpec, RunSummary } from '../workflows/types';
import type { AsOf } from '../domain/as-of';
import type { SyncMode } from '../domain/run';
import type { SyncScope } from '../domain/scope';
import { deliverHeartbeating, heartbeating } from './heartbeat';
import type { ActivityDeps } from './ports';
import { reducedGroups } from './scope-key';

/** What replay activities need beyond the sync activities: the whole audit store and its queries. */
export interface RecoveryPorts {
  audit: AuditStore;
  store: RecoveryStore;
}

const planError = (message: string) => new TypedError(ErrorType.ReplayPlan, message);

/** Whether a sink's replayed page goes under the original run's ledger key (see SinkCapabilities). */
export function usesOriginalLedger(sink: Sink, byWorker: boolean): boolean {
  // A --worker replay is a subset of a page: never the page's key.
  return sink.capabilities.ledgerOutlivesRun && !byWorker;
}

function runSummaryOf(summary: Record<string, unknown> | null): RunSummary | undefined {
  if (!summary || typeof summary !== 'object' || !('status' in summary)) return undefined;
  return summary as unknown as RunSummary;
}

/** Last resort: the run record keeps the page size and scope (not a delta window). */
function specFromRunRecord(run: {
  runId: string;
  mode: string;
  tenant: string;
  scope: Record<string, unknown>;
}): PageRequestSpec | undefined {
  const { pageSize, ...scope } = run.scope ?? {};
  if (typeof pageSize !== 'number' || run.mode === 'delta') return undefined;
  return {
    runId: run.runId,
    tenant: run.tenant,
    pageSize,
    asOf: { entryMoment: '', effectiveDate: '' },
    scope: Object.keys(scope).length ? (scope as PageRequestSpec['scope']) : undefined,
  };
}

/** The recovery ports, or a clear failure on a worker built without them. */
export function recoveryOf(deps: { recovery?: RecoveryPorts }): RecoveryPorts {
  if (!deps.recovery) {
    throw new TypedError(
      ErrorType.WorkerMisconfigured,
      'this worker was built without the recovery store (deps.recovery); build it with buildDeps()',
    );
  }
  return deps.recovery;
}

/** The replay activities that plan and record (bookkeeping; they read and write the state store). */
export function createReplayBookkeeping(deps: ActivityDeps & { recovery?: RecoveryPorts }) {
  const recovery = () => recoveryOf(deps);

  return {
    /**
     * Decides what a replay does: which pages, to which sinks, which must be fetched again. Reads the
     * run record, its page table and staging; records the replay as a run of its own (mode replay).
     */
    async planReplay(input: ReplayInput): Promise<ReplayPlan> {
      const { audit, store } = recovery();
      const { runId } = input;
      const run = await audit.getRun(runId);
      if (!run) throw planError(`no run ${runId} in the audit store; list runs with \`wdsync runs\``);
      if (run.mode === 'replay' || run.mode === 'release') {
        throw planError(`${runId} is itself a replay; replay the original run instead`);
      }
      if (run.status === 'RUNNING' && !run.endedAt) {
        throw planError(`run ${runId} is still running; replay it once it has ended (or cancel it first)`);
      }
      if (!run.asOfEntry || !run.asOfEffective) {
        throw planError(`run ${runId} has no pinned as-of in the audit store; it cannot be replayed`);
      }
      const asOf: AsOf = { entryMoment: run.asOfEntry.toISOString(), effectiveDate: run.asOfEffective };
      const summary = runSummaryOf(run.summary);
      const pageRows = await audit.runPages(runId);
      const totalPages = summary?.pagesTotal ?? Math.max(0, ...pageRows.map((p) => p.totalPages ?? p.page));

      let sinks: string[];
      try {
        sinks = selectSinks(deps.sinks.keys(), input.sinks, 'worker');
      } catch (err) {
        throw planError((err as Error).message);
      }

      const t = input.target;
      let pages: { page: number; sinks: string[] }[] = [];
      let workerIds: string[] | undefined;
      let notFound: string[] = [];
      if ('pages' in t) {
        const bad = t.pages.filter(
          (p) => !Number.isInteger(p) || p < 1 || (totalPages > 0 && p > totalPages),
        );
        if (bad.length) {
          throw planError(`run ${runId} has pages 1..${totalPages}; no page ${bad.join(', ')}`);
        }
        pages = [...new Set(t.pages)].sort((a, b) => a - b).map((page) => ({ page, sinks }));
      } else if ('failed' in t) {
        if (!summary && !pageRows.some((p) => p.status === 'failed')) {
          throw planError(
            `run ${runId} ended ${run.status} without a summary of failed pages; replay explicit pages with --pages`,
          );
        }
        const fetchFailed = new Set<number>([
          ...(summary?.failedPages ?? []),
          ...pageRows.filter((p) => p.status === 'failed').map((p) => p.page),
        ]);
        const bySink = summary?.sinkFailures ?? {};
        const all = new Set<number>([...fetchFailed, ...Object.values(bySink).flat()]);
        pages = [...all]
          .sort((a, b) => a - b)
          .map((page) => ({
            page,
            sinks: fetchFailed.has(page) ? sinks : sinks.filter((s) => bySink[s]?.includes(page)),
          }))
          .filter((p) => p.sinks.length > 0);
      } else {
        const wanted = [...new Set(t.workerIds.map((id) => id.trim()).filter(Boolean))];
        if (!wanted.length) throw planError('--worker needs at least one worker id');
        const found = await store.pagesOfWorkers(runId, wanted);
        const seen = new Set<string>();
        const pageSet = new Set<number>();
        const matches = (id: string, wid: string | null, workerId: string | null) =>
          wid === id.toLowerCase() || workerId === id;
        for (const id of wanted) {
          for (const f of found) {
            if (matches(id, f.wid, f.workerId)) {
              seen.add(id);
              pageSet.add(f.page);
            }
          }
        }
        // Not in the audit trail (e.g. recorded before audit): look through the run's staged pages.
        let missing = wanted.filter((id) => !seen.has(id));
        if (missing.length && totalPages > 0) {
          await heartbeating(
            async () => {
              for (let page = 1; page <= totalPages && missing.length; page++) {
                const key = { runId, page };
                if (!(await deps.staging.has(key))) continue;
                const records = await deps.staging.getRecords(key);
                for (const id of missing) {
                  if (records.some((r) => matches(id, r.wid, r.workerId))) {
                    seen.add(id);
                    pageSet.add(page);
                  }
                }
                missing = missing.filter((id) => !seen.has(id));
              }
            },
            () => ({ scanning: runId }),
          );
        }
        notFound = missing;
        workerIds = wanted;
        pages = [...pageSet].sort((a, b) => a - b).map((page) => ({ page, sinks }));
      }

      const planned: PlannedPage[] = [];
      for (const p of pages) {
        const staged = await deps.staging.has({ runId, page: p.page });
        planned.push({ ...p, fetch: input.refetch || !staged });
      }
      const byReference = workerIds && input.refetch && notFound.length ? notFound : undefined;
      let spec: PageRequestSpec | undefined;
      if (planned.some((p) => p.fetch) || byReference) {
        // The history spec comes from the client that started the replay: activities never read history.
        spec = (await store.getRunSpec(runId)) ?? input.historySpec ?? specFromRunRecord(run);
        if (!spec) {
          const which = planned.filter((p) => p.fetch).map((p) => p.page);
          throw planError(
            `cannot fetch ${which.length ? `page ${which.join(', ')} of ` : ''}run ${runId} again: its page size and scope were not recorded (run_specs) and its Temporal history is gone`,
          );
        }
        // The pinned moment is the audit store's; the spec only adds page size, scope and window.
        spec = { ...spec, runId, asOf };
      }

      const replayRunId = replayLedgerRunId(runId, input.replayId);
      const targetKind = 'pages' in t ? 'pages' : 'failed' in t ? 'failed' : 'workers';
      await audit.recordRunStart({
        runId: replayRunId,
        mode: 'replay',
        tenant: run.tenant,
        scope: {
          replayOf: runId,
          target: targetKind,
          pages: planned.map((p) => p.page),
          ...(workerIds ? { workerIds } : {}),
          sinks,
          refetch: input.refetch,
        },
        asOfEntry: asOf.entryMoment,
        asOfEffective: asOf.effectiveDate,
      });
      return {
        runId,
        replayRunId,
        mode: run.mode === 'delta' ? 'delta' : 'full',
        asOf,
        totalPages,
        spec,
        pages: planned,
        workerIds,
        notFound,
        byReference,
        // A scoped run never proves a worker was removed (as in syncRun), so only a whole-tenant run completes.
        completeOriginal:
          run.mode === 'full' &&
          summary?.status === 'COMPLETED_WITH_FAILURES' &&
          !workerIds &&
          Object.keys(run.scope ?? {}).every((k) => k === 'responseGroups' || k === 'pageSize') &&
          !reducedGroups(run.scope as SyncScope),
        sinks,
      };
    },

    /** The replay's run record, and the original run's replayed pages marked as such. */
    async recordReplayEnd(input: { summary: ReplaySummary; markPages: number[] }): Promise<void> {
      const { audit } = recovery();
      const s = input.summary;
      await audit.recordRunEnd({
        runId: s.replayRunId,
        status: s.status,
        summary: s as unknown as Record<string, unknown>,
      });
      for (const page of input.markPages) {
        await audit.recordPage({ runId: s.runId, page, status: 'replayed', error: null });
      }
    },
  };
}

/** The replay activities that write to sinks: staging → sink, and a replay's end on a sink. */
export function createReplaySinkActivities(deps: ActivityDeps) {
  return {
    /**
     * Staging → one sink for a replay. Reads the page staged under `stagingRunId` (the original run,
     * or the replay itself for workers fetched by reference), keeps only `workerIds` when given, and
     * records an audit event per record under the replay's run id.
     */
    async replayDeliverPage(input: {
      runId: string;
      replayRunId: string;
      stagingRunId: string;
      page: number;
      sink: string;
      asOfEntry: string;
      workerIds?: string[];
      /** Say which of these ids the staged page holds (workers fetched by reference). */
      reportIds?: string[];
    }): Promise<{
      inserted: number;
      updated: number;
      unchanged: number;
      alreadyDelivered: boolean;
      records: number;
      ledgerRunId: string;
      matched?: string[];
    }> {
      const sink = sinkNamed(deps.sinks, input.sink);
      const byWorker = Boolean(input.workerIds);
      let records: NormalizedWorker[] = await deps.staging.getRecords({
        runId: input.stagingRunId,
        page: input.page,
      });
      if (input.workerIds) {
        const ids = new Set(input.workerIds);
        const lower = new Set(input.workerIds.map((id) => id.toLowerCase()));
        records = records.filter((r) => lower.has(r.wid) || ids.has(r.workerId));
      }
      const original = input.stagingRunId === input.runId;
      const ledgerRunId = original && usesOriginalLedger(sink, byWorker) ? input.runId : input.replayRunId;
      const matched = input.reportIds?.filter((id) =>
        records.some((r) => r.wid === id.toLowerCase() || r.workerId === id),
      );
      if (records.length === 0 && byWorker) {
        return {
          inserted: 0,
          updated: 0,
          unchanged: 0,
          alreadyDelivered: false,
          records: 0,
          ledgerRunId,
          matched,
        };
      }
      const attempt = Context.current().info.attempt;
      const res = await deliverHeartbeating(
        deps,
        {
          sink: input.sink,
          records,
          ledger: { runId: ledgerRunId, page: input.page },
          // The original run fetched the records: its response groups apply.
          sourceRunId: input.runId,
          auditRunId: input.replayRunId,
          asOfEntry: input.asOfEntry,
          // A retry of this activity after its first attempt committed finds the ledger filled:
          // record what that attempt did. A page the original run already delivered records nothing new.
          whenAlreadyDelivered:
            attempt > 1 && ledgerRunId === input.replayRunId ? 'record-previous' : 'record-nothing',
        },
        input.page,
      );
      return {
        ...deliveryTotals(res),
        records: records.length,
        ledgerRunId,
        matched,
      };
    },

    /**
     * End of a replay for one sink: pages delivered under the replay's key are merged into the
     * sink's snapshot (JSONL), and when asked, the original full run is completed now that its
     * failed pages arrived (the sink then marks absent workers removed). Says what it did.
     */
    async replayFinalizeSink(input: {
      runId: string;
      replayRunId: string;
      sink: string;
      mode: SyncMode;
      replayKeyedPages: number[];
      totalPages: number;
      asOfEntry: string;
      completeOriginal: boolean;
    }): Promise<string> {
      const sink = sinkNamed(deps.sinks, input.sink);
      if (!sink.finalizeRun) return 'nothing to finalize';
      const notes: string[] = [];
      if (input.replayKeyedPages.length) {
        await heartbeating(
          () =>
            finalizeDelivery(deps, {
              sink: input.sink,
              auditRunId: input.replayRunId,
              ctx: {
                runId: input.replayRunId,
                mode: 'delta',
                pages: input.replayKeyedPages,
                complete: false,
                asOfEntry: input.asOfEntry,
              },
            }),
          () => ({ sink: input.sink }),
        );
        notes.push(`merged ${input.replayKeyedPages.length} replayed page(s) into the snapshot`);
      }
      // Only a sink whose ledger outlives the run can complete it now; the others closed it at
      // finalize and got the replayed pages merged above.
      if (
        input.completeOriginal &&
        input.mode === 'full' &&
        input.totalPages > 0 &&
        sink.capabilities.marksRemovals &&
        usesOriginalLedger(sink, false)
      ) {
        try {
          const r = await heartbeating(
            () =>
              finalizeDelivery(deps, {
                sink: input.sink,
                auditRunId: input.replayRunId,
                ctx: {
                  runId: input.runId,
                  mode: 'full',
                  pages: { through: input.totalPages },
                  complete: true,
                  asOfEntry: input.asOfEntry,
                },
              }),
            () => ({ sink: input.sink }),
          );
          notes.push(`run ${input.runId} complete on this sink (${r.removed} removed)`);
        } catch (err) {
          const msg = err instanceof Error ? err.message : String(err);
          if (!/never delivered/.test(msg)) throw err;
          notes.push(`run ${input.runId} not complete yet on this sink: ${msg.replace(/^sink \S+: /, '')}`);
        }
      }
      return notes.join('; ') || 'nothing to finalize';
    },
  };
}
