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

/** What goes inside a bundle besides the workflows: both have to run in the sandbox. */
export interface BundleOptions {
  /** The OpenTelemetry workflow interceptors (a traced worker). */
  traced?: boolean;
  /** A failure converter module (payload encryption seals failure texts too). */
  failureConverterPath?: string;
}

/** Webpacks src/workflows for the Temporal worker's sandbox. */
export async function buildWorkflowBundle(opts: BundleOptions = {}): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    workflowInterceptorModules: opts.traced
      ? [
          require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
          require.resolve('./tracing-interceptors'),
        ]
      : [],
    logger: quietBundlerLogger,
    ...(opts.failureConverterPath ? { failureConverterPath: opts.failureConverterPath } : {}),
  });
  return code;
}

// Run as a script (by workflowBundle()): build into the given file, atomically, so workers
// starting at the same time never load half a bundle.
if (require.main === module) {
  const [out, ...flags] = process.argv.slice(2);
  const at = flags.indexOf('--failure-converter');
  if (!out || (at >= 0 && !flags[at + 1])) {
    console.error('usage: build.ts <output.js> [--traced] [--failure-converter <module>]');
    process.exit(2);
  }
  buildWorkflowBundle({
    traced: flags.includes('--traced'),
    ...(at >= 0 ? { failureConverterPath: flags[at + 1] } : {}),
  })
    .then((code) => writeFileAtomic(out, code))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
