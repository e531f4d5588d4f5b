import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local HTTP receiver for the failure webhook: every JSON body it gets lands in `events`. */
export async function startWebhookReceiver(): Promise<{
  url: string;
  events: Record<string, unknown>[];
  close(): void;
}> {
  const events: Record<string, unknown>[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      events.push(JSON.parse(body));
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    events,
    close: () => server.close(),
  };
}
