import { boundText } from '../errors/bound';
import { type XNode, child, children, parseTree, text } from './xml-tree';

/**
 * What went wrong talking to Workday, reduced to what a caller must decide: give up (auth,
 * validation, config) or try again later (throttled, transient). The activity layer maps
 * non-retryable kinds to non-retryable Temporal failures, so Workday is never hammered with a
 * request that cannot succeed.
 */
export type WorkdayErrorKind =
  | 'auth'
  | 'validation'
  | 'throttled'
  | 'transient'
  | 'config'
  | 'contract'
  | 'tooLarge';

export interface WorkdayErrorInit {
  /** HTTP status, when Workday answered. */
  status?: number;
  /** SOAP faultcode as sent, e.g. SOAP-ENV:Client.validationError. */
  faultCode?: string;
  /** The fault's own text, free of our advice; safe to log (never carries credentials). */
  detail?: string;
  cause?: unknown;
}

export abstract class WorkdayError extends Error {
  abstract readonly kind: WorkdayErrorKind;
  readonly status?: number;
  readonly faultCode?: string;
  readonly detail?: string;

  constructor(message: string, init: WorkdayErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.faultCode = init.faultCode;
    this.detail = init.detail;
  }

  /** A one-line summary without PII, for workflow history and logs. */
  summary(): string {
    const where = [this.status ? `HTTP ${this.status}` : undefined, this.faultCode].filter(Boolean).join(' ');
    return `[${this.kind}${where ? ` ${where}` : ''}] ${this.message}`;
  }
}

export class WorkdayAuthError extends WorkdayError {
  readonly kind = 'auth' as const;
  override readonly name = 'WorkdayAuthError';
}

export interface ValidationErrorDetail {
  message?: string;
  detailMessage?: string;
  xpath?: string;
}

export class WorkdayValidationError extends WorkdayError {
  readonly kind = 'validation' as const;
  override readonly name = 'WorkdayValidationError';
  readonly errors: ValidationErrorDetail[];

  constructor(message: string, errors: ValidationErrorDetail[], init: WorkdayErrorInit = {}) {
    super(message, init);
    this.errors = errors;
  }
}

export class WorkdayThrottledError extends WorkdayError {
  readonly kind = 'throttled' as const;
  override readonly name = 'WorkdayThrottledError';
  /** From Retry-After when Workday (or a proxy) sent one; SOAP throttling faults carry none. */
  readonly retryAfterMs?: number;

  constructor(message: string, init: WorkdayErrorInit & { retryAfterMs?: number } = {}) {
    super(message, init);
    this.retryAfterMs = init.retryAfterMs;
  }
}

export type TransientReason = 'fault' | 'timeout' | 'network' | 'truncated' | 'malformed' | 'unavailable';

export class WorkdayTransientError extends WorkdayError {
  readonly kind = 'transient' as const;
  override readonly name = 'WorkdayTransientError';
  readonly reason: TransientReason;
  readonly retryAfterMs?: number;
  /**
   * Failed while a 200 answer's body was streaming (set by the transport): a cut mid-body, even
   * when the reset threw away what had arrived before any of it was read.
   */
  midBody = false;

  constructor(
    message: string,
    reason: TransientReason,
    init: WorkdayErrorInit & { retryAfterMs?: number } = {},
  ) {
    super(message, init);
    this.reason = reason;
    this.retryAfterMs = init.retryAfterMs;
  }
}

export class WorkdayConfigError extends WorkdayError {
  readonly kind = 'config' as const;
  override readonly name = 'WorkdayConfigError';
}

/**
 * The answer broke Workday's contract in a way fetching it again will not change: more Workers
 * than the Count asked for, a DTD, a body or text node past wdsync's caps. Never retried.
 */
export class WorkdayContractError extends WorkdayError {
  readonly kind = 'contract' as const;
  override readonly name = 'WorkdayContractError';
}

/**
 * Workday would not (or could not) send a response this large. Asking again for the same page
 * fails the same way; asking for smaller pages covering the same rows succeeds (the page
 * workflow's split, src/workflows/page-split.ts).
 */
