import type { Client } from '@temporalio/client';
import { connectionOf, type WdsyncConfig } from '../config/config';
import { connectionKey } from '../workflows/connection';
import { CONNECTION } from '../workflows/search-attributes';

/**
 * Why a command of the configured connection must not act on `runId`: the run is pinned to
 * another connection (its state, staging and sinks live there), or undefined. Runs Temporal does
 * not know, or that carry no connection (older runs), are left to the command itself.
 */
export async function otherConnectionProblem(
  client: Client,
  cfg: WdsyncConfig,
  runId: string,
): Promise<string | undefined> {
  let pinned: string | undefined;
  try {
    pinned = (await client.workflow.getHandle(runId).describe()).typedSearchAttributes.get(CONNECTION);
  } catch {
    return undefined;
  }
  const own = connectionKey(connectionOf(cfg));
  if (!pinned || pinned === own) return undefined;
  const name = pinned.split('/', 1)[0]!;
  const fix =
    name === cfg.connection
      ? "use that Workday's configuration (its WORKDAY_ENDPOINT or config file)"
      : `add --tenant ${name}`;
  return `run ${runId} belongs to Workday connection ${pinned}, not ${own}; ${fix}`;
}
