import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';

/**
 * The Temporal Web UI's remote codec endpoint: POST /decode (and /encode) with
 * `{"payloads": [{"metadata": {k: base64}, "data": base64}]}`, answered in the same shape. The UI
 * calls it from the operator's browser, so the UI's origin gets CORS; the keys stay in this process.
 */
interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
  ),
  data: p.data === undefined ? undefined : Buffer.from(p.data, 'base64'),
});
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [
      k,
      Buffer.from(v ?? new Uint8Array()).toString('base64'),
    ]),
  ),
  data: p.data ? Buffer.from(p.data).toString('base64') : undefined,
});

const MAX_BODY = 16 * 1024 * 1024;

export async function startCodecServer(o: {
  codec: PayloadCodec;
  port: number;
  host?: string;
  /** Origins allowed to call it (the Web UI's), e.g. http://localhost:8233. */
  origins: string[];
  log?: (line: string) => void;
}): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const origin = req.headers.origin;
    if (origin && o.origins.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') return res.writeHead(204).end();
    const route = req.url?.split('?')[0];
    if (req.method !== 'POST' || (route !== '/decode' && route !== '/encode')) {
      return res.writeHead(404, { 'Content-Type': 'text/plain' }).end('POST /decode or /encode');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', async () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { payloads?: JsonPayload[] };
        if (!Array.isArray(body.payloads)) throw new Error('expected {"payloads": [...]}');
        const input = body.payloads.map(fromJson);
        const out = route === '/decode' ? await o.codec.decode(input) : await o.codec.encode(input);
        res
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ payloads: out.map(toJson) }));
      } catch (err) {
        // Never the payload: only why it could not be handled.
        o.log?.(`codec-server: ${route} failed: ${(err as Error).message}`);
        res.writeHead(400, { 'Content-Type': 'text/plain' }).end((err as Error).message);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '127.0.0.1', resolve);
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${addr.port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
