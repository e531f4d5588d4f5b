/**
 * The Workday connection a run is bound to: which tenant on which Workday, never a secret. A
 * production tenant and its sandbox share the tenant name and the WIDs, so the name of the
 * configured connection and the endpoint's host tell them apart. Deterministic: workflows derive
 * their activity task queues from it.
 */
import { TASK_QUEUES } from './activity-options';

export interface WorkdayConnectionId {
  /** The configured connection (`--tenant NAME`); `default` for the single-connection config. */
  name: string;
  /** The endpoint's host[:port]. */
  host: string;
  /** The Workday tenant (…/ccx/service/<tenant>/…). */
  tenant: string;
  /** The Web Services version asked for, e.g. v44.0. */
  version: string;
}

/**
 * `<name>/<tenant>/<host>/<version>`: one line naming the connection, for queues, messages and
 * visibility (no `@`: error texts are scrubbed of anything that looks like an e-mail address).
 */
export function connectionKey(c: WorkdayConnectionId): string {
  return `${c.name}/${c.tenant}/${c.host}/${c.version}`;
}

/**
 * The Workday and sink task queues of a connection. Only workers configured for that connection
 * poll them, so each connection has its own server-side Workday rate limit too. Without a
 * connection (histories recorded before runs were bound) the shared queues of old.
 */
export function connectionQueues(c: WorkdayConnectionId | undefined): { workday: string; sinks: string } {
  if (!c) return { workday: TASK_QUEUES.workday, sinks: TASK_QUEUES.sinks };
  const key = connectionKey(c);
  return { workday: `wdsync-workday/${key}`, sinks: `wdsync-sinks/${key}` };
}

/** Why a worker of connection `own` must refuse work pinned to `pinned`, or undefined. */
export function connectionMismatch(
  own: WorkdayConnectionId | undefined,
  pinned: WorkdayConnectionId | undefined,
): string | undefined {
  const ownKey = own && connectionKey(own);
  const pinnedKey = pinned && connectionKey(pinned);
  if (ownKey === pinnedKey) return undefined;
  if (!pinnedKey)
    return `this task carries no Workday connection, and this worker serves ${ownKey}; start runs with \`wdsync start\` (or put the connection in the input)`;
  return `this task belongs to Workday connection ${pinnedKey}, but this worker is configured for ${ownKey ?? 'no connection'}; refused without calling Workday or a sink: start \`wdsync worker --tenant ${pinned!.name}\` with that connection's settings`;
}
