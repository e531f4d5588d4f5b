import { timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the target simulators share: bodies read with a bound, JSON answers, a listening server. */

export class BodyTooLarge extends Error {}

export async function readBody(req: IncomingMessage, max = 16 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) throw new BodyTooLarge('request body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    ...(body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
    ...headers,
  });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface Listening {
  url: string;
  close(): Promise<void>;
}

/** Starts a server on port/host (0 = a free port); rejects on EADDRINUSE, which commands turn into one line. */
export async function listen(
  port: number,
  host: string,
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  onError: (res: ServerResponse, err: unknown) => void,
): Promise<Listening> {
  const server = createServer((req, res) => {
    handler(req, res).catch((err) => onError(res, err));
  });
  server.keepAliveTimeout = 65_000;
  server.listen(port, host);
  await once(server, 'listening');
  const addr = server.address() as AddressInfo;
  const h = addr.address === '0.0.0.0' || addr.address === '::' ? '127.0.0.1' : addr.address;
  const url = `http://${addr.family === 'IPv6' && h !== '127.0.0.1' ? `[${h}]` : h}:${addr.port}`;
  let closed: Promise<void> | undefined;
  return {
    url,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/** A sliding window of request times: how many fall in the last `windowMs`, and when the oldest leaves. */
export class RequestWindow {
  private times: number[] = [];
  constructor(private readonly windowMs: number) {}
  /** Records a request now unless `limit` are already in the window; else the ms until one leaves. */
  take(limit: number, now = Date.now()): number {
    while (this.times.length && this.times[0]! <= now - this.windowMs) this.times.shift();
    if (this.times.length >= limit) return this.times[0]! + this.windowMs - now;
    this.times.push(now);
    return 0;
  }
  clear(): void {
    this.times = [];
  }
}

/** What every target simulator's admin API serves the same way. */
export interface CommonAdmin {
  stats(): unknown;
  reset(): void;
  setFaults(rules: unknown): unknown[];
  faults(): unknown[];
}

/**
 * GET stats, POST reset, GET/POST faults for a simulator's admin API, and its own `routes`
 * (`"GET users"` -> handler); anything else is 404 naming what there is.
 */
export async function adminRoute(
  req: IncomingMessage,
  res: ServerResponse,
  what: string,
  admin: CommonAdmin,
  routes: Record<string, () => unknown>,
): Promise<void> {
  const method = req.method ?? 'GET';
  const own = routes[`${method} ${what}`];
  if (own) return sendJson(res, 200, own());
  if (what === 'stats' && method === 'GET') return sendJson(res, 200, admin.stats());
  if (what === 'reset' && method === 'POST') {
    admin.reset();
    return sendJson(res, 200, { ok: true });
  }
  if (what === 'faults' && method === 'GET') return sendJson(res, 200, { rules: admin.faults() });
  if (what === 'faults' && (method === 'POST' || method === 'PUT')) {
    try {
      const b = JSON.parse((await readBody(req)) || '{}') as { rules?: unknown };
      return sendJson(res, 200, { rules: admin.setFaults(b.rules ?? []) });
    } catch (e) {
      return sendJson(res, 400, { error: `bad fault rules: ${(e as Error).message}` });
    }
  }
  sendJson(res, 404, {
    error: `no admin route ${method} /__admin/${what}; try GET stats, GET faults, POST reset, POST faults, ${Object.keys(routes).join(', ')}`,
  });
}