export class WorkdayResponseTooLargeError extends WorkdayError {
  readonly kind = 'tooLarge' as const;
  override readonly name = 'WorkdayResponseTooLargeError';
}

export type AnyWorkdayError =
  | WorkdayResponseTooLargeError
  | WorkdayAuthError
  | WorkdayValidationError
  | WorkdayThrottledError
  | WorkdayTransientError
  | WorkdayConfigError
  | WorkdayContractError;

export function isWorkdayError(err: unknown): err is AnyWorkdayError {
  return err instanceof WorkdayError;
}

/**
 * Whether trying the same request again can succeed. Errors that are not Workday errors are
 * left to the caller's default policy (true), except for the kinds we know never heal by retrying.
 */
export function isRetryable(err: unknown): boolean {
  if (!isWorkdayError(err)) return true;
  return err.kind === 'throttled' || err.kind === 'transient';
}

const THROTTLE_BASE_MS = 5_000;
const THROTTLE_MAX_MS = 120_000;
const TRANSIENT_BASE_MS = 1_000;
const TRANSIENT_MAX_MS = 60_000;

/**
 * How long to wait before retry number `attempt` (1-based), or undefined when the error must not
 * be retried. Honours Retry-After; otherwise exponential backoff with full jitter, so parallel page
 * fetches that failed together do not come back together. Throttling backs off from a higher base
 * because the tenant, not the network, is what needs time.
 */
export function retryDelayMs(
  err: unknown,
  attempt = 1,
  random: () => number = Math.random,
): number | undefined {
  if (!isRetryable(err)) return undefined;
  const hinted = isWorkdayError(err) && 'retryAfterMs' in err ? err.retryAfterMs : undefined;
  const throttled = isWorkdayError(err) && err.kind === 'throttled';
  return backoffDelayMs(throttled ? 'throttled' : 'transient', attempt, hinted, random);
}

/**
 * The delay rule of retryDelayMs for a known kind: Retry-After when given, otherwise
 * exponential in `attempt` (1-based) from the kind's base up to its cap, half fixed, half jitter.
 */
export function backoffDelayMs(
  kind: 'throttled' | 'transient',
  attempt = 1,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) return retryAfterMs;
  const throttled = kind === 'throttled';
  const base = throttled ? THROTTLE_BASE_MS : TRANSIENT_BASE_MS;
  const max = throttled ? THROTTLE_MAX_MS : TRANSIENT_MAX_MS;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  // Half fixed, half jitter: never hammers at ~0 ms, still spreads simultaneous failures.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

// --- SOAP fault bodies --------------------------------------------------------------------------

export interface SoapFault {
  faultCode: string;
  faultString: string;
  validationErrors: ValidationErrorDetail[];
  processingDetail?: string;
}

/** Each fault text is cut to this, so a message built of several stays near MAX_ERROR_TEXT. */
const MAX_FAULT_PART = 400;
const MAX_VALIDATION_ERRORS = 5;

/**
 * Reads a SOAP 1.1 Fault element (any prefix) into its parts, each bounded and stripped of
 * control characters and email addresses: fault text is upstream content that ends up in
 * history, webhooks and the audit trail (a 1.8 MB faultstring once got a run terminated).
 */
export function readFault(fault: XNode): SoapFault {
  const detail = child(fault, 'detail');
  const validation = detail && child(detail, 'Validation_Fault');
  const processing = detail && child(detail, 'Processing_Fault');
  const bounded = (s: string | undefined, max = MAX_FAULT_PART) =>
    s === undefined ? undefined : boundText(s, max);
  const processingDetail = processing ? text(child(processing, 'Detail_Message')) : undefined;
  return {
    faultCode: boundText(text(child(fault, 'faultcode')) ?? '', 100),
    faultString: boundText(text(child(fault, 'faultstring')) ?? '', MAX_FAULT_PART),
    validationErrors: validation
      ? children(validation, 'Validation_Error')
          .slice(0, MAX_VALIDATION_ERRORS)
          .map((e) => ({
            message: bounded(text(child(e, 'Message')), 200),
            detailMessage: bounded(text(child(e, 'Detail_Message')), 200),
            xpath: bounded(text(child(e, 'Xpath')), 200),
          }))
      : [],
    processingDetail: bounded(processingDetail),
  };
}

