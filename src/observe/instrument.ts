import { ApplicationFailure } from '@temporalio/common';
import { toActivityFailure } from '../activities/failures';
import type { ActivityDeps, AuditPort, WorkdayPort } from '../activities/ports';
import type { Sink } from '../sinks/types';
import type { StagingStore } from '../staging/types';
import type { WdsyncMetrics } from './metrics';
import { inSpan } from './tracing';

/*
 * Metrics and spans are added around the ports at the composition root, so activities, the
 * delivery core and the sinks stay as they are and tests without observability see no change.
 */

/** The error type a failure reaches Temporal with (WorkdayThrottled, WorkdayTransient, ...). */
function errorTypeOf(err: unknown): string {
  const f = toActivityFailure(err);
  return (f instanceof ApplicationFailure ? f.type : undefined) ?? (f.name || 'Error');
}

const seconds = (startNs: bigint) => Number(process.hrtime.bigint() - startNs) / 1e9;

/**
 * One Get_Workers call: a span, its outcome and duration, the bytes received. Throttle waits are
 * counted where the retry delay is decided (observingActivities sees the failure Temporal gets).
 */
export function instrumentWorkday(port: WorkdayPort, m: WdsyncMetrics | undefined): WorkdayPort {
  return {
    fetchPage: (spec, page, count, opts) =>
      inSpan(
        'workday.Get_Workers',
        {
          'wdsync.run_id': spec.runId,
          'wdsync.page': page,
          'wdsync.page_size': count,
          'rpc.method': 'Get_Workers',
        },
        async () => {
          const tenant = m?.tenant ?? '';
          const start = process.hrtime.bigint();
          let received = 0;
          try {
            const r = await port.fetchPage(spec, page, count, {
              ...opts,
              onProgress: (b) => {
                received = b;
                opts.onProgress?.(b);
              },
            });
            m?.workdayRequests.inc({ tenant, outcome: 'ok', error_type: '' });
            m?.workdayDuration.observe({ tenant, outcome: 'ok' }, seconds(start));
            m?.workdayBytes.inc({ tenant }, r.bytes);
            return r;
          } catch (err) {
            m?.workdayRequests.inc({ tenant, outcome: 'error', error_type: errorTypeOf(err) });
            m?.workdayDuration.observe({ tenant, outcome: 'error' }, seconds(start));
            if (received) m?.workdayBytes.inc({ tenant }, received);
            throw err;
          }
        },
      ),
  };
}

/** Staging writes and reads get spans: a slow page shows whether staging or the sink held it up. */
export function instrumentStaging(store: StagingStore): StagingStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'put') {
        return (key: Parameters<StagingStore['put']>[0], page: Parameters<StagingStore['put']>[1]) =>
          inSpan(
            'staging.put',
            { 'wdsync.run_id': key.runId, 'wdsync.page': key.page, 'wdsync.staging': target.kind },
            () => target.put(key, page),
          );
      }
      if (prop === 'getRecords') {
        return (key: Parameters<StagingStore['getRecords']>[0]) =>
          inSpan(
            'staging.get',
            { 'wdsync.run_id': key.runId, 'wdsync.page': key.page, 'wdsync.staging': target.kind },
            () => target.getRecords(key),
          );
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

/** Each page written to a sink: a span and a duration, by sink and outcome. */
export function instrumentSink(sink: Sink, m: WdsyncMetrics | undefined): Sink {
  return new Proxy(sink, {
    get(target, prop, receiver) {
      if (prop !== 'deliverPage') return Reflect.get(target, prop, receiver);
      const deliverPage: Sink['deliverPage'] = (ctx, records) =>
        inSpan(
          'sink.write',
          {
            'wdsync.run_id': ctx.key.runId,
            'wdsync.page': ctx.key.page,
            'wdsync.sink': target.name,
            'wdsync.sink_type': target.type,
            'wdsync.records': records.length,
          },
          async () => {
            const start = process.hrtime.bigint();
            const labels = { tenant: m?.tenant ?? '', sink: target.name };
            try {
              const r = await target.deliverPage(ctx, records);
              m?.sinkDuration.observe({ ...labels, outcome: 'ok' }, seconds(start));
              return r;
            } catch (err) {
              m?.sinkDuration.observe({ ...labels, outcome: 'error' }, seconds(start));
              throw err;
            }
          },
        );
      return deliverPage;
    },
  });
}

/**
 * Pages, records and runs are counted where they are recorded in the audit store: what a run's
 * summary and `wdsync audit` count, so the metrics agree with them.
 */
export function instrumentAudit(audit: AuditPort, m: WdsyncMetrics): AuditPort {
  const tenant = m.tenant;
  return {
    ...audit,
    async recordPage(p) {
      await audit.recordPage(p);
      m.pages.inc({ tenant, status: p.status });
    },
    // Counted from what the store recorded for the first time, so a retried activity (its
    // events already in) adds nothing: the counters stay equal to the audit trail.
    async recordEvents(events) {
      const recorded = await audit.recordEvents(events);
      for (const r of recorded) m.records.inc({ tenant, sink: r.sink, action: r.action }, r.count);
      return recorded;
    },
    async addDeadLetters(runId, page, letters) {
      const n = await audit.addDeadLetters(runId, page, letters);
      m.deadLetters.inc({ tenant }, n);
      return n;
    },
    ...(audit.addSinkDeadLetters
      ? {
          async addSinkDeadLetters(sink, staged, auditRunId, failures) {
            const n = await audit.addSinkDeadLetters!(sink, staged, auditRunId, failures);
            m.records.inc({ tenant, sink, action: 'dead-lettered' }, n);
            return n;
          },
        }
      : {}),
    async recordRunEnd(runId, summary) {
      await audit.recordRunEnd(runId, summary);
      m.runsFinished.inc({ tenant, state: summary.status });
    },
    async recordRunClosed(runId, status, error, errorType) {
      await audit.recordRunClosed(runId, status, error, errorType);
      m.runsFinished.inc({ tenant, state: status });
    },
  };
}

/** The activity ports with metrics (when given) and spans around Workday, staging and each sink. */
export function instrumentActivityDeps(deps: ActivityDeps, m: WdsyncMetrics | undefined): ActivityDeps {
  return {
    ...deps,
    workday: instrumentWorkday(deps.workday, m),
    staging: instrumentStaging(deps.staging),
    sinks: new Map([...deps.sinks].map(([name, s]) => [name, instrumentSink(s, m)])),
    audit: m ? instrumentAudit(deps.audit, m) : deps.audit,
  };
}
