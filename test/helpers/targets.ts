// What the engine tests of the business targets share: a sink entry pointing at a simulator, an
// independent client library reading the simulator back (node-zendesk, dynamics-web-api), and the
// circuit breaker's view of a run (waiting for approval, its held actions).
import type { WorkflowHandle } from '@temporalio/client';
import { DynamicsWebApi } from 'dynamics-web-api';
import { createClient } from 'node-zendesk';
import { openDb } from '../../src/db/open';
import type { DataverseSimulatorHandle } from '../../src/targets/dynamics/simulator';
import type { ZendeskSimulatorHandle } from '../../src/targets/zendesk/simulator';
import { progressQuery } from '../../src/workflows/messages';
import { PG_URL } from './harness';
import { until } from './snapshot';

/** A `zendesk` sink entry of the config, pointed at the simulator. */
export const zendeskSink = (zd: ZendeskSimulatorHandle, name: string, mapping: string, extra = {}) => ({
  name,
  type: 'zendesk' as const,
  mapping,
  url: zd.url,
  email: zd.email,
  apiToken: zd.apiToken,
  ...extra,
});

/** A `dynamics` sink entry of the config, pointed at the simulator. */
export const dataverseSink = (dv: DataverseSimulatorHandle, name: string, mapping: string, extra = {}) => ({
  name,
  type: 'dynamics' as const,
  mapping,
  url: dv.url,
  authority: dv.authority,
  tenantId: dv.tenantId,
  clientId: dv.clientId,
  clientSecret: dv.clientSecret,
  ...extra,
});

/** node-zendesk, with API-token auth, against the simulator. */
export function zendeskClient(zd: ZendeskSimulatorHandle): ReturnType<typeof createClient> {
  return createClient({
    endpointUri: `${zd.url}/api/v2`,
    username: zd.email,
    token: zd.apiToken,
    subdomain: 'acme',
  } as never);
}

/** dynamics-web-api, with a client-credentials token from the simulator's identity endpoint. */
export function dataverseClient(dv: DataverseSimulatorHandle): DynamicsWebApi {
  return new DynamicsWebApi({
    serverUrl: dv.url,
    dataApi: { version: '9.2' },
    onTokenRefresh: async () => {
      const res = await fetch(dv.tokenUrl, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: dv.clientId,
          client_secret: dv.clientSecret,
          scope: `${dv.url}/.default`,
        }),
      });
      return ((await res.json()) as { access_token: string }).access_token;
    },
  });
}

/** Waits until the run stops for approval (on each of `sinks`, when given); its progress then. */
export async function awaitingApproval(handle: WorkflowHandle, sinks: string[] = []) {
  let last: unknown;
  const waiting = async () => {
    const p = await handle.query(progressQuery);
    last = { state: p.state, awaitingApproval: p.awaitingApproval, destructive: p.destructive };
    return (
      p.state === 'AwaitingApproval' && sinks.every((s) => p.awaitingApproval?.some((a) => a.sink === s))
    );
  };
  await until(waiting, `AwaitingApproval${sinks.length ? ` on ${sinks.join(', ')}` : ''}`).catch(
    (e: Error) => {
      throw new Error(`${e.message}; the run is at ${JSON.stringify(last)}`);
    },
  );
  return handle.query(progressQuery);
}

/** The held deactivations and deletions of a run on one sink, as the held_actions table has them. */
export async function heldActions(schema: string, sink: string, runId: string) {
  const db = await openDb(PG_URL);
  try {
    const r = await db.query<{
      wid: string;
      event: string;
      action: string;
      status: string;
      decided_by: string;
    }>(
      `SELECT wid, event, action, status, decided_by FROM "${schema}".held_actions WHERE run_id = $1 AND sink = $2 ORDER BY wid`,
      [runId, sink],
    );
    return r.rows;
  } finally {
    await db.close();
  }
}
