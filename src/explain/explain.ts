import { auditPort } from '../activities/audit-adapter';
import { toGetWorkersRequest } from '../activities/workday-adapter';
import { createAuditStore } from '../audit/store';
import type { WdsyncConfig } from '../config/config';
import { openDb } from '../db/open';
import { deliver, deliveryTotals } from '../delivery/deliver';
import type { AsOf } from '../domain/as-of';
import type { NormalizedWorker } from '../domain/worker-record';
import { ErrorType, TypedError } from '../errors/types';
import { selectSinks } from '../sinks/names';
import { buildSink } from '../sinks/registry';
import type { Sink, SinkExplanation } from '../sinks/types';
import { tenantDate } from '../time/tenant-date';
import { createWorkdayClient } from '../workday/client';
import { tenantOf } from '../workday/config';
import { workdayNow } from '../workday/now';

/**
 * `wdsync explain`: one worker fetched from Workday now (Get_Workers by Worker_Reference), and
 * what each sink would do with it: the sinks with a mapping say (Sink.explain); the others write
 * the normalized record as it is. With apply, the worker goes through the delivery core like any
 * page, under a run id of its own, audited.
 */

export interface SinkReport extends Partial<SinkExplanation> {
  sink: string;
  type: string;
  /** After --apply: what the delivery did. */
  applied?: { inserted: number; updated: number; unchanged: number; failed?: number; failures?: string[] };
}

export interface ExplainReport {
  workerId: string;
  asOf: AsOf;
  record: NormalizedWorker;
  sinks: SinkReport[];
  /** The run id --apply delivered under (its audit events). */
  appliedRunId?: string;
}

const WID = /^[0-9a-f]{32}$/i;

/** The worker's record from Workday at `asOf`: by WID, or by Employee_ID / Contingent_Worker_ID. */
export async function fetchWorker(cfg: WdsyncConfig, id: string, asOf: AsOf): Promise<NormalizedWorker> {
  const client = createWorkdayClient(cfg.workday);
  try {
    const spec = {
      runId: 'explain',
      tenant: tenantOf(cfg.workday),
      pageSize: 10,
      asOf,
      scope: { workerIds: [id] },
    };
    const page = await client.getWorkersPage(toGetWorkersRequest(spec, 1, 10));
    const match = page.records.find((r) => (WID.test(id) ? r.wid === id.toLowerCase() : r.workerId === id));
    if (match) return match;
    if (page.deadLetters.length)
      throw new TypedError(
        ErrorType.InvalidData,
        `Workday returned worker ${id}, but its record could not be read: ${page.deadLetters[0]!.reason}`,
      );
    throw new TypedError(
      ErrorType.InvalidData,
      `no worker ${id} in Workday (${tenantOf(cfg.workday)}) at ${asOf.entryMoment}; give an Employee_ID, a Contingent_Worker_ID or a WID (32 hex digits)`,
    );
  } finally {
    client.close();
  }
}

export async function explainWorker(
  cfg: WdsyncConfig,
  o: { workerId: string; sinks?: string[]; apply?: boolean },
): Promise<ExplainReport> {
  const names = selectSinks(
    cfg.sinks.map((s) => s.name),
    o.sinks,
  );
  const now = await workdayNow(cfg.workday.endpoint);
  const asOf: AsOf = {
    entryMoment: now.toISOString(),
    effectiveDate: tenantDate(now, cfg.workday.timezone),
  };
  const record = await fetchWorker(cfg, o.workerId, asOf);
  const db = await openDb(cfg.database.url);
  const sinks = new Map<string, Sink>();
  try {
    const audit = createAuditStore(db, cfg.database.schema);
    await audit.init();
    for (const s of cfg.sinks.filter((c) => names.includes(c.name))) {
      const sink = await buildSink(s, { cfg, db });
      await sink.init();
      sinks.set(s.name, sink);
    }
    const reports: SinkReport[] = [];
    for (const [name, sink] of sinks) {
      const hashes = await audit.lastDeliveredHashes(name, [record.wid]);
      const explanation: Partial<SinkExplanation> = sink.explain
        ? await sink.explain(record, { asOfEntry: asOf.entryMoment, deliveredHash: hashes.get(record.wid) })
        : { reason: 'no mapping: the sink writes the normalized record as it is, by WID' };
      reports.push({ sink: name, type: sink.type, ...explanation });
    }
    let appliedRunId: string | undefined;
    if (o.apply) {
      appliedRunId = `explain-${asOf.entryMoment.replace(/[:.]/g, '-')}`;
      const ports = { sinks, audit: auditPort(audit) };
      for (const r of reports) {
        const res = await deliver(ports, {
          sink: r.sink,
          records: [record],
          ledger: { runId: appliedRunId, page: 1 },
          sourceRunId: appliedRunId,
          auditRunId: appliedRunId,
          asOfEntry: asOf.entryMoment,
          whenAlreadyDelivered: 'record-nothing',
        });
        r.applied = {
          ...deliveryTotals(res),
          ...(res.failures?.length ? { failures: res.failures.map((f) => `${f.code}: ${f.message}`) } : {}),
        };
      }
    }
    return { workerId: o.workerId, asOf, record, sinks: reports, ...(appliedRunId ? { appliedRunId } : {}) };
  } finally {
    for (const s of sinks.values()) await s.close();
    await db.close();
  }
}
