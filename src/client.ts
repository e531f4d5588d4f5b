import { buildProgram } from './cli/program';
import { STATE_DIR } from './devserver/temporal-binary';
import { restrictDir, restrictUmask } from './paths/private';

// The `wdsync` CLI. Commands live in src/cli/; this file only runs them.
// Every file a command creates (and the Temporal dev server it starts) is owner-only.
restrictUmask();
restrictDir(STATE_DIR);
buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`wdsync: error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
