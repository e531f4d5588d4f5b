import { readFileSync } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { AxiosInstance } from 'axios';
import { boundText } from '../errors/bound';
import { type WorkdayConfig, tenantOf } from './config';
import { type HttpContext, WorkdayConfigError, classifyHttpResponse } from './errors';
import { type TokenProvider, createOAuthTokenProvider } from './oauth';
import { createPageParser } from './parse';
import { familyOfVersion } from './schema-family';
import type { DeadLetter } from '../domain/dead-letter';
import type { NormalizedWorker } from '../domain/worker-record';
import {
  type EnvelopeAuth,
  type GetWorkersRequestInput,
  buildGetWorkersEnvelope,
  parseGetWorkersRequest,
} from './request';
import { createHttp, destroyHttp, postSoap, readText } from './transport';

export interface PageResult {
  /** The page requested. */
  page: number;
  totalResults: number;
  totalPages: number;
  /** Page_Results as Workday reported it; not trusted (some tenants echo Count). */
  pageResultsReported: number | undefined;
  /** Worker elements actually received: records.length + deadLetters.length. */
  rows: number;
  records: NormalizedWorker[];
  deadLetters: DeadLetter[];
  /** Decompressed body bytes. */
  bytes: number;
  /** Bytes on the wire (smaller when gzip was used). */
  wireBytes: number;
  durationMs: number;
}

export interface GetWorkersPageOptions {
  signal?: AbortSignal;
  /** Running totals while the body streams, e.g. to heartbeat a long fetch. */
  onProgress?(bytes: number, workers: number): void;
  /**
   * The decompressed body of a successful (HTTP 200) response as it streams, for staging the raw
   * page. If getWorkersPage then rejects, discard what was received.
   */
  onRawChunk?(chunk: Buffer): void;
  /**
   * When Workday sent a successful response gzip-encoded: its bytes as they came on the wire, a
   * gzip stream of exactly what onRawChunk sees, so staging can keep them without compressing the
   * page again. The first such chunk arrives before the first onRawChunk. Not called for a body
   * sent uncompressed.
   */
  onGzipChunk?(chunk: Buffer): void;
  /** Each valid record as it is parsed; the result's `records` is then empty (see PageParserOptions). */
  onRecord?(record: NormalizedWorker): void;
}

export interface WorkdayClient {
  readonly endpoint: string;
  readonly tenant: string;
  getWorkersPage(request: GetWorkersRequestInput, opts?: GetWorkersPageOptions): Promise<PageResult>;
  /** Releases pooled connections. */
  close(): void;
}

export interface WorkdayClientDeps {
  /** An axios instance to send through (a proxy-aware one, or a test double). */
  http?: AxiosInstance;
  tokenProvider?: TokenProvider;
}

const XML_CONTENT_TYPE = /xml/i;
const PARSE_SLICE = 32 * 1024;

