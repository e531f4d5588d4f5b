import { lookaheadMs } from '../time/lookahead';
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

/** `--termination-lookahead 24h`: to milliseconds, or one line saying what it takes. */
export function lookaheadArg(value: string): number {
  const ms = lookaheadMs(value.trim());
  if (ms === undefined)
    throw new InvalidArgumentError(
      '--termination-lookahead takes a duration like 24h, 90m or 2d (at most 7d)',
    );
  return ms;
}

/** What a command talks to, so a refused connection can be pinned on the right one. */
export interface ErrorContext {
  temporalAddress?: string;
  databaseUrl?: string;
  workdayEndpoint?: string;
}

/** Errors whose message already names what failed and what to do. */
const SELF_EXPLAINING = new Set([
  'UserError',
  'ConfigError',
  'OverlapError',
  'DbOpenError',
  'WorkdayUnreachableError',
]);

const REFUSED =
  /ECONNREFUSED|Failed to connect|failed to connect|UNAVAILABLE|TransportError|Connection refused/i;

/** host:port of a URL (default port by scheme), or undefined. */
function hostPort(url: string | undefined, defaultPort: string): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    if (!u.hostname) return undefined;
    const port = u.port || (u.protocol === 'https:' ? '443' : u.protocol === 'http:' ? '80' : defaultPort);
    return `${u.hostname.replace(/^\[|\]$/g, '')}:${port}`;
  } catch {
    return undefined;
  }
}

/**
 * A refused connection, named after what is really down: Node's own message says which address it
 * tried ("connect ECONNREFUSED 127.0.0.1:5432"), and that is matched against the database, Workday
 * and Temporal addresses of the configuration.
 */
function refusedConnection(msg: string, ctx: ErrorContext): string | undefined {
  const tried = /(?:ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND)\s+\[?([\w.:-]+?)\]?:(\d+)\b/.exec(msg);
  const addr = tried ? `${tried[1]}:${tried[2]}` : undefined;
  const db = hostPort(ctx.databaseUrl, '5432');
  const workday = hostPort(ctx.workdayEndpoint, '443');
  const same = (a: string | undefined, b: string | undefined) =>
    a !== undefined &&
    b !== undefined &&
    a.replace(/^localhost:/, '127.0.0.1:') === b.replace(/^localhost:/, '127.0.0.1:');
  if (addr && same(addr, db)) {
    return `cannot reach the database at ${db} (${msg.match(/E[A-Z]+/)?.[0] ?? 'refused'}); start PostgreSQL or fix DATABASE_URL`;
  }
  if (addr && same(addr, workday)) {
    return `cannot reach Workday at ${workday} (${msg.match(/E[A-Z]+/)?.[0] ?? 'refused'}); check WORKDAY_ENDPOINT, or start the simulator with \`wdsync simulator\``;
  }
  if (addr && !same(addr, ctx.temporalAddress)) return `cannot reach ${addr}: ${msg}`;
  if (ctx.temporalAddress) {
    return `cannot reach Temporal at ${ctx.temporalAddress}; start it with \`npx wdsync dev\` or set TEMPORAL_ADDRESS`;
  }
  return undefined;
}

/** Maps low-level failures to one line that says what is wrong and what to do next. */
export function describeError(err: unknown, ctx: ErrorContext = {}): string {
  const e = err as { name?: string; message?: string; code?: unknown; details?: string };
  const msg = e?.message ?? String(err);
  if ((e?.name && SELF_EXPLAINING.has(e.name)) || err instanceof TypedError) return msg;
  // Temporal wraps the reason (a rejected update, a failed activity) in causes.
  if (e?.name === 'WorkflowUpdateFailedError' || e?.name === 'WorkflowFailedError') {
    // Required here, not on top: it loads the Temporal SDK, which `wdsync --help` does without.
    const { innermostMessage }: typeof import('../errors/causes') = require('../errors/causes');
    return innermostMessage(err);
  }
  if (REFUSED.test(msg)) {
    const named = refusedConnection(msg, ctx);
    if (named) return named;
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
