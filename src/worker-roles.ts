/**
 * What a worker process can serve, on its own so the CLI defines `wdsync worker --roles` without
 * loading the Temporal worker SDK (src/worker.ts) for `--help`.
 */
export type WorkerRole = 'workflows' | 'workday' | 'sinks';
export const ALL_ROLES: readonly WorkerRole[] = ['workflows', 'workday', 'sinks'];