/** `config` is already validated (parseWorkdayConfig, or wdsync's loadConfig): nothing is parsed twice. */
export function createWorkdayClient(config: WorkdayConfig, deps: WorkdayClientDeps = {}): WorkdayClient {
  const ownsHttp = !deps.http;
  const http = deps.http ?? createHttp(readTlsFiles(config));
  const tokens =
    deps.tokenProvider ?? (config.oauth ? createOAuthTokenProvider(config.oauth, http) : undefined);
  const authMode: HttpContext['authMode'] = tokens ? 'oauth' : 'password';
  const family = familyOfVersion(config.version);
  const timeouts = {
    totalMs: config.timeoutMs,
    responseMs: config.responseTimeoutMs ?? Math.min(180_000, config.timeoutMs),
    idleMs: config.idleTimeoutMs ?? Math.min(60_000, config.timeoutMs),
  };

  async function attempt(
    request: GetWorkersRequestInput,
    opts: GetWorkersPageOptions,
    token: string | undefined,
  ): Promise<PageResult> {
    const started = Date.now();
    const auth: EnvelopeAuth =
      token !== undefined
        ? { kind: 'bearer' }
        : { kind: 'usernameToken', username: config.username, password: config.password!.reveal() };
    const envelope = buildGetWorkersEnvelope(request, auth, config.version);
    const { page, count, responseGroup } = parseGetWorkersRequest(request);
    return postSoap(http, {
      url: config.endpoint,
      body: envelope,
      headers: token !== undefined ? { Authorization: `Bearer ${token}` } : {},
      signal: opts.signal,
      timeouts,
      maxBodyBytes: config.maxResponseBytes,
      wireListener: (status, encoding) =>
        status === 200 && encoding === 'gzip' ? opts.onGzipChunk : undefined,
      consume: async (res) => {
        const ctx: HttpContext = {
          status: res.status,
          retryAfter: res.headers['retry-after'],
          endpoint: config.endpoint,
          authMode,
        };
        if (res.status !== 200) throw classifyHttpResponse(await readText(res.body), ctx);
        const type = res.headers['content-type'];
        if (type && !XML_CONTENT_TYPE.test(type)) {
          const snippet = boundText(await readText(res.body, 2048), 120);
          throw new WorkdayConfigError(
            `Expected a SOAP response from ${config.endpoint} but got ${boundText(type, 80)} ("${snippet}"). Check WORKDAY_ENDPOINT: it must be the Human_Resources SOAP URL, not a login page or proxy.`,
            { status: res.status },
          );
        }
        const parser = createPageParser({
          onProgress: opts.onProgress,
          faultContext: ctx,
          maxRows: count,
          family,
          requested: responseGroup,
          onRecord: opts.onRecord,
        });
        for await (const chunk of res.body) {
          opts.onRawChunk?.(chunk);
          // Parsed in slices with a turn of the event loop between them: a worker runs several
          // fetches beside its workflow tasks, which would otherwise wait behind every chunk of
          // every page in flight (at concurrency 8, 150 ms more per page handoff, measured).
          for (let at = 0; at < chunk.length; at += PARSE_SLICE) {
            if (at > 0) await yieldToLoop();
            parser.write(chunk.subarray(at, at + PARSE_SLICE));
          }
        }
        const parsed = parser.end();
        return {
          page,
          totalResults: parsed.totalResults,
          totalPages: parsed.totalPages,
          pageResultsReported: parsed.pageResultsReported,
          rows: parsed.rows,
          records: parsed.records,
          deadLetters: parsed.deadLetters,
          bytes: parsed.bytes,
          wireBytes: res.wireBytes(),
          durationMs: Date.now() - started,
        };
      },
    });
  }

  return {
    endpoint: config.endpoint,
    tenant: tenantOf(config),
    async getWorkersPage(request, opts = {}) {
      // Validate before any token fetch or network traffic: a bad request is never worth a round trip.
      parseGetWorkersRequest(request);
      if (!tokens) return attempt(request, opts, undefined);
      const token = await tokens.getToken(opts.signal);
      try {
        return await attempt(request, opts, token);
      } catch (err) {
        // Tokens can be revoked or expire early; one fresh token decides whether auth really fails.
        if ((err as { kind?: string }).kind !== 'auth') throw err;
        tokens.invalidate(token);
        return attempt(request, opts, await tokens.getToken(opts.signal));
      }
    },
    close() {
      if (ownsHttp) destroyHttp(http);
    },
  };
}

function readTlsFile(file: string | undefined, setting: string): Buffer | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new WorkdayConfigError(
      `cannot read ${setting} ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); fix the path or unset it`,
    );
  }
}

function readTlsFiles(config: WorkdayConfig) {
  return {
    ca: readTlsFile(config.caFile, 'WORKDAY_CA_FILE'),
    cert: readTlsFile(config.clientCertFile, 'WORKDAY_CLIENT_CERT_FILE'),
    key: readTlsFile(config.clientKeyFile, 'WORKDAY_CLIENT_KEY_FILE'),
  };
}
