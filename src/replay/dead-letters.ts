import { randomBytes } from 'node:crypto';
import type { AuditStore, DeadLetterRow } from '../audit/store';
import type { Sink } from '../sinks/types';
import { parsePage } from '../workday/parse';
import type { NormalizedWorker } from '../workday/record';
import { runIdProblem } from '../workflows/ids';
import type { RecoveryStore } from './store';

export type Revalidation = { ok: true; record: NormalizedWorker } | { ok: false; reason: string };

/**
 * Runs a dead letter's raw Worker fragment through the current parser and mapping, exactly as a
 * fresh Get_Workers page would be. The fragment carries its own namespace declarations.
 */
export function revalidateFragment(fragment: string): Revalidation {
  const xml =
    '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body>' +
    '<wd:Get_Workers_Response xmlns:wd="urn:com.workday/bsvc"><wd:Response_Results>' +
    '<wd:Total_Results>1</wd:Total_Results><wd:Total_Pages>1</wd:Total_Pages></wd:Response_Results>' +
    `<wd:Response_Data>${fragment}</wd:Response_Data></wd:Get_Workers_Response></env:Body></env:Envelope>`;
  try {
    const page = parsePage(xml);
    if (page.records.length === 1 && page.deadLetters.length === 0)
      return { ok: true, record: page.records[0]! };
    if (page.deadLetters.length) return { ok: false, reason: page.deadLetters[0]!.reason };
    return { ok: false, reason: `the fragment holds ${page.rows} Worker elements, expected one` };
  } catch (err) {
    return { ok: false, reason: `the fragment cannot be parsed: ${(err as Error).message}` };
  }
}

export interface ReleaseOutcome {
  id: number;
  runId: string;
  page: number;
  wid: string | null;
  workerId: string | null;
  result: 'released' | 'still-invalid' | 'already-released' | 'not-found' | 'delivery-failed';
  /** The new reason (still-invalid) or the delivery error. */
  reason?: string;
  /** Per sink action for released letters. */
  sinks?: Record<string, string>;
}

export interface ReleaseDeps {
  audit: AuditStore;
  store: RecoveryStore;
  sinks: ReadonlyMap<string, Sink>;
}

/**
 * Releases dead letters: each fragment is re-validated with the current parser and mapping. Valid
 * ones are delivered to the sinks (at their run's pinned as-of, under a ledger key of their own,
 * `<runId>/release-<id>`, so the original page's ledger does not swallow them) and marked released;
 * still-invalid ones stay, with the reason the current mapping gives.
 */
export async function releaseDeadLetters(
  deps: ReleaseDeps,
  opts: { ids?: number[]; runId?: string; sinks?: string[]; releaseId?: string },
): Promise<ReleaseOutcome[]> {
  const badRelease = opts.releaseId === undefined ? undefined : runIdProblem(opts.releaseId, 'release id');
  if (badRelease) throw new Error(badRelease);
  const sinkNames = opts.sinks?.length ? opts.sinks : [...deps.sinks.keys()];
  const unknown = sinkNames.filter((s) => !deps.sinks.has(s));
  if (unknown.length) {
    throw new Error(
      `unknown sink ${unknown.join(', ')}; configured sinks: ${[...deps.sinks.keys()].join(', ')}`,
    );
  }
  const letters: (DeadLetterRow | { id: number; missing: true })[] = [];
  if (opts.ids?.length) {
    for (const id of opts.ids) letters.push((await deps.audit.getDeadLetter(id)) ?? { id, missing: true });
  }
  if (opts.runId) {
    for (const l of await deps.audit.listDeadLetters({
      runId: opts.runId,
      released: false,
      limit: 100_000,
    })) {
      if (letters.some((x) => x.id === l.id)) continue;
      const full = await deps.audit.getDeadLetter(l.id);
      if (full) letters.push(full);
    }
  }
  const releaseId =
    opts.releaseId ??
    `${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(2).toString('hex')}`;
  const out: ReleaseOutcome[] = [];
  const asOfByRun = new Map<string, string | undefined>();
  for (const l of letters) {
    if ('missing' in l) {
      out.push({ id: l.id, runId: '', page: 0, wid: null, workerId: null, result: 'not-found' });
      continue;
    }
    const base = { id: l.id, runId: l.runId, page: l.page, wid: l.wid, workerId: l.workerId };
    if (l.releasedAt) {
      out.push({ ...base, result: 'already-released' });
      continue;
    }
    const v = revalidateFragment(l.fragment);
    if (!v.ok) {
      await deps.store.updateDeadLetterReason(l.id, v.reason);
      out.push({ ...base, result: 'still-invalid', reason: v.reason });
      continue;
    }
    if (!asOfByRun.has(l.runId))
      asOfByRun.set(l.runId, (await deps.audit.getRun(l.runId))?.asOfEntry?.toISOString());
    const asOfEntry = asOfByRun.get(l.runId);
    if (!asOfEntry) {
      out.push({
        ...base,
        result: 'delivery-failed',
        reason: `run ${l.runId} has no pinned as-of in the audit store`,
      });
      continue;
    }
    const ledgerRunId = `${l.runId}/release-${releaseId}-${l.id}`;
    const actions: Record<string, string> = {};
    let error: string | undefined;
    for (const name of sinkNames) {
      const sink = deps.sinks.get(name)!;
      try {
        const res = await sink.deliverPage({ key: { runId: ledgerRunId, page: l.page }, asOfEntry }, [
          v.record,
        ]);
        const outcomes = res.alreadyDelivered ? (res.previousOutcomes ?? []) : res.outcomes;
        if (sink.finalizeRun) {
          await sink.finalizeRun({
            runId: ledgerRunId,
            mode: 'delta',
            pages: [l.page],
            complete: false,
            asOfEntry,
          });
        }
        await deps.audit.recordEvents(
          outcomes.map((o) => ({
            runId: ledgerRunId,
            page: l.page,
            wid: o.wid,
            workerId: v.record.workerId,
            sink: name,
            action: o.action,
            hash: o.hash,
          })),
        );
        actions[name] = outcomes[0]?.action ?? (res.alreadyDelivered ? 'already delivered' : 'unchanged');
      } catch (err) {
        error = `${name}: ${(err as Error).message}`;
        break;
      }
    }
    if (error) {
      out.push({ ...base, result: 'delivery-failed', reason: error, sinks: actions });
      continue;
    }
    await deps.audit.markReleased([l.id]);
    out.push({ ...base, wid: v.record.wid, workerId: v.record.workerId, result: 'released', sinks: actions });
  }
  return out;
}
