import { Context } from '@temporalio/activity';
import type { DeadLetterRow } from '../audit/store';
import { deliver, finalizeDelivery } from '../delivery/deliver';
import { ErrorType, TypedError } from '../errors/types';
import { revalidateFragment } from '../replay/dead-letters';
import { selectSinks } from '../sinks/names';
import { releaseLedgerRunId } from '../workflows/ids';
import type { ReleaseInput, ReleaseOutcome, ReleasePlan } from '../workflows/release-types';
import { heartbeating } from './heartbeat';
import type { NormalizedWorker } from '../domain/worker-record';
import { StagingMissingError } from '../staging/types';
import type { ActivityDeps } from './ports';
import { type RecoveryPorts, recoveryOf } from './replay';

/**
 * Dead-letter release: each fragment is re-validated with the current parser and mapping. Valid
 * ones go through the delivery core like any page (the run's response groups, the sink's
 * delivered hashes, one audit event each), at their run's pinned as-of, under a ledger key of
 * their own so the original page's ledger does not swallow them. Still-invalid ones stay, with
 * the reason the current mapping gives.
 */
/** Release planning and marking (bookkeeping: the state store only). */
export function createReleaseBookkeeping(deps: ActivityDeps & { recovery?: RecoveryPorts }) {
  const recovery = () => recoveryOf(deps);

  return {
    /** Which letters: found, open, still invalid or ready; the still-invalid get their new reason. */
    async planRelease(input: ReleaseInput): Promise<ReleasePlan> {
      const { audit, store } = recovery();
      let sinks: string[];
      try {
        sinks = selectSinks(deps.sinks.keys(), input.sinks, 'worker');
      } catch (err) {
        throw new TypedError(ErrorType.ReleasePlan, (err as Error).message);
      }
      const letters: (DeadLetterRow | { id: number; missing: true })[] = [];
      for (const id of input.ids ?? [])
        letters.push((await audit.getDeadLetter(id)) ?? { id, missing: true });
      if (input.runId) {
        for (const l of await audit.listDeadLetters({
          runId: input.runId,
          released: false,
          limit: 100_000,
        })) {
          if (letters.some((x) => x.id === l.id)) continue;
          // A sink's letters go back to that sink only: --sink picks whose.
          if (l.sink && input.sinks?.length && !input.sinks.includes(l.sink)) continue;
          const full = await audit.getDeadLetter(l.id);
          if (full) letters.push(full);
        }
      }
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
        if (l.sink) {
          // A record the target refused: it was valid, so it is staged; it goes to that sink only.
          const problem = !deps.sinks.has(l.sink)
            ? `sink ${l.sink} is not configured on the workers`
            : input.sinks?.length && !input.sinks.includes(l.sink)
              ? `it belongs to sink ${l.sink}; release it with --sink ${l.sink}`
              : undefined;
          if (problem) {
            out.push({ ...base, sink: l.sink, result: 'delivery-failed', reason: problem });
            continue;
          }
        }
        const v = l.sink ? undefined : revalidateFragment(l.fragment, deps.workdayFamily);
        if (v && !v.ok) {
          await store.updateDeadLetterReason(l.id, v.reason);
          out.push({ ...base, result: 'still-invalid' });
          continue;
        }
        if (!asOfByRun.has(l.runId))
          asOfByRun.set(l.runId, (await audit.getRun(l.runId))?.asOfEntry?.toISOString());
        if (!asOfByRun.get(l.runId)) {
          out.push({
            ...base,
            result: 'delivery-failed',
            reason: `run ${l.runId} has no pinned as-of in the audit store`,
          });
          continue;
        }
        out.push(
          v
            ? { ...base, wid: v.record.wid, workerId: v.record.workerId, result: 'released' }
            : { ...base, sink: l.sink!, result: 'released' },
        );
      }
      return { sinks, letters: out };
    },

    async markReleased(input: { ids: number[] }): Promise<void> {
      if (input.ids.length) await recovery().audit.markReleased(input.ids);
    },
  };
}