/** Finds the Fault in a SOAP envelope string, or undefined when the body is not a SOAP fault. */
export function findFault(body: string): SoapFault | undefined {
  let root: XNode;
  try {
    root = parseTree(body);
  } catch {
    return undefined;
  }
  const envelope = root.name === 'Envelope' ? root : undefined;
  const soapBody = envelope && child(envelope, 'Body');
  const fault = soapBody ? child(soapBody, 'Fault') : root.name === 'Fault' ? root : undefined;
  return fault ? readFault(fault) : undefined;
}

const THROTTLE_RE =
  /throttl|rate.?limit|too many (concurrent )?requests|concurren\w* (request )?limit|request limit|limit (was |has been )?exceeded|exceeded .*limit/i;
/**
 * Workday's fault for a response it will not build or send because of its size. Its exact text is
 * not published (Workday Community is behind a login), so this keys on the wording such faults
 * use: a response, result or message that is too large, or over / exceeding a size limit.
 */
const RESPONSE_SIZE_RE =
  /\b(response|result|message|payload|output)s?\b[^.]{0,60}?\b(too (large|big)|(exceeds?|exceeding|over) (the )?(maximum|max|allowed|size|byte|limit))|\btoo (large|big) to (return|send|serialize|process)\b/i;
const PERMISSION_RE = /not authorized|permission|access denied|insufficient privileges/i;

export interface HttpContext {
  status?: number;
  retryAfter?: string;
  endpoint: string;
  /** What the client authenticates with, so auth advice names the right settings. */
  authMode: 'password' | 'oauth';
}

const AUTH_ADVICE = {
  password:
    'check WORKDAY_USERNAME/WORKDAY_PASSWORD; the username must be user@tenant (e.g. isu_wdsync@acme) and its tenant must match the one in WORKDAY_ENDPOINT',
  oauth:
    'check the OAuth client id, secret and refresh token (they may have been revoked or expired); register a new refresh token for the integration user if needed',
};

/** Classifies a SOAP fault (Workday sends these with HTTP 500, sometimes 200 from proxies). */
export function classifyFault(fault: SoapFault, ctx: HttpContext): AnyWorkdayError {
  const code = fault.faultCode;
  const detail = [fault.faultString, fault.processingDetail].filter(Boolean).join(' — ');
  const init = { status: ctx.status, faultCode: code, detail };
  const lc = code.toLowerCase();
  const retryAfterMs = parseRetryAfter(ctx.retryAfter);

  if (lc.endsWith('authenticationerror')) {
    return new WorkdayAuthError(
      `Workday rejected the credentials (${fault.faultString || 'authentication error'}): ${AUTH_ADVICE[ctx.authMode]}.`,
      init,
    );
  }
  if (lc.endsWith('validationerror') || fault.validationErrors.length > 0) {
    const parts = fault.validationErrors.map((e) =>
      [
        e.message,
        e.detailMessage && e.detailMessage !== e.message ? `(${e.detailMessage})` : undefined,
        e.xpath ? `at ${e.xpath}` : undefined,
      ]
        .filter(Boolean)
        .join(' '),
    );
    const what = parts.length ? parts.join('; ') : fault.faultString || 'validation error';
    return new WorkdayValidationError(
      `Workday rejected the Get_Workers request: ${what}. Retrying will not help; fix the request (page must be ≥ 1, page size 1..999, worker references must exist or set skipNonExisting).`,
      fault.validationErrors,
      { ...init, detail: what },
    );
  }
  // Before the throttle test: "over the limit" must not read as a rate limit.
  if (RESPONSE_SIZE_RE.test(detail)) {
    return new WorkdayResponseTooLargeError(
      `Workday will not return a response this large (${detail}); wdsync asks for the same rows as smaller pages.`,
      init,
    );
  }
  if (THROTTLE_RE.test(detail)) {
    return new WorkdayThrottledError(
      `Workday is throttling requests (${detail}); wdsync backs off and retries. If this persists, lower the concurrency or request rate.`,
      { ...init, retryAfterMs },
    );
  }
  if (PERMISSION_RE.test(detail)) {
    return new WorkdayAuthError(
      `Workday refused the request (${detail}): the integration user lacks permission. Grant its security group Get access to the worker data domains (Worker Data: Public/Personal/Employment/Compensation/Organization) and activate pending security policy changes.`,
      init,
    );
  }
  return new WorkdayTransientError(
    `Workday could not process the request (${detail || code || 'processing fault'}); it will be retried.`,
    'fault',
    { ...init, retryAfterMs },
  );
}

