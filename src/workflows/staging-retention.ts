import { bookkeepingActivities } from './proxies';

export interface StagingRetentionInput {
  /** Runs staged longer ago than this many days are deleted (runs still going are kept). */
  olderThanDays: number;
}

/** Started by the staging-retention Schedule: one activity does the work. */
export async function stagingRetention(
  input: StagingRetentionInput,
): Promise<{ runs: string[]; pages: number }> {
  return bookkeepingActivities().expireStaging(input);
}
