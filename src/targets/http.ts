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
