import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { STATE_DIR } from '../devserver/temporal-binary';
import { type BundleOptions, buildWorkflowBundle } from './build';

const SRC = path.resolve(__dirname, '..');
// Run from src/ (tsx) or from dist/ (compiled by npm install): the same script either way.
const BUILD_SCRIPT = path.join(__dirname, path.extname(__filename) === '.js' ? 'build.js' : 'build.ts');

/** Every source file (.ts under src/, .js under dist/), so any change a workflow could import yields a new bundle. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return sourceFiles(p);
      return /\.(ts|js)$/.test(e.name) ? [p] : [];
    })
    .sort();
}

function bundleKey(failureConverterPath: string | undefined): string {
  const h = createHash('sha256');
  h.update(require('@temporalio/worker/package.json').version as string);
  h.update(require('@temporalio/interceptors-opentelemetry/package.json').version as string);
  h.update(`failures:${failureConverterPath ? path.relative(SRC, failureConverterPath) : 'default'}`);
  for (const f of sourceFiles(SRC)) {
    h.update(path.relative(SRC, f));
    h.update(readFileSync(f));
  }
  return h.digest('hex').slice(0, 16);
}

type Bundle = { codePath: string } | { code: string };
const bundles = new Map<string, Promise<Bundle>>();

/**
 * The workflow bundle, built once per source version into .wdsync/bundles/ by a child process.
 * Webpack in the worker itself would leave ~120 MB of its heap in the worker's RSS for its whole
 * life (measured: 145 MB before bundling, 261 MB after, unchanged after a full GC); workers
 * started later load the file in milliseconds. If the directory is not writable, the bundle is
 * built in-process as before. `traced`: with the OpenTelemetry workflow interceptors (a bundle of
 * its own, so a worker without tracing runs exactly the code it ran before).
 */
export function workflowBundle(opts: BundleOptions = {}): Promise<Bundle> {
  const traced = opts.traced === true;
  const name = traced ? 'workflows-traced' : 'workflows';
  const id = `${name}#${opts.failureConverterPath ?? ''}`;
  const known = bundles.get(id);
  if (known) return known;
  const bundle = (async (): Promise<Bundle> => {
    const codePath = path.join(STATE_DIR, 'bundles', `${name}-${bundleKey(opts.failureConverterPath)}.js`);
    if (existsSync(codePath)) return { codePath };
    try {
      await promisify(execFile)(
        process.execPath,
        [
          '--require',
          require.resolve('tsx/cjs'),
          BUILD_SCRIPT,
          codePath,
          ...(traced ? ['--traced'] : []),
          ...(opts.failureConverterPath ? ['--failure-converter', opts.failureConverterPath] : []),
        ],
        { maxBuffer: 16 << 20 },
      );
      return { codePath };
    } catch {
      return { code: await buildWorkflowBundle(opts) };
    }
  })();
  bundles.set(id, bundle);
  return bundle;
}