/** Released letters to one sink (the sinks task queue). */
export function createReleaseSinkActivities(deps: ActivityDeps & { recovery?: RecoveryPorts }) {
  const recovery = () => recoveryOf(deps);

  return {
    /**
     * The valid letters to one sink; per letter, what the sink did, or the code it refused it with
     * again. Idempotent per (release, letter). A sink's own letters are re-delivered from staging.
     */
    async releaseToSink(input: {
      releaseId: string;
      sink: string;
      ids: number[];
    }): Promise<{ actions: Record<number, string>; refused: Record<number, string> }> {
      const { audit } = recovery();
      const ctx = Context.current();
      const actions: Record<number, string> = {};
      const refused: Record<number, string> = {};
      // Letters of one run share its pinned as-of: one read per run, not per letter.
      const asOfByRun = new Map<string, Promise<string | undefined>>();
      const asOfOf = (runId: string) => {
        if (!asOfByRun.has(runId))
          asOfByRun.set(
            runId,
            audit.getRun(runId).then((r) => r?.asOfEntry?.toISOString()),
          );
        return asOfByRun.get(runId)!;
      };
      await heartbeating(
        async () => {
          for (const id of input.ids) {
            const l = await audit.getDeadLetter(id);
            if (l?.sink && l.sink !== input.sink)
              throw new TypedError(ErrorType.ReleasePlan, `dead letter #${id} belongs to sink ${l.sink}`);
            const record = l?.sink ? await stagedRecord(deps, l) : undefined;
            const v = l && !l.sink ? revalidateFragment(l.fragment, deps.workdayFamily) : undefined;
            const asOfEntry = l ? await asOfOf(l.runId) : undefined;
            if (!l || !(record || v?.ok) || !asOfEntry) {
              // planRelease checked all three moments ago; only a concurrent edit gets here.
              throw new TypedError(ErrorType.ReleasePlan, `dead letter #${id} changed while being released`);
            }
            const ledger = { runId: releaseLedgerRunId(l.runId, input.releaseId, id), page: l.page };
            const res = await deliver(deps, {
              sink: input.sink,
              records: [record ?? (v as { record: NormalizedWorker }).record],
              ledger,
              sourceRunId: l.runId,
              auditRunId: ledger.runId,
              asOfEntry,
              whenAlreadyDelivered: 'record-previous',
              // Refused again: the same letter, its code and message updated.
              staged: { runId: l.runId, page: l.page },
              heartbeat: () => ctx.heartbeat(),
            });
            const again = res.failures?.[0];
            if (again) {
              refused[id] = again.code;
              continue;
            }
            await finalizeDelivery(deps, {
              sink: input.sink,
              auditRunId: ledger.runId,
              ctx: { runId: ledger.runId, mode: 'delta', pages: [l.page], complete: false, asOfEntry },
            });
            actions[id] =
              res.outcomes[0]?.action ?? (res.alreadyDelivered ? 'already delivered' : 'unchanged');
          }
        },
        () => ({ sink: input.sink }),
      );
      return { actions, refused };
    },
  };
}

/** The staged record a sink's dead letter is about (the page its run fetched). */
async function stagedRecord(deps: ActivityDeps, l: DeadLetterRow): Promise<NormalizedWorker> {
  let records: NormalizedWorker[];
  try {
    records = await deps.staging.getRecords({ runId: l.runId, page: l.page });
  } catch (err) {
    if (!(err instanceof StagingMissingError)) throw err;
    throw new TypedError(
      ErrorType.ReleasePlan,
      `dead letter #${l.id}: ${err.message}; \`wdsync replay ${l.runId} --pages ${l.page} --refetch --sink ${l.sink}\` delivers it instead`,
    );
  }
  const r = records.find((x) => x.wid === l.wid);
  if (!r)
    throw new TypedError(
      ErrorType.ReleasePlan,
      `dead letter #${l.id}: worker ${l.wid} is not on staged page ${l.page} of run ${l.runId}`,
    );
  return r;
}
