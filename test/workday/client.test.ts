import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import { createWorkdayClient } from '../../src/workday/client';
import { parseWorkdayConfig } from '../../src/workday/config';
import { WorkdayError, WorkdayTransientError } from '../../src/workday/errors';
import { envelopeXml, syntheticWorker, workerXml } from './fixtures/worker-xml';

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;

const PAGE = envelopeXml({
  workers: Array.from({ length: 25 }, (_, i) => workerXml(syntheticWorker(i))),
  page: 2,
  count: 25,
  totalResults: 60,
});
const asOf = { entryMoment: '2024-05-01T12:00:00Z', effectiveDate: '2024-05-01' };
const AUTH_FAULT =
  '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><SOAP-ENV:Fault>' +
  '<faultcode>SOAP-ENV:Client.authenticationError</faultcode><faultstring>invalid username or password</faultstring><detail/>' +
  '</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>';

let server: http.Server;
let base = '';
let handler: Handler = () => {};
const sockets = new Set<import('node:net').Socket>();

before(async () => {
  server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => handler(req, Buffer.concat(parts).toString(), res));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  for (const s of sockets) s.destroy();
  server.close();
});

function client(overrides: Record<string, unknown> = {}) {
  return createWorkdayClient(
    parseWorkdayConfig({
      endpoint: `${base}/ccx/service/acme/Human_Resources/v44.0`,
      username: 'isu_wdsync@acme',
      password: 'wdsync',
      timeoutMs: 5_000,
      responseTimeoutMs: 2_000,
      idleTimeoutMs: 1_000,
      ...overrides,
    }),
  );
}

async function rejects(p: Promise<unknown>, check: (err: WorkdayError) => void) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof WorkdayError, `expected a WorkdayError, got ${err}`);
    check(err);
    return true;
  });
}

