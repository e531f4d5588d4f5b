import path from 'node:path';
import type { Command } from 'commander';
import { KAFKA_HOME, KAFKA_VERSION } from '../kafka/install';
import { intArg } from './errors';

export function registerKafkaCommand(program: Command) {
  program
    .command('kafka')
    .description(
      `run a local single-node Apache Kafka ${KAFKA_VERSION} broker (KRaft) for development; installs it under .wdsync/kafka with Maven on first use (needs Java 17)`,
    )
    .option('--port <port>', 'client port on 127.0.0.1', intArg('--port', 1, 65535), 9092)
    .option('--dir <dir>', 'broker data and log folder', path.join(KAFKA_HOME, 'data'))
    .option('--no-auto-create', 'refuse topics that were not created first (as most production clusters do)')
    .action(async (o: { port: number; dir: string; autoCreate: boolean }) => {
      // No wdsync configuration is needed to run a broker, so this command does not load it.
      try {
        const { startBroker }: typeof import('../kafka/broker') = require('../kafka/broker');
        const broker = await startBroker({
          dir: path.resolve(o.dir),
          port: o.port,
          autoCreateTopics: o.autoCreate,
        });
        console.log(`Kafka broker at ${broker.bootstrap} (state: ${path.resolve(o.dir)})`);
        console.log(`Event sink: WDSYNC_SINKS=postgres,events=kafka:${broker.bootstrap}/wd.workers`);
        console.log(`Operational events: WDSYNC_EVENTS_KAFKA=${broker.bootstrap}/wd.operations`);
        console.log('Press Ctrl+C to stop.');
        const stop = () => void broker.stop().then(() => process.exit(0));
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        await new Promise<void>((resolve) => broker.process.once('exit', () => resolve()));
      } catch (err) {
        process.stderr.write(`wdsync: error: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
