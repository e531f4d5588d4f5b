import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { PRIVATE_FILE_MODE, mkdirPrivate, restrictFile } from '../paths/private';
import { freePort } from './ports';
import { findTemporalBinary } from './temporal-binary';

const execFileP = promisify(execFile);

export interface DevServerOptions {
  /** SQLite file for persistent state; omitted = in-memory (lost when the process dies). */
  dbFile?: string;
  ip?: string;
  /** gRPC port; 0 picks a free one. */
  port?: number;
  /** Web UI port; 0 picks a free one. */
  uiPort?: number;
  headless?: boolean;
  namespace?: string;
  /** How long finished runs stay inspectable in the Web UI. */
  retention?: string;
  /** Detached: keeps running after this process exits (the demo leaves it up for the Web UI). */
  detached?: boolean;
  logFile?: string;
  /** Extra dynamic config, e.g. frontend.enableUpdateWorkflowExecution=true. */
  dynamicConfig?: Record<string, unknown>;
  /** The Web UI decodes payloads through this codec server (`wdsync codec-server`). */
  uiCodecEndpoint?: string;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  namespace: string;
  process: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** Kills it hard, as a crash would. */
  kill(): void;
}

export function devServerArgs(
  o: Required<Pick<DevServerOptions, 'ip' | 'namespace'>> & DevServerOptions,
  port: number,
  uiPort: number,
) {
  const args = ['server', 'start-dev', '--ip', o.ip, '--port', String(port), '--log-level', 'warn'];
  if (o.headless) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  if (o.uiCodecEndpoint && !o.headless) args.push('--ui-codec-endpoint', o.uiCodecEndpoint);
  if (o.dbFile) args.push('--db-filename', o.dbFile);
  if (o.namespace !== 'default') args.push('--namespace', o.namespace);
  for (const key of ALL_SEARCH_ATTRIBUTES) {
    const type = key.type === 'INT' ? 'Int' : 'Keyword';
    args.push('--search-attribute', `${key.name}=${type}`);
  }
  for (const [k, v] of Object.entries(o.dynamicConfig ?? {}))
    args.push('--dynamic-config-value', `${k}=${JSON.stringify(v)}`);
  return args;
}

/** Early exits retried on fresh ports, when the ports are wdsync's to pick. */
const PORT_ATTEMPTS = 3;

/**
 * Starts `temporal server start-dev` and resolves once it answers gRPC. A free port can be taken
 * by another process before the server binds it (parallel test files, or ports the server derives
 * from it); when wdsync picked the ports, an exit before ready is retried on fresh ones.
 */
export async function startDevServer(
  opts: DevServerOptions = {},
  deps: { freePort: () => Promise<number> } = { freePort },
): Promise<DevServer> {
  const o = { ip: '127.0.0.1', namespace: 'default', retention: '720h', ...opts };
  const bin = findTemporalBinary({ install: true });
  // Not pre-created with a safe mode: the dev server only sets up its schema in a new file.
  if (o.dbFile) mkdirPrivate(path.dirname(o.dbFile));
  const out = o.logFile ? openSync(o.logFile, 'a', PRIVATE_FILE_MODE) : 'ignore';
  const ours = !o.port && (o.headless || !o.uiPort);
  for (let attempt = 1; ; attempt++) {
    const port = o.port || (await deps.freePort());
    const uiPort = o.uiPort || (await deps.freePort());
    const child = spawn(bin, devServerArgs(o, port, uiPort), {
      stdio: ['ignore', out, out],
      detached: Boolean(o.detached),
    });
    if (o.detached) child.unref();
    let exited: string | undefined;
    child.once('exit', (code, sig) => {
      exited = `exited with ${code ?? sig}`;
    });
    try {
      await waitForTemporal(`${o.ip}:${port}`, 60_000, () => exited);
    } catch (err) {
      if (exited && ours && attempt < PORT_ATTEMPTS) continue;
      if (child.exitCode === null) child.kill('SIGKILL');
      throw err;
    }
    return started(o, bin, child, port, uiPort);
  }
}

async function started(
  o: Required<Pick<DevServerOptions, 'ip' | 'namespace' | 'retention'>> & DevServerOptions,
  bin: string,
  child: ChildProcess,
  port: number,
  uiPort: number,
): Promise<DevServer> {
  const address = `${o.ip}:${port}`;
  // Under the CLI's umask these are 0600 already; embedded callers may have a looser one.
  if (o.dbFile) for (const f of [o.dbFile, `${o.dbFile}-wal`, `${o.dbFile}-shm`]) restrictFile(f);
  await setRetention(bin, address, o.namespace, o.retention);
  return {
    address,
    uiUrl: o.headless ? undefined : `http://${o.ip}:${uiPort}`,
    namespace: o.namespace,
    process: child,
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Polls until the frontend answers, or fails with what to do. */
export async function waitForTemporal(address: string, timeoutMs: number, exited?: () => string | undefined) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const gone = exited?.();
    if (gone)
      throw new Error(`the Temporal dev server ${gone} before it was ready (is port ${address} taken?)`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await conn.workflowService.getSystemInfo({});
        return;
      } finally {
        await conn.close();
      }
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`Temporal at ${address} did not answer within ${timeoutMs / 1000}s: ${String(last)}`);
}

async function setRetention(bin: string, address: string, namespace: string, retention: string) {
  try {
    await execFileP(bin, [
      'operator',
      'namespace',
      'update',
      '--address',
      address,
      '--retention',
      retention,
      namespace,
    ]);
  } catch {
    // Retention is a convenience for inspecting old runs; a server that refuses it still works.
  }
}