/**
 * Classifies a non-2xx HTTP answer from its status, headers and (possibly partial) body.
 * Workday reports auth, validation and throttling alike as HTTP 500, so the body decides first.
 */
export function classifyHttpResponse(body: string, ctx: HttpContext): AnyWorkdayError {
  const fault = findFault(body);
  const status = ctx.status;
  const retryAfterMs = parseRetryAfter(ctx.retryAfter);
  if (fault) {
    // A fault on 401 is still an authentication failure, whatever the fault code says.
    if (status === 401) {
      return new WorkdayAuthError(
        `Workday rejected the credentials (HTTP 401): ${AUTH_ADVICE[ctx.authMode]}.`,
        {
          status,
          faultCode: fault.faultCode,
          detail: fault.faultString,
        },
      );
    }
    if (status === 429) {
      return new WorkdayThrottledError(
        `Workday is throttling requests (HTTP 429, ${fault.faultString}); wdsync backs off and retries.`,
        {
          status,
          faultCode: fault.faultCode,
          retryAfterMs,
        },
      );
    }
    return classifyFault(fault, ctx);
  }
  const snippet = boundText(body, 200);
  const init = { status, detail: snippet || undefined };
  switch (true) {
    case status === 401:
    case status === 403:
      return new WorkdayAuthError(
        `Workday refused access (HTTP ${status}): ${AUTH_ADVICE[ctx.authMode]}.`,
        init,
      );
    case status === 429:
      return new WorkdayThrottledError(
        'Workday is throttling requests (HTTP 429); wdsync backs off and retries. If this persists, lower the concurrency or request rate.',
        {
          ...init,
          retryAfterMs,
        },
      );
    case status === 503 && retryAfterMs !== undefined && !/maintenance/i.test(snippet):
      return new WorkdayThrottledError(
        `Workday is overloaded (HTTP 503, retry after ${Math.ceil(retryAfterMs / 1000)}s); wdsync waits and retries.`,
        {
          ...init,
          retryAfterMs,
        },
      );
    case status === 503:
      return new WorkdayTransientError(
        'Workday is unavailable (HTTP 503, maintenance window or overload); the request will be retried later.',
        'unavailable',
        {
          ...init,
          retryAfterMs,
        },
      );
    case status === 404:
    case status === 405:
      return new WorkdayConfigError(
        `No Workday Human_Resources service at ${ctx.endpoint} (HTTP ${status}). Check WORKDAY_ENDPOINT: it must look like https://<host>/ccx/service/<tenant>/Human_Resources/v44.0.`,
        init,
      );
    case status !== undefined && status >= 500:
      return new WorkdayTransientError(
        `Workday answered HTTP ${status} without a SOAP fault; the request will be retried.`,
        'fault',
        init,
      );
    default:
      return new WorkdayConfigError(
        `Unexpected HTTP ${status} from ${ctx.endpoint}. Check WORKDAY_ENDPOINT points at the Human_Resources SOAP service, not a login page or proxy.`,
        init,
      );
  }
}

