import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, isListening } from '../devserver/ports';
import { ensureKafka } from './install';

export interface BrokerOptions {
  /** Broker state: data, generated config, log. Kept across restarts. */
  dir: string;
  /** Client port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** Creates a topic on first use (the dev default); off as on most production clusters. */
  autoCreateTopics?: boolean;
  /** Adds a SASL_PLAINTEXT (PLAIN) listener with this one user, for credential tests and demos. */
  sasl?: { port?: number; username: string; password: string };
  /** Detached: keeps running after this process exits. */
  detached?: boolean;
}

export interface Broker {
  /** host:port of the PLAINTEXT listener. */
  bootstrap: string;
  /** host:port of the SASL listener, when one was asked for. */
  saslBootstrap?: string;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
  kill(): void;
}

/**
 * A KRaft cluster id: 16 random bytes, base64url without padding (what kafka-storage random-uuid
 * prints). Never one starting with '-', as Kafka's own Uuid.randomUuid ensures: kafka-storage would
 * read it as an option (about one start in 64 failed with "--cluster-id expected one argument").
 */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function properties(o: BrokerOptions, port: number, controllerPort: number, saslPort?: number): string {
  const listeners = [`PLAINTEXT://127.0.0.1:${port}`, `CONTROLLER://127.0.0.1:${controllerPort}`];
  const advertised = [`PLAINTEXT://127.0.0.1:${port}`];
  const map = ['PLAINTEXT:PLAINTEXT', 'CONTROLLER:PLAINTEXT'];
  const lines = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${path.join(o.dir, 'data')}`,
    // One node: every internal topic has one replica.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // A killed producer's open transaction holds back read_committed readers until it is aborted:
    // scanned for every second rather than every 10 s, so a crashed delivery's retry waits less.
    'transaction.abort.timed.out.transaction.cleanup.interval.ms=1000',
    'num.partitions=1',
    `auto.create.topics.enable=${o.autoCreateTopics ?? true}`,
  ];
  if (o.sasl && saslPort) {
    listeners.push(`SASL://127.0.0.1:${saslPort}`);
    advertised.push(`SASL://127.0.0.1:${saslPort}`);
    map.push('SASL:SASL_PLAINTEXT');
    lines.push(
      'sasl.enabled.mechanisms=PLAIN',
      `listener.name.sasl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${o.sasl.username}="${o.sasl.password}";`,
    );
  }
  lines.push(`listeners=${listeners.join(',')}`, `advertised.listeners=${advertised.join(',')}`);
  lines.push(`listener.security.protocol.map=${map.join(',')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Starts a single-node Apache Kafka broker in KRaft mode (broker and controller in one JVM) on
 * loopback, installing it first when needed; resolves once it accepts connections. The same code
 * serves `wdsync kafka` and the tests.
 */
export async function startBroker(opts: BrokerOptions): Promise<Broker> {
  const libs = ensureKafka();
  mkdirSync(opts.dir, { recursive: true });
  const port = opts.port || (await freePort());
  if (await isListening('127.0.0.1', port))
    throw new Error(`port ${port} is taken; pick another with --port, or use the broker already there`);
  const controllerPort = await freePort();
  const saslPort = opts.sasl ? opts.sasl.port || (await freePort()) : undefined;
  const props = path.join(opts.dir, 'server.properties');
  writeFileSync(props, properties(opts, port, controllerPort, saslPort));
  const cp = `${libs}/*`;
  if (!existsSync(path.join(opts.dir, 'data', 'meta.properties'))) {
    const f = spawnSync(
      'java',
      ['-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', props],
      {
        encoding: 'utf8',
      },
    );
    if (f.status !== 0)
      throw new Error(
        `formatting Kafka storage in ${opts.dir} failed: ${(f.stderr || f.stdout).trim().split('\n').pop()}`,
      );
  }
  const logFile = path.join(opts.dir, 'broker.log');
  const out = openSync(logFile, 'a');
  const child = spawn(
    'java',
    [
      '-Xms256m',
      '-Xmx512m',
      '-XX:+UseG1GC',
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      '-cp',
      cp,
      'kafka.Kafka',
      props,
    ],
    { stdio: ['ignore', out, out], detached: Boolean(opts.detached) },
  );
  if (opts.detached) child.unref();
  let exited: string | undefined;
  child.once('exit', (code, sig) => {
    exited = `exited with ${code ?? sig}`;
  });
  const deadline = Date.now() + 60_000;
  while (!(await isListening('127.0.0.1', port))) {
    if (exited) throw new Error(`the Kafka broker ${exited} before it was ready; see ${logFile}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the Kafka broker did not listen on 127.0.0.1:${port} within 60 s; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    bootstrap: `127.0.0.1:${port}`,
    saslBootstrap: saslPort ? `127.0.0.1:${saslPort}` : undefined,
    process: child,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
