import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Admin } from '@platformatic/kafka';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { type Broker, type BrokerOptions, startBroker } from '../../src/kafka/broker';
import { tempDir } from '../storage/helpers';

const execFileP = promisify(execFile);

export const SASL_USER = { username: 'wdsync', password: 'kafka-s3cret' };

/**
 * A real single-node broker for a test file, through the same code as `wdsync kafka`: auto-create
 * off (as on production clusters) and a SASL/PLAIN listener beside the plain one.
 */
export async function startTestBroker(opts: Partial<BrokerOptions> = {}) {
  const tmp = tempDir('wdsync-kafka-');
  let broker: Broker = await startBroker({ dir: tmp.dir, autoCreateTopics: false, sasl: SASL_USER, ...opts });
  const port = Number(broker.bootstrap.split(':')[1]);
  const saslPort = Number(broker.saslBootstrap?.split(':')[1]);
  return {
    get broker() {
      return broker;
    },
    get bootstrap() {
      return broker.bootstrap;
    },
    get saslBootstrap() {
      return broker.saslBootstrap!;
    },
    async createTopics(...topics: string[]) {
      const admin = new Admin({ clientId: 'test', bootstrapBrokers: [broker.bootstrap] });
      try {
        await admin.createTopics({ topics, partitions: 1, replicas: 1 });
        // Created is not yet visible in every metadata answer.
        for (let i = 0; i < 100; i++) {
          const m = await admin.metadata({ topics, forceUpdate: true }).catch(() => undefined);
          if (m && topics.every((t) => m.topics.get(t)?.partitionsCount)) break;
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        await admin.close();
      }
    },
    /** Stops the broker (SIGKILL when hard) and starts it again on the same ports and data. */
    async restart(hard = false, downMs = 1000) {
      if (hard) broker.kill();
      else await broker.stop();
      await new Promise((r) =>
        broker.process.exitCode === null && broker.process.signalCode === null
          ? broker.process.once('exit', r)
          : r(undefined),
      );
      await new Promise((r) => setTimeout(r, downMs));
      broker = await startBroker({
        dir: tmp.dir,
        port,
        autoCreateTopics: false,
        sasl: { ...SASL_USER, port: saslPort },
        ...opts,
      });
    },
    async close() {
      await broker.stop();
      tmp.remove();
    },
  };
}
export type TestBroker = Awaited<ReturnType<typeof startTestBroker>>;

export interface ConsumedEvent {
  key: string;
  headers: Record<string, string>;
  value: Record<string, unknown>;
}

/**
 * Every committed message of a topic, read by an independent client (Debian's kcat on
 * librdkafka) at isolation.level=read_committed: what a downstream consumer would see.
 */
export async function readCommitted(
  bootstrap: string,
  topic: string,
  isolation: 'read_committed' | 'read_uncommitted' = 'read_committed',
): Promise<ConsumedEvent[]> {
  const { stdout } = await execFileP(
    'kcat',
    [
      '-b',
      bootstrap,
      '-C',
      '-t',
      topic,
      '-o',
      'beginning',
      '-e',
      '-q',
      '-X',
      `isolation.level=${isolation}`,
      '-f',
      '%k\\t%h\\t%s\\n',
    ],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [key, headers, ...value] = line.split('\t');
      return {
        key: key!,
        headers: Object.fromEntries(
          (headers ?? '')
            .split(',')
            .filter(Boolean)
            .map((h) => h.split('=', 2) as [string, string]),
        ),
        value: JSON.parse(value.join('\t')),
      };
    });
}

/** Events per WID (the Kafka key). */
export function countByKey(events: ConsumedEvent[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of events) m.set(e.key, (m.get(e.key) ?? 0) + 1);
  return m;
}

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
addFormats(ajv);
const schemaFile = path.resolve(__dirname, '..', '..', 'schema', 'worker-change-event.schema.json');
const validateEvent = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')));

/** Throws naming the first event that breaks the repo's JSON Schema. */
export function assertValidEvents(events: ConsumedEvent[]): void {
  for (const e of events) {
    if (!validateEvent(e.value))
      throw new Error(
        `event ${JSON.stringify(e.value).slice(0, 300)} breaks the schema: ${ajv.errorsText(validateEvent.errors)}`,
      );
  }
}
