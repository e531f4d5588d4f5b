import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFileAtomic } from '../staging/atomic';

const noop = () => {};
const quietBundlerLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: console.error,
  log: noop,
};

/**
 * Webpacks src/workflows for the Temporal worker's sandbox; `traced` adds the OpenTelemetry
 * workflow interceptors, which have to be inside the bundle to run in the sandbox.
 */
export async function buildWorkflowBundle(opts: { traced?: boolean } = {}): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    workflowInterceptorModules: opts.traced
      ? [
          require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
          require.resolve('./tracing-interceptors'),
        ]
      : [],
    logger: quietBundlerLogger,
  });
  return code;
}

// Run as a script (by workflowBundle()): build into the given file, atomically, so workers
// starting at the same time never load half a bundle.
if (require.main === module) {
  const [out, flag] = process.argv.slice(2);
  if (!out) {
    console.error('usage: build.ts <output.js> [--traced]');
    process.exit(2);
  }
  buildWorkflowBundle({ traced: flag === '--traced' })
    .then((code) => writeFileAtomic(out, code))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
