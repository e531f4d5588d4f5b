import { innermostMessage } from '../errors/causes';
import { TypedError } from '../errors/types';
import { InvalidArgumentError } from 'commander';

/** An error whose message is already what the user should read: printed as one line, no stack. */
export class UserError extends Error {
  override name = 'UserError';
}

/** Commander option parser for a whole number in [min, max]. */
export function intArg(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

/** Maps low-level failures to one line that says what is wrong and what to do next. */
export function describeError(err: unknown, ctx: { temporalAddress?: string } = {}): string {
  const e = err as { name?: string; message?: string; code?: unknown; details?: string };
  const msg = e?.message ?? String(err);
  if (
    e?.name === 'UserError' ||
    e?.name === 'ConfigError' ||
    e?.name === 'OverlapError' ||
    err instanceof TypedError
  )
    return msg;
  // Temporal wraps the reason (a rejected update, a failed activity) in causes.
  if (e?.name === 'WorkflowUpdateFailedError' || e?.name === 'WorkflowFailedError') {
    return innermostMessage(err);
  }
  if (
    /ECONNREFUSED|Failed to connect|failed to connect|UNAVAILABLE|TransportError|Connection refused/i.test(
      msg,
    ) &&
    ctx.temporalAddress
  ) {
    return `cannot reach Temporal at ${ctx.temporalAddress}; start it with \`npx wdsync dev\` or set TEMPORAL_ADDRESS`;
  }
  if (e?.name === 'WorkflowNotFoundError' || /workflow not found|not found for ID/i.test(msg)) {
    return `no such run: ${msg.replace(/^.*?:\s*/, '')}; list runs with \`wdsync runs\``;
  }
  return msg;
}

/**
 * Commander's own usage errors as one line: `wdsync: error: …`, a "Did you mean" suggestion kept on
 * the same line, and for unknown options, commands and bad arguments a pointer to the help of the
 * command at hand (`commandPath` is e.g. "schedule create", empty for the program itself).
 */
export function formatUsageError(str: string, commandPath: string): string {
  let line = str
    .trim()
    .replace(/^error:\s*/, '')
    .replace(/\s*\n\s*\(Did you mean (.*)\?\)/, ' (did you mean $1?)')
    .replace(/\s*\n\s*/g, ' ');
  if (
    /^(unknown option|unknown command|too many arguments|missing required argument|option .* argument missing)/.test(
      line,
    )
  ) {
    line = `${line.replace(/\.$/, '')}; see \`${['wdsync', commandPath].filter(Boolean).join(' ')} --help\``;
  }
  return `wdsync: error: ${line}\n`;
}

/**
 * Runs a command's argument checks before any configuration or connection is touched. A failure
 * is one line on stderr and exit code 1; the result is undefined then.
 */
export function checkedArgs<T>(check: () => T): T | undefined {
  try {
    return check();
  } catch (err) {
    process.stderr.write(`wdsync: error: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return undefined;
  }
}
