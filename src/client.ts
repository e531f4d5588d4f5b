import { buildProgram } from './cli/program';

// The `wdsync` CLI. Commands live in src/cli/; this file only runs them.
buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`wdsync: error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
