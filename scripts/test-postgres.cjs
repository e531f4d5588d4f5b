// The PostgreSQL server the tests use. With DATABASE_URL set, that server (it must already run).
// Otherwise a private cluster (in .wdsync/postgres, or /var/lib/postgresql/wdsync-test as root), made and started here: trust auth on
// 127.0.0.1 only, its own port, so it needs no password and never touches the system's cluster
// (Debian's asks for a password over TCP). Its binaries come from Debian's postgresql package,
// installed when missing and allowed (root with apt-get, as on CI).
const { spawnSync } = require('node:child_process');
const { chownSync, existsSync, mkdirSync, readdirSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PORT = Number(process.env.WDSYNC_TEST_PG_PORT ?? 55432);
// As root the server runs as the `postgres` user, who may not be able to enter the checkout.
const ROOT =
  process.env.WDSYNC_TEST_PG_DIR ??
  (process.getuid?.() === 0
    ? '/var/lib/postgresql/wdsync-test'
    : path.resolve(__dirname, '..', '.wdsync', 'postgres'));
const DATA = path.join(ROOT, 'data');
const LOG = path.join(ROOT, 'server.log');
const URL = `postgres://postgres@127.0.0.1:${PORT}/test`;

const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { encoding: 'utf8', ...opts });

function binDir() {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(path.join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(base, versions[0], 'bin') : undefined;
}

/** Runs a server binary as the `postgres` OS user when we are root (PostgreSQL refuses root). */
function asOwner(bin, args) {
  if (process.getuid?.() !== 0) return run(bin, args);
  return run('runuser', ['-u', 'postgres', '--', bin, ...args]);
}

function ready(bin) {
  return run(path.join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(PORT), '-q']).status === 0;
}

/**
 * Makes sure the tests' PostgreSQL accepts connections. Returns { url } or { problem }.
 * `apt` installs a Debian package and says whether that worked.
 */
function ensureTestPostgres(apt) {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL };
  let bin = binDir();
  if (!bin && apt && apt('postgresql')) bin = binDir();
  if (!bin)
    return {
      problem:
        "PostgreSQL's server binaries are missing: install Debian's postgresql package, or set DATABASE_URL to a server with a database you may create schemas in",
    };
  if (ready(bin)) return { url: URL };

  const root = process.getuid?.() === 0;
  if (!existsSync(path.join(DATA, 'PG_VERSION'))) {
    mkdirSync(DATA, { recursive: true });
    if (root) {
      const id = run('id', ['-u', 'postgres']);
      const gid = run('id', ['-g', 'postgres']);
      if (id.status !== 0) return { problem: 'no `postgres` OS user to run the test cluster as' };
      chownSync(ROOT, Number(id.stdout), Number(gid.stdout));
      chownSync(DATA, Number(id.stdout), Number(gid.stdout));
    }
    console.error(`npm test: creating a private PostgreSQL cluster in ${DATA} ...`);
    const init = asOwner(path.join(bin, 'initdb'), [
      '-D',
      DATA,
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C',
    ]);
    if (init.status !== 0) return { problem: `initdb failed: ${(init.stderr || init.stdout).trim()}` };
  }
  console.error(`npm test: starting PostgreSQL on 127.0.0.1:${PORT} ...`);
  const opts = `-c listen_addresses=127.0.0.1 -p ${PORT} -c unix_socket_directories=${os.tmpdir()} -c max_connections=200`;
  const start = asOwner(path.join(bin, 'pg_ctl'), [
    '-D',
    DATA,
    '-l',
    LOG,
    '-o',
    opts,
    '-w',
    '-t',
    '60',
    'start',
  ]);
  if (start.status !== 0 || !ready(bin))
    return { problem: `PostgreSQL did not start: ${(start.stderr || start.stdout).trim()} (log: ${LOG})` };
  const exists = run(path.join(bin, 'psql'), [
    URL.replace(/\/test$/, '/postgres'),
    '-tAc',
    "SELECT 1 FROM pg_database WHERE datname='test'",
  ]);
  if (exists.stdout.trim() !== '1') {
    const create = run(path.join(bin, 'psql'), [
      URL.replace(/\/test$/, '/postgres'),
      '-c',
      'CREATE DATABASE test',
    ]);
    if (create.status !== 0) return { problem: `could not create database "test": ${create.stderr.trim()}` };
  }
  return { url: URL };
}

module.exports = { ensureTestPostgres, TEST_PG_URL: URL };
