import type { SinkConfig, WdsyncConfig } from '../config/config';
import { openDb } from '../db/open';
import type { Db } from '../db/types';
import { createJsonlSink } from './jsonl';
import { loadMapping } from '../mapping/mapping-file';
import { createPostgresSink } from './postgres';
import { createSalesforceSink, salesforceCredentials } from './salesforce';
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
    }),
};

export function buildSink(s: SinkConfig, ctx: SinkBuildContext): Promise<Sink> {
  return (BUILDERS[s.type] as (s: SinkConfig, ctx: SinkBuildContext) => Promise<Sink>)(s, ctx);
}
