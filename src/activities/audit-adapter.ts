import type { AuditStore } from '../audit/store';
import type { SyncScope } from '../domain/scope';
import type { AuditPort } from './ports';
import { reducedGroups } from './scope-key';

/** Adapts the audit store to the narrow port the activities use. */
export function auditPort(store: AuditStore): AuditPort {
  const groupsByRun = new Map<string, Promise<ReturnType<typeof reducedGroups>>>();
  const effectiveByRun = new Map<string, Promise<string | undefined>>();
  return {
    recordRunStart: (r) =>
      store.recordRunStart({
        runId: r.runId,
        mode: r.mode,
        tenant: r.tenant,
        scope: { ...(r.scope ?? {}), pageSize: r.pageSize } as Record<string, unknown>,
        asOfEntry: r.asOf.entryMoment,
        asOfEffective: r.asOf.effectiveDate,
      }),
    recordRunEnd: (runId, summary) =>
      store.recordRunEnd({
        runId,
        status: summary.status,
        summary: summary as unknown as Record<string, unknown>,
      }),
    openRunIds: async () => (await store.listRuns({ status: 'RUNNING', limit: 100_000 })).map((r) => r.runId),
    recordRunClosed: (runId, status, error, errorType) =>
      store.recordRunEnd({ runId, status, summary: { error, ...(errorType ? { errorType } : {}) } }),
    recordPage: async (p) => {
      await store.recordPage(p);
    },
    getWatermark: async (tenant, key) => {
      const mark = await store.getWatermark(tenant, key);
      if (!mark) return undefined;
      // The run that set the watermark pinned the effective date its snapshot covered.
      const run = await store.getRun(mark.runId);
      return { ...mark, effectiveDate: run?.asOfEffective ?? undefined };
    },
    setWatermark: (tenant, key, through, runId) => store.setWatermark(tenant, key, through, runId),
    addDeadLetters: (runId, page, letters) => store.addDeadLetters(runId, page, letters),
    recordEvents: (events) => store.recordEvents(events),
    lastDeliveredHashes: (sink, wids) => store.lastDeliveredHashes(sink, wids),
    newestSnapshots: (sink, wids) => store.newestSnapshots(sink, wids),
    addSinkDeadLetters: (sink, staged, auditRunId, failures) =>
      store.addSinkDeadLetters(sink, staged, auditRunId, failures),
    absentFromRun: (sink, runId) => store.absentFromRun(sink, runId),
    closeSinkDeadLetters: (sink, wids) => store.closeSinkDeadLetters(sink, wids),
    // A run's scope never changes: read it once per run, not once per page and sink.
    runResponseGroups: (runId) => {
      let groups = groupsByRun.get(runId);
      if (!groups) {
        if (groupsByRun.size >= 1000) groupsByRun.clear();
        groups = store.getRun(runId).then((run) => reducedGroups(run?.scope as SyncScope | undefined));
        groups.catch(() => groupsByRun.delete(runId));
        groupsByRun.set(runId, groups);
      }
      return groups;
    },
    // Pinned once per run, like its scope.
    runEffectiveDate: (runId) => {
      let day = effectiveByRun.get(runId);
      if (!day) {
        if (effectiveByRun.size >= 1000) effectiveByRun.clear();
        day = store.getRun(runId).then((run) => run?.asOfEffective ?? undefined);
        day.catch(() => effectiveByRun.delete(runId));
        effectiveByRun.set(runId, day);
      }
      return day;
    },
  };
}
