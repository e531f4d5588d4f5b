import type { WorkdayConnectionId } from './connection';
import { bookkeepingActivities } from './proxies';

export interface StagingRetentionInput {
  /** Runs staged longer ago than this many days are deleted (runs still going are kept). */
  olderThanDays: number;
  /** Whose staging: the activity runs on that connection's workers, which hold its staging store. */
  connection?: WorkdayConnectionId;
}

/** Started by a connection's staging-retention Schedule: one activity does the work. */
export async function stagingRetention(
  input: StagingRetentionInput,
): Promise<{ runs: string[]; pages: number }> {
  return bookkeepingActivities(input.connection).expireStaging({ olderThanDays: input.olderThanDays });
}
