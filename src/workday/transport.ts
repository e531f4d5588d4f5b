import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { type Readable, Transform, pipeline } from 'node:stream';
import zlib from 'node:zlib';
import axios, { type AxiosInstance } from 'axios';
import { WorkdayContractError, WorkdayTransientError, isWorkdayError, toWorkdayError } from './errors';

export interface Timeouts {
  /** Whole exchange, body included. */
  totalMs: number;
  /** Until response headers. */
  responseMs: number;
  /** Longest gap between body chunks. */
  idleMs: number;
}

export interface SoapResponse {
  status: number;
  headers: Record<string, string | undefined>;
  /** The decompressed body. Iterate it once; errors (resets, timeouts, bad gzip) surface from the iterator. */
  body: AsyncIterable<Buffer>;
  /** Bytes received on the wire so far (compressed, when gzip was used). */
  wireBytes(): number;
}

export interface PostSoapOptions<T> {
  url: string;
  body: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  timeouts: Timeouts;
  /**
   * Most decompressed bytes read from the body; past it the exchange fails with a
   * WorkdayContractError (a gzip bomb of 1 MB on the wire once expanded to 1 GB).
   */
  maxBodyBytes?: number;
  /**
   * Asked once the response headers are in: a listener for the body's bytes exactly as they come
   * on the wire (still gzip-encoded, when Content-Encoding says so), or undefined for none. Each
   * wire chunk reaches it before the decompressed bytes it holds reach the body.
   */
  wireListener?(status: number, encoding: 'gzip' | 'identity'): ((chunk: Buffer) => void) | undefined;
  /** Reads the response; runs while the deadline and idle timers are armed. */
  consume(res: SoapResponse): Promise<T>;
}

/** One pooled connection set per client: Workday pages are many requests to one host. */
/** Extra trust and a client identity for HTTPS, as PEM. */
export interface HttpTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export function createHttp(tlsOptions: HttpTls = {}): AxiosInstance {
  // A private CA is added to Node's bundled roots, not put in their place, so a proxy's CA and
  // Workday's public certificate both verify.
  const ca = tlsOptions.ca ? [...tls.rootCertificates, tlsOptions.ca.toString('utf8')] : undefined;
  return axios.create({
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true, ca, cert: tlsOptions.cert, key: tlsOptions.key }),
  });
}

export function destroyHttp(instance: AxiosInstance): void {
  (instance.defaults.httpAgent as http.Agent | undefined)?.destroy();
  (instance.defaults.httpsAgent as https.Agent | undefined)?.destroy();
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
}

/**
 * POSTs a SOAP envelope and hands the streamed, decompressed response to `consume`.
 * Every failure comes out as a WorkdayError except the caller's own abort, which rethrows the
 * signal's reason so cancellation is never mistaken for a Workday fault.
 */
export async function postSoap<T>(httpClient: AxiosInstance, opts: PostSoapOptions<T>): Promise<T> {
  const { signal, timeouts } = opts;
  if (signal?.aborted) throw abortError(signal);

  const ctl = new AbortController();
  let timedOut: WorkdayTransientError | undefined;
  let response: Readable | undefined;
  let bodyStarted = false;
  const fail = (err: WorkdayTransientError) => {
    timedOut ??= err;
    ctl.abort();
    response?.destroy(err);
  };
  const onCallerAbort = () => {
    ctl.abort();
    response?.destroy(abortError(signal!) as Error);
  };
  signal?.addEventListener('abort', onCallerAbort, { once: true });
  const deadline = setTimeout(
    () =>
      fail(
        new WorkdayTransientError(
          `Workday did not finish answering within ${timeouts.totalMs} ms; the request will be retried.`,
          'timeout',
        ),
      ),
    timeouts.totalMs,
  );
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    if (idle) clearTimeout(idle);
    idle = setTimeout(
      () =>
        fail(
          new WorkdayTransientError(
            `Workday's response stalled: no data for ${timeouts.idleMs} ms; the request will be retried.`,
            'timeout',
          ),
        ),
      timeouts.idleMs,
    );
  };

  try {
    const res = await httpClient.post<Readable>(opts.url, opts.body, {
      headers: {
        'Content-Type': 'text/xml; charset=utf-8',
        // SOAP 1.1 wants the header present; Workday's operations have no soapAction.
        SOAPAction: '""',
        'Accept-Encoding': 'gzip',
        ...opts.headers,
      },
      responseType: 'stream',
      // Decompressed here instead, so we count wire bytes and see gzip errors as ours.
      decompress: false,
      validateStatus: () => true,
      maxRedirects: 0,
      timeout: timeouts.responseMs,
      signal: ctl.signal,
      transitional: { clarifyTimeoutError: true },
    });
    response = res.data;
    if (timedOut) response.destroy(timedOut);
    const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
    const gzipped = encoding === 'gzip' || encoding === 'x-gzip';
    if (!gzipped && encoding && encoding !== 'identity') {
      throw new WorkdayTransientError(
        `Workday answered with unsupported Content-Encoding "${encoding.slice(0, 40)}"; a proxy may be rewriting responses.`,
        'malformed',
      );
    }
    const onWire = opts.wireListener?.(res.status, gzipped ? 'gzip' : 'identity');
    let wire = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        wire += chunk.length;
        armIdle();
        onWire?.(chunk);
        cb(null, chunk);
      },
    });
    armIdle();
    const stages: NodeJS.ReadWriteStream[] = [counter];
    // 256 KB output chunks: a 15 MB page in ~60 chunks instead of ~1,000 trips through the parser.
    if (gzipped) stages.push(zlib.createGunzip({ chunkSize: 256 * 1024 }));
    if (opts.maxBodyBytes !== undefined) stages.push(sizeCap(opts.maxBodyBytes, () => wire));
    // pipeline tears every stage down on the first error, which then surfaces from the body iterator.
    const body = stages.reduce<Readable>(
      (src, stage) => pipeline(src, stage, () => {}) as unknown as Readable,
      response,
    );
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(res.headers))
      headers[k.toLowerCase()] = v == null ? undefined : String(v);
    bodyStarted = res.status === 200;
    return await opts.consume({ status: res.status, headers, body, wireBytes: () => wire });
  } catch (err) {
    if (signal?.aborted) throw abortError(signal);
    const e = timedOut ?? (isWorkdayError(err) ? err : toWorkdayError(err, opts.url));
    if (bodyStarted && e instanceof WorkdayTransientError) e.midBody = true;
    throw e;
  } finally {
    clearTimeout(deadline);
    if (idle) clearTimeout(idle);
    signal?.removeEventListener('abort', onCallerAbort);
    // Whatever consume left unread must not hold the socket.
    if (response && !response.readableEnded) response.destroy();
  }
}

/** Passes bytes through until more than `max` have gone by, then fails the stream. */
function sizeCap(max: number, wireBytes: () => number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen <= max) return cb(null, chunk);
      cb(
        new WorkdayContractError(
          `Workday's response is larger than ${max} bytes once decompressed (${wireBytes()} bytes received on the wire), so wdsync stopped reading it; no real page is that big. If yours are, raise WORKDAY_MAX_RESPONSE_BYTES or use a smaller --page-size.`,
        ),
      );
    },
  });
}

/** Reads at most `limit` bytes of a body as text (fault bodies are small; never buffer a huge page). */
export async function readText(body: AsyncIterable<Buffer>, limit = 1 << 20): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    parts.push(chunk);
    size += chunk.length;
    if (size >= limit) break;
  }
  return Buffer.concat(parts).toString('utf8');
}
