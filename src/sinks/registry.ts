import type { SinkConfig, WdsyncConfig } from '../config/config';
import { tenantOf } from '../workday/config';
import { checkTopics } from '../kafka/client';
import { openDb } from '../db/open';
import type { Db } from '../db/types';
import { createJsonlSink } from './jsonl';
import { loadMapping } from '../mapping/mapping-file';
import { type CrashPoint, createKafkaEventSink, markerTopicOf } from './kafka-events';
import { createPostgresSink } from './postgres';
import { createSalesforceSink, salesforceCredentials, salesforceTransport } from './salesforce';
import { createZendeskSink, zendeskCredentials } from './zendesk';
import { createDataverseSink, dataverseCredentials } from './dynamics';
import type { Sink } from './types';

/** What building a sink may use: the main database, and a way to open another one it then owns. */
export interface SinkBuildContext {
  cfg: WdsyncConfig;
  db: Db;
}

type Builders = {
  [K in SinkConfig['type']]: (s: Extract<SinkConfig, { type: K }>, ctx: SinkBuildContext) => Promise<Sink>;
};

/** One line per sink module: its config type and how to build it. */
const BUILDERS: Builders = {
  postgres: async (s, { cfg, db }) => {
    const own = s.url && s.url !== cfg.database.url;
    return createPostgresSink({
      name: s.name,
      db: own ? await openDb(s.url!) : db,
      ownsDb: Boolean(own),
      schema: s.schema ?? cfg.database.schema,
    });
  },
  jsonl: async (s) => createJsonlSink({ name: s.name, dir: s.dir }),
  salesforce: async (s) =>
    createSalesforceSink({
      name: s.name,
      mapping: loadMapping(s.mapping),
      credentials: salesforceCredentials(s),
      transport: salesforceTransport(s),
    }),
  zendesk: async (s) =>
    createZendeskSink({
      name: s.name,
      mapping: loadMapping(s.mapping, 'zendesk'),
      credentials: zendeskCredentials(s),
    }),
  dynamics: async (s) =>
    createDataverseSink({
      name: s.name,
      mapping: loadMapping(s.mapping, 'dynamics'),
      credentials: dataverseCredentials(s),
    }),
  kafka: async (s, { cfg, db }) =>
    createKafkaEventSink({
      name: s.name,
      db,
      schema: cfg.database.schema,
      tenant: tenantOf(cfg.workday),
      connection: kafkaConnection(s, cfg),
      topic: s.topic,
      markerTopic: s.markerTopic,
      payload: s.payload,
      crashPoint: killAt(process.env.WDSYNC_TEST_KAFKA_CRASH),
    }),
};

/** A Kafka sink's connection: its own SASL/TLS, else the config file's kafka section. */
export function kafkaConnection(s: Extract<SinkConfig, { type: 'kafka' }>, cfg: WdsyncConfig) {
  return {
    brokers: s.brokers,
    clientId: cfg.kafka.clientId,
    sasl: s.sasl ?? cfg.kafka.sasl,
    tls: s.tls ?? cfg.kafka.tls,
  };
}

/** The crash tests' fault point, `produced:<page>` or `committed:<page>` (never set in production): SIGKILL there. */
function killAt(v: string | undefined) {
  const m = /^(produced|committed):(\d+)$/.exec(v ?? '');
  if (!m) return undefined;
  return (point: CrashPoint, page: number) => {
    if (point === m[1] && page === Number(m[2])) process.kill(process.pid, 'SIGKILL');
  };
}

/**
 * What can be checked of the sinks before a run starts, so no run starts half-configured: a
 * Kafka sink's brokers, credentials and topics.
 */
export async function preflightSinks(cfg: WdsyncConfig, names: readonly string[]): Promise<void> {
  for (const s of cfg.sinks) {
    if (!names.includes(s.name) || s.type !== 'kafka') continue;
    await checkTopics(
      kafkaConnection(s, cfg),
      [s.topic, markerTopicOf(s.topic, s.markerTopic)],
      `sink ${s.name}`,
    );
  }
}

export function buildSink(s: SinkConfig, ctx: SinkBuildContext): Promise<Sink> {
  return (BUILDERS[s.type] as (s: SinkConfig, ctx: SinkBuildContext) => Promise<Sink>)(s, ctx);
}
