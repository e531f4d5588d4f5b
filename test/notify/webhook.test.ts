import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createWebhookNotifier } from '../../src/notify/webhook';

/** A local receiver that refuses the first `failFirst` POSTs of each test with a 503. */
function receiver() {
  const bodies: Record<string, unknown>[] = [];
  let calls = 0;
  let failFirst = 0;
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      calls += 1;
      if (calls <= failFirst) {
        res.writeHead(503).end('down');
        return;
      }
      bodies.push(JSON.parse(data));
      res.writeHead(200).end('ok');
    });
  });
  return {
    server,
    bodies,
    calls: () => calls,
    reset(fail: number) {
      calls = 0;
      failFirst = fail;
      bodies.length = 0;
    },
    url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
  };
}

describe('failure webhook', () => {
  const r = receiver();
  before(() => new Promise<void>((ok) => r.server.listen(0, '127.0.0.1', ok)));
  after(() => new Promise<void>((ok) => r.server.close(() => ok())));

  const event = {
    type: 'page.failed' as const,
    runId: 'sync-acme-1',
    page: 7,
    errorType: 'WorkdayTransient',
    error: 'HTTP 500',
    command: 'wdsync replay sync-acme-1 --pages 7',
  };

  test('a receiver that is down twice still gets the event once, on the third attempt', async () => {
    r.reset(2);
    const logs: string[] = [];
    const n = createWebhookNotifier({ url: r.url(), attempts: 4, baseDelayMs: 10, log: (m) => logs.push(m) });
    await n.notify(event);
    assert.equal(r.calls(), 3);
    assert.equal(r.bodies.length, 1);
    assert.deepEqual({ ...r.bodies[0], at: undefined }, { ...event, source: 'wdsync', at: undefined });
    assert.deepEqual(logs, []);
  });

  test('a receiver that stays down is logged after the last attempt and never throws', async () => {
    r.reset(100);
    const logs: string[] = [];
    const n = createWebhookNotifier({ url: r.url(), attempts: 3, baseDelayMs: 10, log: (m) => logs.push(m) });
    await n.notify(event);
    assert.equal(r.calls(), 3, 'three attempts, no more');
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /page\.failed for sync-acme-1 not delivered after 3 attempts/);
  });

  test('with no URL configured, nothing is sent', async () => {
    r.reset(0);
    await createWebhookNotifier({}).notify(event);
    assert.equal(r.calls(), 0);
  });
});
