import type { WdsyncConfig } from '../config/config';
import { describeError } from './errors';

/**
 * Wraps a command action: loads config, and turns any failure into one line on stderr and exit
 * code 1 (no stack traces for expected problems; WDSYNC_DEBUG=1 shows them).
 */
export function action<A extends unknown[]>(fn: (cfg: WdsyncConfig, ...args: A) => Promise<void>) {
  return async (...args: A) => {
    let cfg: WdsyncConfig | undefined;
    try {
      // Loaded when a command runs, not when `wdsync --help` only defines it (issue 17).
      const { loadConfig }: typeof import('../config/config') = require('../config/config');
      cfg = loadConfig();
      await fn(cfg, ...args);
    } catch (err) {
      if (process.env.WDSYNC_DEBUG) console.error(err);
      process.stderr.write(
        `wdsync: error: ${describeError(err, {
          temporalAddress: cfg?.temporal.address,
          databaseUrl: cfg?.database.url,
          workdayEndpoint: cfg?.workday.endpoint,
        })}\n`,
      );
      process.exitCode = 1;
    }
  };
}
