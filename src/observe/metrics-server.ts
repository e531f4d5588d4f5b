import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves GET /metrics: wdsync's registry followed by the Temporal SDK's own exposition, fetched
 * from the endpoint the SDK runtime serves on loopback (`sdkUrl`). One scrape target carries
 * both; the SDK's names (temporal_*) never collide with wdsync's (wdsync_*). When the SDK's
 * endpoint does not answer, wdsync's metrics are still served, with a comment saying so.
 */
export async function startMetricsServer(opts: {
  registry: Registry;
  host: string;
  port: number;
  sdkUrl?: string;
}): Promise<MetricsServer> {
  const server = http.createServer(async (req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('wdsync serves Prometheus metrics at /metrics\n');
      return;
    }
    try {
      const own = await opts.registry.metrics();
      let sdk = '';
      if (opts.sdkUrl) {
        try {
          const r = await fetch(opts.sdkUrl, { signal: AbortSignal.timeout(5_000) });
          sdk = r.ok ? await r.text() : `# Temporal SDK metrics unavailable: HTTP ${r.status}\n`;
        } catch (err) {
          sdk = `# Temporal SDK metrics unavailable: ${(err as Error).message}\n`;
        }
      }
      res.writeHead(200, { 'content-type': opts.registry.contentType });
      res.end(`${own}\n${sdk}`);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `cannot serve metrics on ${opts.host}:${opts.port} (${err.code ?? err.message}); pick another --metrics-port (WDSYNC_METRICS_PORT)`,
        ),
      ),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${addr.port}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
