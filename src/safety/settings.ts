import { z } from 'zod';

/** The circuit breaker's settings as the config file and WDSYNC_SINKS give them (see breaker.ts). */
export const SafetySettings = z
  .object({
    /** Most deactivations plus deletions one run applies to a sink without approval (0: every one needs it). */
    maxDestructive: z.coerce
      .number({ error: 'maxDestructive must be a whole number, e.g. 500' })
      .int('maxDestructive must be a whole number, e.g. 500')
      .min(0, 'maxDestructive must be 0 or more'),
    /** The same as a share of the records the sink holds, in percent (100: no share limit). */
    maxDestructivePercent: z.coerce
      .number({ error: 'maxDestructivePercent must be a number from 0 to 100, e.g. 10' })
      .min(0, 'maxDestructivePercent must be from 0 to 100')
      .max(100, 'maxDestructivePercent must be from 0 to 100'),
  })
  .strict();

/** A sink's own settings: any limit it leaves out comes from the config's `safety` defaults. */
export const SafetyOverrideSettings = SafetySettings.partial();
