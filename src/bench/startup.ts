import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { BIN } from './procs';

const ROOT = path.resolve(__dirname, '..', '..');

export interface StartupComparison {
  runs: number;
  /** Median wall time of `wdsync --help` from dist/ (compiled at install). */
  compiledMs: number;
  /** Median wall time of the same command transpiled by tsx (WDSYNC_FROM_SOURCE=1). */
  sourceMs: number;
  /** sourceMs / compiledMs. */
  speedup: number;
  /** False when dist/ did not match src/ (the compiled figure would then be tsx's too). */
  compiledCurrent: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timeHelp(env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, '--help'], { env, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`wdsync --help exited with ${r.status}`);
  return performance.now() - t0;
}

/** `wdsync --help` from compiled JavaScript and from source, alternated so load hits both alike. */
export function compareStartup(runs: number): StartupComparison {
  const { compiledIsCurrent } = require(path.join(ROOT, 'scripts', 'src-fingerprint.cjs')) as {
    compiledIsCurrent(root: string): boolean;
  };
  const compiledCurrent = compiledIsCurrent(ROOT);
  const compiled: number[] = [];
  const source: number[] = [];
  const base = { ...process.env, WDSYNC_FROM_SOURCE: '' };
  for (let i = 0; i < runs; i++) {
    compiled.push(timeHelp(base));
    source.push(timeHelp({ ...base, WDSYNC_FROM_SOURCE: '1' }));
  }
  const compiledMs = median(compiled);
  const sourceMs = median(source);
  return { runs, compiledMs, sourceMs, speedup: sourceMs / compiledMs, compiledCurrent };
}
