/**
 * Error classification shared by the pg and PGlite adapters, so activities can tell a dropped
 * connection (retry) from a bad statement (do not retry).
 */

/** Thrown when the database connection failed or dropped; the operation is safe to retry. */
export class DbConnectionError extends Error {
  readonly retryable = true;
  readonly code?: string;
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, { cause: options?.cause });
    this.name = 'DbConnectionError';
    this.code = options?.code;
  }
}

/**
 * Thrown by openDb when PostgreSQL cannot be reached or refuses us. retryable is true when the
 * server was merely unreachable (it may come back), false for a wrong password or missing database.
 */
export class DbOpenError extends Error {
  readonly retryable: boolean;
  constructor(message: string, options: { cause?: unknown; retryable: boolean }) {
    super(message, { cause: options.cause });
    this.name = 'DbOpenError';
    this.retryable = options.retryable;
  }
}

const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '57P01', // admin_shutdown: pg_terminate_backend, server restart
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: server starting up
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

const CONNECTION_MESSAGES =
  /Connection terminated|not queryable|Client was closed|Connection ended|timeout exceeded when trying to connect|terminating connection/i;

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isConnectionError(err: unknown): boolean {
  if (err instanceof DbConnectionError) return true;
  const code = codeOf(err);
  if (code && CONNECTION_CODES.has(code)) return true;
  return err instanceof Error && CONNECTION_MESSAGES.test(err.message);
}

// Transient server-side conditions where running the same statement again is the right move.
const RETRYABLE_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '53300', // too_many_connections
  '55P03', // lock_not_available
  '57014', // query_canceled (statement_timeout)
]);

/** True for errors an activity should retry: lost connections and transient server conditions. */
export function isRetryableDbError(err: unknown): boolean {
  if (isConnectionError(err)) return true;
  const code = codeOf(err);
  return code !== undefined && RETRYABLE_SQLSTATES.has(code);
}

/** Replaces the password of a connection URL (or anything URL-shaped inside a message) with ***. */
export function redactUrl(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@/\s]*@/gi, '$1***@');
}
