import { Client, Connection } from '@temporalio/client';
import type { WdsyncConfig } from '../config/config';
import { preflightNotify } from '../notify/kafka';
import { preflightSinks } from '../sinks/registry';
import { selectSinks } from '../sinks/names';
import { diagnoseTemporalTls, temporalConnectionOptions } from '../temporal/connection';
import { dataConverterFor } from '../temporal/data-converter';
import { UserError } from './errors';

/** Connects to Temporal, failing fast with a message that says how to fix it. */
export async function connectClient(cfg: WdsyncConfig): Promise<Client> {
  let options: ReturnType<typeof temporalConnectionOptions>;
  try {
    options = temporalConnectionOptions(cfg.temporal);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...options, connectTimeout: 5000 });
    await connection.workflowService.getSystemInfo({});
  } catch {
    const tlsProblem = await diagnoseTemporalTls(options);
    if (tlsProblem) throw new UserError(tlsProblem);
    throw new UserError(
      `cannot reach Temporal at ${cfg.temporal.address}; start it with \`npx wdsync dev\` or set TEMPORAL_ADDRESS`,
    );
  }
  return new Client({ connection, namespace: cfg.temporal.namespace, dataConverter: dataConverterFor(cfg) });
}

/** Checks the sinks a command names against the configuration, then connects. */
export async function connectForSinks(cfg: WdsyncConfig, sinks: string[] | undefined): Promise<Client> {
  const names = selectSinks(
    cfg.sinks.map((s) => s.name),
    sinks,
  );
  // No run starts half-configured: a sink that cannot take records says so before anything starts.
  await preflightSinks(cfg, names);
  await preflightNotify(cfg);
  return connectClient(cfg);
}
