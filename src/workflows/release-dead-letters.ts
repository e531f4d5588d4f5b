import { ErrorType } from '../errors/types';
import { sinkActivities, tunedBookkeepingActivities } from './proxies';
import type { ReleaseInput, ReleaseOutcome } from './release-types';
import { failureMessage } from './sync-page';

/**
 * Releases dead letters as a workflow of its own: durable, in the Web UI, and idempotent (each
 * letter goes to each sink under its own ledger key, so a retry or a restart delivers it once).
 * A letter is marked released only once every sink took it.
 */
export async function releaseDeadLetters(input: ReleaseInput): Promise<ReleaseOutcome[]> {
  const sinks = sinkActivities(input.tuning, input.connection);
  const books = tunedBookkeepingActivities(input.tuning, input.connection);
  const planning = tunedBookkeepingActivities(input.tuning, input.connection, {
    nonRetryableErrorTypes: [ErrorType.ReleasePlan],
  });
  const plan = await planning.planRelease(input);
  const ready = plan.letters.filter((l) => l.result === 'released');
  const ids = ready.map((l) => l.id);
  const errors = new Map<number, string>();
  const actions = new Map<number, Record<string, string>>(ids.map((id) => [id, {}]));
  // A Workday-side letter goes to every sink of the plan; a sink's own letter to that sink only.
  const targets = [...new Set([...plan.sinks, ...ready.flatMap((l) => (l.sink ? [l.sink] : []))])];
  const idsFor = (sink: string) =>
    ready.filter((l) => (l.sink ? l.sink === sink : plan.sinks.includes(sink))).map((l) => l.id);
  if (ids.length) {
    await Promise.all(
      targets.map(async (sink) => {
        const mine = idsFor(sink);
        if (!mine.length) return;
        try {
          const done = await sinks.releaseToSink({ releaseId: input.releaseId, sink, ids: mine });
          for (const [id, action] of Object.entries(done.actions)) actions.get(Number(id))![sink] = action;
          for (const [id, code] of Object.entries(done.refused ?? {}))
            if (!errors.has(Number(id))) errors.set(Number(id), `${sink} refused it again: ${code}`);
        } catch (err) {
          for (const id of mine) if (!errors.has(id)) errors.set(id, `${sink}: ${failureMessage(err)}`);
        }
      }),
    );
  }
  const released = ids.filter((id) => !errors.has(id));
  await books.markReleased({ ids: released });
  return plan.letters.map((l) => {
    if (l.result !== 'released') return l;
    const error = errors.get(l.id);
    return error
      ? { ...l, result: 'delivery-failed', reason: error, sinks: actions.get(l.id) }
      : { ...l, sinks: actions.get(l.id) };
  });
}
