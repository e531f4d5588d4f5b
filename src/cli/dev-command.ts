import path from 'node:path';
import type { Command } from 'commander';
import { STATE_DIR } from '../devserver/temporal-binary';
import { action } from './action';
import { intArg } from './errors';

export function registerDevCommand(program: Command) {
  program
    .command('dev')
    .description(
      'run a Temporal dev server with persistent state under .wdsync/, the Web UI and wdsync search attributes',
    )
    .option('--port <port>', 'gRPC port', intArg('--port', 1, 65535), 7233)
    .option('--ui-port <port>', 'Web UI port', intArg('--ui-port', 1, 65535), 8233)
    .option('--ip <ip>', 'address to bind', '127.0.0.1')
    .option('--db-file <file>', 'SQLite state file', path.join(STATE_DIR, 'temporal.db'))
    .option('--retention <duration>', 'how long finished runs stay visible', '720h')
    .action(
      action(
        async (_cfg, o: { port: number; uiPort: number; ip: string; dbFile: string; retention: string }) => {
          const {
            startDevServer,
          }: typeof import('../devserver/dev-server') = require('../devserver/dev-server');
          const server = await startDevServer({
            port: o.port,
            uiPort: o.uiPort,
            ip: o.ip,
            dbFile: o.dbFile,
            retention: o.retention,
            logFile: path.join(path.dirname(o.dbFile), 'temporal.log'),
          });
          console.log(`Temporal dev server at ${server.address} (state: ${o.dbFile})`);
          console.log(`Web UI: ${server.uiUrl}`);
          console.log('Press Ctrl+C to stop.');
          const stop = () => void server.stop().then(() => process.exit(0));
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          await new Promise<void>((resolve) => server.process.once('exit', () => resolve()));
        },
      ),
    );
}
