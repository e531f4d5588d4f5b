/** A full run reads the whole population; a delta reads what changed since the watermark. */
export type SyncMode = 'full' | 'delta';

export type RunState =
  | 'Running'
  | 'Paused'
  | 'Degraded'
  | 'AwaitingApproval'
  | 'Draining'
  | 'Cancelling'
  | 'Completed'
  | 'CompletedWithFailures'
  | 'Cancelled'
  | 'Failed';
