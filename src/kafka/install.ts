import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { STATE_DIR } from '../devserver/temporal-binary';

/** The Apache Kafka release the project runs and tests against (KRaft; needs Java 17). */
export const KAFKA_VERSION = '4.1.1';
/** slf4j binding for the broker's logs (Kafka's own jars bring only the API). */
const SLF4J_VERSION = '2.0.17';
export const KAFKA_HOME = path.join(STATE_DIR, 'kafka');

/** What to tell a user whose machine cannot run the local broker. */
export const EXISTING_CLUSTER_HINT =
  'or point wdsync at an existing cluster: WDSYNC_SINKS=events=kafka:<host:port,...>/<topic> (SASL/TLS in the config file)';

const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

/** The Java major version on PATH, or undefined when there is none. */
export function javaMajor(): number | undefined {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(r.stderr ?? '');
  if (!m) return undefined;
  return m[1] === '1' ? Number(m[2]) : Number(m[1]);
}

/** Where the broker's jars are once installed. */
export const kafkaLibDir = (home = KAFKA_HOME) => path.join(home, KAFKA_VERSION, 'libs');

function pom(): string {
  const dep = (g: string, a: string, v: string) =>
    `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>wdsync</groupId><artifactId>kafka-broker</artifactId><version>${KAFKA_VERSION}</version>
  <packaging>pom</packaging>
  <dependencies>
    ${dep('org.apache.kafka', 'kafka_2.13', KAFKA_VERSION)}
    ${dep('org.slf4j', 'slf4j-api', SLF4J_VERSION)}
    ${dep('org.slf4j', 'slf4j-simple', SLF4J_VERSION)}
  </dependencies>
</project>
`;
}

/**
 * Finds the local broker's jars, fetching `org.apache.kafka:kafka_2.13` and its runtime
 * dependencies from Maven Central with Maven on first use (into .wdsync/kafka/<version>/libs).
 * Synchronous so `npm test`'s prerequisite script can call it. Throws one line saying what is
 * missing and how to use an existing cluster instead.
 */
export function ensureKafka(
  opts: { install?: boolean; home?: string; log?: (m: string) => void } = {},
): string {
  const home = opts.home ?? KAFKA_HOME;
  const libs = kafkaLibDir(home);
  const java = javaMajor();
  if (java === undefined)
    throw new Error(
      `the local Kafka broker needs Java 17 or newer and no java is on PATH; install it (Debian: openjdk-17-jre-headless), ${EXISTING_CLUSTER_HINT}`,
    );
  if (java < 17)
    throw new Error(
      `the local Kafka broker needs Java 17 or newer, found Java ${java}; install a newer JDK, ${EXISTING_CLUSTER_HINT}`,
    );
  if (existsSync(libs) && readdirSync(libs).some((f) => f.startsWith(`kafka_2.13-${KAFKA_VERSION}`)))
    return libs;
  if (opts.install === false)
    throw new Error(
      `Apache Kafka ${KAFKA_VERSION} is not installed under ${home}; run \`wdsync kafka\` once to fetch it`,
    );
  if (!has('mvn', ['-v']))
    throw new Error(
      `installing the local Kafka broker needs Maven (mvn) and none is on PATH; install it (Debian: maven), ${EXISTING_CLUSTER_HINT}`,
    );
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  log(
    `Installing Apache Kafka ${KAFKA_VERSION} (Maven Central org.apache.kafka:kafka_2.13) into ${libs} ...`,
  );
  const work = path.join(home, KAFKA_VERSION);
  mkdirSync(work, { recursive: true });
  writeFileSync(path.join(work, 'pom.xml'), pom());
  // Into a temporary folder first: an interrupted download never looks like an installed broker.
  const partial = `${libs}.partial`;
  rmSync(partial, { recursive: true, force: true });
  const r = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      path.join(work, 'pom.xml'),
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${partial}`,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (r.status !== 0) {
    const why =
      `${r.stdout}${r.stderr}`.split('\n').find((l) => /ERROR/.test(l)) ?? `mvn exited with ${r.status}`;
    throw new Error(
      `fetching Apache Kafka ${KAFKA_VERSION} with Maven failed: ${why.slice(0, 300)}; check Maven's access to Maven Central, ${EXISTING_CLUSTER_HINT}`,
    );
  }
  rmSync(libs, { recursive: true, force: true });
  renameSync(partial, libs);
  return libs;
}
