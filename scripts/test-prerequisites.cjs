// What `npm test` needs beyond npm packages: xmllint (XSD validation of the simulator's and the
// client's XML), Chromium (the Web UI test, driven by playwright-core), openssl and nginx (TLS
// proxies for the TLS tests), PostgreSQL (the production sink and state store, tested for real:
// see test-postgres.cjs), and for the event sink an Apache Kafka broker (fetched from Maven
// Central with Maven into .wdsync/kafka; Java 17) and kcat, the independent read_committed
// consumer the Kafka tests count events with, Prometheus (the metrics test's scraper), and jemalloc
// (the bench runs its worker on it, as the Dockerfile does). Installs what is missing
// from Debian when it can (root with apt-get, as on CI), else says exactly what to install: a test
// run without them would fail or silently test less.
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { ensureTestPostgres } = require('./test-postgres.cjs');

const has = (cmd, args = ['--version']) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const canApt = process.getuid?.() === 0 && has('apt-get', ['--version']);
let aptUpdated = false;

function apt(pkg) {
  if (!aptUpdated) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
    aptUpdated = true;
  }
  console.error(`npm test: installing ${pkg} (apt-get) ...`);
  const r = spawnSync('apt-get', ['install', '-y', '-qq', pkg], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return r.status === 0;
}

/** Returns the problems left after trying to fix them; empty when the suite can run in full. */
function ensureTestPrerequisites() {
  const problems = [];
  if (!has('xmllint') && !(canApt && apt('libxml2-utils')))
    problems.push('xmllint is missing: install libxml2-utils (Debian/Ubuntu) or libxml2 (macOS has it)');
  const chromium = process.env.WDSYNC_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(chromium) && !(canApt && apt('chromium') && existsSync(chromium)))
    problems.push(`Chromium is missing at ${chromium}: install Debian's chromium, or set WDSYNC_CHROMIUM`);
  // TLS tests terminate TLS with nginx's stream module in front of the dev server and the simulator.
  if (!has('openssl', ['version']) && !(canApt && apt('openssl')))
    problems.push('openssl is missing: install it (the TLS tests make a test CA with it)');
  const streamModule = '/usr/lib/nginx/modules/ngx_stream_module.so';
  if (
    !(has('nginx', ['-v']) && existsSync(streamModule)) &&
    !(canApt && apt('nginx-light') && apt('libnginx-mod-stream'))
  )
    problems.push(
      `nginx with the stream module is missing: install Debian's nginx-light and libnginx-mod-stream (${streamModule})`,
    );
  // The bench runs its worker as the Dockerfile does, on jemalloc; without it, on glibc (it says so).
  const jemalloc = `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/libjemalloc.so.2`;
  if (!existsSync(jemalloc) && canApt) apt('libjemalloc2');
  if (!has('java', ['-version']) && canApt) apt('openjdk-17-jre-headless');
  if (!has('mvn', ['-v']) && canApt) apt('maven');
  try {
    // Loaded here, not at the top: the caller registers tsx first.
    require('../src/kafka/install.ts').ensureKafka();
  } catch (err) {
    problems.push(err.message);
  }
  if (!has('kcat', ['-V']) && !(canApt && apt('kcat')))
    problems.push("kcat is missing: install Debian's kcat (the Kafka tests' independent consumer)");
  // The metrics test scrapes a real worker with a real Prometheus server.
  if (!has('prometheus', ['--version']) && !(canApt && apt('prometheus')))
    problems.push(
      "prometheus is missing: install Debian's prometheus (the metrics test scrapes a worker with it)",
    );
  const pg = ensureTestPostgres(canApt ? apt : undefined);
  if (pg.problem) problems.push(pg.problem);
  else process.env.DATABASE_URL = pg.url;
  return problems;
}

module.exports = { ensureTestPrerequisites };