const NETWORK_TRANSIENT = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'Z_BUF_ERROR',
  'Z_DATA_ERROR',
]);
const CONFIG_CODES = new Set([
  'ENOTFOUND',
  'ERR_INVALID_URL',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);
/** The server's alert when it wants a client certificate, or refused the one it got. */
const CLIENT_CERT_REFUSED =
  /^ERR_SSL_(TLSV13_)?(SSLV3_|TLSV1_)?ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|HANDSHAKE_FAILURE|CERTIFICATE_UNKNOWN)$/;
const UNTRUSTED_CERT = /SELF_SIGNED|UNABLE_TO_(VERIFY|GET_ISSUER)|CERT_HAS_EXPIRED/;

/**
 * Turns anything thrown while talking to Workday (node socket errors, axios errors, our own
 * timeouts) into a WorkdayError. Workday errors pass through unchanged.
 */
export function toWorkdayError(err: unknown, endpoint: string): AnyWorkdayError {
  if (isWorkdayError(err)) return err;
  const e = err as { code?: string; message?: string; cause?: { code?: string } } | undefined;
  const code = e?.code ?? e?.cause?.code;
  const message = e?.message ?? String(err);
  let host = endpoint;
  try {
    host = new URL(endpoint).host;
  } catch {}
  if (code && CLIENT_CERT_REFUSED.test(code)) {
    return new WorkdayConfigError(
      `${host} refused the TLS client certificate (${code}). Set WORKDAY_CLIENT_CERT_FILE and WORKDAY_CLIENT_KEY_FILE to a certificate it accepts.`,
      { detail: message, cause: err },
    );
  }
  if (code && UNTRUSTED_CERT.test(code)) {
    return new WorkdayConfigError(
      `${host}'s TLS certificate is not trusted (${code}). If it is signed by a private CA (e.g. a TLS proxy's), set WORKDAY_CA_FILE to that CA's PEM bundle.`,
      { detail: message, cause: err },
    );
  }
  if (code && CONFIG_CODES.has(code)) {
    const what =
      code === 'ENOTFOUND'
        ? `cannot resolve host ${host}`
        : code === 'ERR_INVALID_URL'
          ? `invalid URL ${endpoint}`
          : `TLS handshake with ${host} failed (${code})`;
    return new WorkdayConfigError(
      `${what}. Check WORKDAY_ENDPOINT (https://<host>/ccx/service/<tenant>/Human_Resources/v44.0) and the network/proxy settings.`,
      {
        detail: message,
        cause: err,
      },
    );
  }
  if (code === 'ETIMEDOUT' || code === 'ECONNABORTED' || /timeout/i.test(message)) {
    return new WorkdayTransientError(
      `Request to Workday timed out (${message}); it will be retried.`,
      'timeout',
      { detail: message, cause: err },
    );
  }
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(message)) {
    return new WorkdayTransientError(
      'The gzip-compressed response from Workday was cut short; the page will be fetched again.',
      'truncated',
      {
        detail: message,
        cause: err,
      },
    );
  }
  if (
    (code && NETWORK_TRANSIENT.has(code)) ||
    /socket hang up|aborted|premature close|unexpected end of file/i.test(message)
  ) {
    const hint =
      code === 'ECONNREFUSED'
        ? ` If this persists, check that ${host} is the right host and port.`
        : code === 'ECONNRESET' && endpoint.startsWith('https:')
          ? // A TLS 1.3 server that wants a client certificate resets the connection after the handshake.
            ' If every attempt is reset and the endpoint uses mutual TLS, set WORKDAY_CLIENT_CERT_FILE and WORKDAY_CLIENT_KEY_FILE.'
          : '';
    return new WorkdayTransientError(
      `Connection to Workday failed (${code ?? message}); it will be retried.${hint}`,
      'network',
      {
        detail: message,
        cause: err,
      },
    );
  }
  return new WorkdayTransientError(
    `Unexpected error talking to Workday (${message}); it will be retried.`,
    'network',
    { detail: message, cause: err },
  );
}
