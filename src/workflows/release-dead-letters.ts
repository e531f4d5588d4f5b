import { proxyActivities } from '@temporalio/workflow';
import type { ReleaseActivities } from '../activities/release';
import { ErrorType } from '../errors/types';
import { sinkActivityOptions, tuned } from './activity-options';
import type { ReleaseInput, ReleaseOutcome } from './release-types';
import { failureMessage } from './sync-page';

/**
 * Releases dead letters as a workflow of its own: durable, in the Web UI, and idempotent (each
 * letter goes to each sink under its own ledger key, so a retry or a restart delivers it once).
 * A letter is marked released only once every sink took it.
 */
export async function releaseDeadLetters(input: ReleaseInput): Promise<ReleaseOutcome[]> {
  const options = tuned(sinkActivityOptions, 'sink', input.tuning);
  const a = proxyActivities<ReleaseActivities>(options);
  const planning = proxyActivities<ReleaseActivities>({
    ...options,
    retry: { ...options.retry, nonRetryableErrorTypes: [ErrorType.ReleasePlan] },
  });
  const plan = await planning.planRelease(input);
  const ready = plan.letters.filter((l) => l.result === 'released');
  const ids = ready.map((l) => l.id);
  const errors = new Map<number, string>();
  const actions = new Map<number, Record<string, string>>(ids.map((id) => [id, {}]));
  if (ids.length) {
    await Promise.all(
      plan.sinks.map(async (sink) => {
        try {
          const done = await a.releaseToSink({ releaseId: input.releaseId, sink, ids });
          for (const [id, action] of Object.entries(done)) actions.get(Number(id))![sink] = action;
        } catch (err) {
          for (const id of ids) if (!errors.has(id)) errors.set(id, `${sink}: ${failureMessage(err)}`);
        }
      }),
    );
  }
  const released = ids.filter((id) => !errors.has(id));
  await a.markReleased({ ids: released });
  return plan.letters.map((l) => {
    if (l.result !== 'released') return l;
    const error = errors.get(l.id);
    return error
      ? { ...l, result: 'delivery-failed', reason: error, sinks: actions.get(l.id) }
      : { ...l, sinks: actions.get(l.id) };
  });
}