describe('Workday client over HTTP', () => {
  it('sends a SOAP 1.1 request and streams a gzip page into records and raw chunks', async () => {
    let seen: { headers: http.IncomingHttpHeaders; body: string } | undefined;
    handler = (req, body, res) => {
      seen = { headers: req.headers, body };
      res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Encoding': 'gzip' });
      const gz = zlib.gzipSync(PAGE);
      // Dribble it out so the client really streams.
      let i = 0;
      const tick = () => {
        if (i >= gz.length) return res.end();
        res.write(gz.subarray(i, i + 8192));
        i += 8192;
        setImmediate(tick);
      };
      tick();
    };
    const c = client();
    const raw: Buffer[] = [];
    const wire: Buffer[] = [];
    const order: string[] = [];
    const progress: number[] = [];
    const r = await c.getWorkersPage(
      { page: 2, count: 25, asOf },
      {
        onRawChunk: (b) => {
          raw.push(b);
          order.push('raw');
        },
        onGzipChunk: (b) => {
          wire.push(b);
          order.push('gzip');
        },
        onProgress: (b) => progress.push(b),
      },
    );
    c.close();
    assert.equal(seen!.headers['content-type'], 'text/xml; charset=utf-8');
    assert.equal(seen!.headers.soapaction, '""');
    assert.equal(seen!.headers['accept-encoding'], 'gzip');
    assert.match(seen!.body, /<wsse:Username>isu_wdsync@acme<\/wsse:Username>/);
    assert.match(seen!.body, /<bsvc:As_Of_Entry_DateTime>2024-05-01T12:00:00Z</);
    assert.equal(r.page, 2);
    assert.equal(r.totalResults, 60);
    assert.equal(r.totalPages, 3);
    assert.equal(r.rows, 25);
    assert.equal(r.records.length, 25);
    assert.equal(new Set(r.records.map((w) => w.wid)).size, 25);
    assert.equal(r.bytes, Buffer.byteLength(PAGE));
    assert.ok(r.wireBytes < r.bytes / 3, 'gzip on the wire');
    assert.equal(Buffer.concat(raw).toString(), PAGE, 'onRawChunk gets the decompressed body');
    assert.equal(Buffer.concat(wire).length, r.wireBytes, 'onGzipChunk gets the bytes on the wire');
    assert.equal(zlib.gunzipSync(Buffer.concat(wire)).toString(), PAGE, 'a gzip stream of the body');
    assert.equal(order[0], 'gzip', 'the wire bytes come before the body they hold');
    assert.ok(progress.length > 1);
  });

  it('passes no wire bytes for a body sent uncompressed, nor for a failed answer sent gzip', async () => {
    const wire: Buffer[] = [];
    const raw: Buffer[] = [];
    handler = (_req, _b, res) => {
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.end(PAGE);
    };
    const c = client();
    await c.getWorkersPage(
      { page: 2, count: 25, asOf },
      { onRawChunk: (b) => raw.push(b), onGzipChunk: (b) => wire.push(b) },
    );
    assert.equal(Buffer.concat(raw).toString(), PAGE);
    handler = (_req, _b, res) => {
      res.writeHead(500, { 'Content-Type': 'text/xml', 'Content-Encoding': 'gzip' });
      res.end(zlib.gzipSync(AUTH_FAULT));
    };
    await rejects(c.getWorkersPage({ page: 1, count: 10, asOf }, { onGzipChunk: (b) => wire.push(b) }), (e) =>
      assert.equal(e.kind, 'auth'),
    );
    c.close();
    assert.equal(wire.length, 0);
  });

  it('classifies an HTTP 500 authentication fault as auth', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(500, { 'Content-Type': 'text/xml' });
      res.end(AUTH_FAULT);
    };
    const c = client();
    await rejects(c.getWorkersPage({ page: 1, count: 10, asOf }), (e) => {
      assert.equal(e.kind, 'auth');
      assert.match(e.message, /WORKDAY_USERNAME/);
    });
    c.close();
  });

  it('rejects a bad request before any network traffic', async () => {
    let hits = 0;
    handler = (_req, _b, res) => {
      hits++;
      res.end();
    };
    const c = client();
    await rejects(c.getWorkersPage({ page: 1, count: 1000, asOf }), (e) =>
      assert.equal(e.kind, 'validation'),
    );
    assert.equal(hits, 0);
    c.close();
  });

  it('a body cut short (clean end) is transient/truncated', async () => {
    handler = (_req, _b, res) => {
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.end(PAGE.slice(0, PAGE.length / 2));
    };
    const c = client();
    await rejects(c.getWorkersPage({ page: 1, count: 25, asOf }), (e) => {
      assert.ok(e instanceof WorkdayTransientError);
      assert.equal(e.reason, 'truncated');
    });
    c.close();
  });

  it('a gzip body cut short is transient/truncated', async () => {
    handler = (_req, _b, res) => {
      const gz = zlib.gzipSync(PAGE);
      res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Encoding': 'gzip' });
      res.end(gz.subarray(0, gz.length - 100));
    };
    const c = client();
    await rejects(c.getWorkersPage({ page: 1, count: 25, asOf }), (e) => assert.equal(e.kind, 'transient'));
    c.close();
  });

  it('a connection reset mid-body is transient', async () => {
    handler = (req, _b, res) => {
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.write(PAGE.slice(0, 10_000));
      setTimeout(() => req.socket.destroy(), 20);
    };
    const c = client();
    await rejects(c.getWorkersPage({ page: 1, count: 25, asOf }), (e) => assert.equal(e.kind, 'transient'));
    c.close();
  });

  it('a hung request times out as transient', async () => {
    handler = () => {};
    const c = client({ responseTimeoutMs: 200 });
    const t0 = Date.now();
    await rejects(c.getWorkersPage({ page: 1, count: 25, asOf }), (e) => {
      assert.ok(e instanceof WorkdayTransientError);
      assert.equal(e.reason, 'timeout');
    });
    assert.ok(Date.now() - t0 < 1500);
    c.close();
  });

  it('a body that stalls mid-stream times out as transient', async () => {
    handler = (_req, _b, res) => {
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.write(PAGE.slice(0, 5000));
    };
    const c = client({ idleTimeoutMs: 200 });
    await rejects(c.getWorkersPage({ page: 1, count: 25, asOf }), (e) => {
      assert.ok(e instanceof WorkdayTransientError);
      assert.equal(e.reason, 'timeout');
      assert.match(e.message, /stalled/);
    });
    c.close();
  });

  it('the overall deadline bounds a slow trickle', async () => {
    handler = (_req, _b, res) => {
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      const iv = setInterval(() => (res.destroyed ? clearInterval(iv) : res.write(' ')), 50);
      res.write(PAGE.slice(0, 5000));
    };
    const c = client({ timeoutMs: 400, idleTimeoutMs: 200 });
    await rejects(c.getWorkersPage({ page: 1, count: 25, asOf }), (e) => {
      assert.equal(e.kind, 'transient');
      assert.match(e.message, /within 400 ms/);
    });
    c.close();
  });

  it('the caller aborting rejects with the abort reason, not a Workday error', async () => {
    handler = (_req, _b, res) => {
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.write(PAGE.slice(0, 5000));
    };
    const c = client();
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 100);
    await assert.rejects(
      c.getWorkersPage({ page: 1, count: 25, asOf }, { signal: ctl.signal }),
      (err: unknown) => {
        assert.ok(!(err instanceof WorkdayError));
        assert.equal((err as Error).name, 'AbortError');
        return true;
      },
    );
    c.close();
  });

  it('an HTML page on 200 is a config error; 404 too', async () => {
    handler = (_req, _b, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html><body>Sign in to Workday</body></html>');
    };
    const c = client();
    await rejects(c.getWorkersPage({ page: 1, count: 25, asOf }), (e) => {
      assert.equal(e.kind, 'config');
      assert.match(e.message, /Sign in to Workday/);
    });
    handler = (_req, _b, res) => {
      res.writeHead(404);
      res.end('Not Found');
    };
    await rejects(c.getWorkersPage({ page: 1, count: 25, asOf }), (e) => assert.equal(e.kind, 'config'));
    c.close();
  });

  it('an unreachable host is a config error', async () => {
    const c = createWorkdayClient(
      parseWorkdayConfig({
        endpoint: 'https://wdsync-no-such-host.invalid/ccx/service/acme/Human_Resources/v44.0',
        username: 'u@acme',
        password: 'p',
      }),
    );
    await rejects(c.getWorkersPage({ page: 1, count: 25, asOf }), (e) => assert.equal(e.kind, 'config'));
    c.close();
  });

  it('OAuth: uses a cached Bearer token, no WS-Security header, refreshes once on 401', async () => {
    let issued = 0;
    let valid = '';
    const seenAuth: string[] = [];
    let tokenForm = '';
    handler = (req, body, res) => {
      if (req.url?.startsWith('/ccx/oauth2/')) {
        tokenForm = body;
        assert.equal(req.headers.authorization, `Basic ${Buffer.from('cid:csecret').toString('base64')}`);
        issued++;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ access_token: `tok${issued}`, token_type: 'Bearer', expires_in: 3600 }));
        return;
      }
      seenAuth.push(String(req.headers.authorization));
      assert.doesNotMatch(body, /wsse:Security/);
      if (req.headers.authorization !== `Bearer ${valid}`) {
        res.writeHead(401);
        res.end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.end(PAGE);
    };
    const c = client({
      password: undefined,
      oauth: {
        tokenUrl: `${base}/ccx/oauth2/acme/token`,
        clientId: 'cid',
        clientSecret: 'csecret',
        refreshToken: 'rtok',
      },
    });
    valid = 'tok1';
    await c.getWorkersPage({ page: 1, count: 25, asOf });
    await c.getWorkersPage({ page: 2, count: 25, asOf });
    assert.equal(issued, 1, 'token cached between pages');
    assert.match(tokenForm, /grant_type=refresh_token/);
    assert.match(tokenForm, /refresh_token=rtok/);
    valid = 'tok2'; // tok1 revoked server-side
    const r = await c.getWorkersPage({ page: 3, count: 25, asOf });
    assert.equal(r.rows, 25);
    assert.equal(issued, 2);
    assert.deepEqual(seenAuth, ['Bearer tok1', 'Bearer tok1', 'Bearer tok1', 'Bearer tok2']);
    valid = 'never';
    await rejects(c.getWorkersPage({ page: 1, count: 25, asOf }), (e) => {
      assert.equal(e.kind, 'auth');
      assert.match(e.message, /refresh token/);
    });
    c.close();
  });
});
