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
 * Webpacks src/workflows for the Temporal worker's sandbox. A prebuilt bundle carries its failure
 * converter inside it, so a deployment that encodes failures needs a bundle built with it.
 */
export async function buildWorkflowBundle(failureConverterPath?: string): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: quietBundlerLogger,
    ...(failureConverterPath ? { failureConverterPath } : {}),
  });
  return code;
}

// Run as a script (by workflowBundle()): build into the given file, atomically, so workers
// starting at the same time never load half a bundle.
if (require.main === module) {
  const [out, failureConverterPath] = process.argv.slice(2);
  if (!out) {
    console.error('usage: build.ts <output.js> [failure-converter-module]');
    process.exit(2);
  }
  buildWorkflowBundle(failureConverterPath)
    .then((code) => writeFileAtomic(out, code))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
