import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { ConfigError, loadConfig } from '../../src/config/config';
import { createWebhookSigner } from '../../src/notify/signature';
import { createWebhookNotifier } from '../../src/notify/webhook';
import { Secret } from '../../src/workday/config';

const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
const TOLERANCE_S = 5 * 60;

/**
 * The README's verification recipe, word for word in code: HMAC-SHA256 over "<id>.<timestamp>.<body>"
 * with the base64-decoded secret, compared in constant time; deliveries older than five minutes,
 * or with an id already seen, are refused.
 */
function verify(
  secret: string,
  headers: IncomingHttpHeaders,
  body: string,
  seen: Set<string>,
  now = Date.now(),
) {
  const id = String(headers['webhook-id']);
  const ts = Number(headers['webhook-timestamp']);
  if (!Number.isFinite(ts) || Math.abs(now / 1000 - ts) > TOLERANCE_S) return 'stale';
  if (seen.has(id)) return 'replayed';
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest();
  const ok = String(headers['webhook-signature'])
    .split(' ')
    .some((sig) => {
      const [version, value] = sig.split(',');
      const got = Buffer.from(value ?? '', 'base64');
      return version === 'v1' && got.length === expected.length && timingSafeEqual(got, expected);
    });
  if (!ok) return 'bad-signature';
  seen.add(id);
  return 'ok';
}

describe('signed webhooks (Standard Webhooks)', () => {
  const got: { headers: IncomingHttpHeaders; body: string }[] = [];
  let failFirst = 0;
  let calls = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      calls += 1;
      got.push({ headers: req.headers, body });
      res.writeHead(calls <= failFirst ? 503 : 200).end();
    });
  });
  const url = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  before(() => new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok)));
  after(() => new Promise<void>((ok) => server.close(() => ok())));
  const event = { type: 'run.degraded' as const, runId: 'sync-acme-2', command: 'wdsync resume sync-acme-2' };

  test('every POST carries a signature over the exact body that a Standard Webhooks library and the README recipe accept', async () => {
    got.length = 0;
    calls = 0;
    failFirst = 0;
    await createWebhookNotifier({ url: url(), sign: createWebhookSigner(new Secret(SECRET)) }).notify(event);
    assert.equal(got.length, 1);
    const { headers, body } = got[0]!;
    assert.match(String(headers['webhook-signature']), /^v1,[A-Za-z0-9+/]+=*$/);
    assert.deepEqual(new Webhook(SECRET).verify(body, headers as Record<string, string>), JSON.parse(body));
    assert.equal(verify(SECRET, headers, body, new Set()), 'ok');
    assert.equal(JSON.parse(body).runId, 'sync-acme-2');
  });

  test('a tampered body, a wrong secret, a stale timestamp or a replayed id is refused', async () => {
    got.length = 0;
    calls = 0;
    failFirst = 0;
    await createWebhookNotifier({ url: url(), sign: createWebhookSigner(new Secret(SECRET)) }).notify(event);
    const { headers, body } = got[0]!;
    const tampered = body.replace('sync-acme-2', 'sync-acme-3');
    assert.equal(verify(SECRET, headers, tampered, new Set()), 'bad-signature');
    assert.throws(() => new Webhook(SECRET).verify(tampered, headers as Record<string, string>));
    const other = `whsec_${Buffer.from('another secret of 32 bytes......').toString('base64')}`;
    assert.equal(verify(other, headers, body, new Set()), 'bad-signature');
    const later = Date.now() + (TOLERANCE_S + 60) * 1000;
    assert.equal(verify(SECRET, headers, body, new Set(), later), 'stale');
    const seen = new Set<string>();
    assert.equal(verify(SECRET, headers, body, seen), 'ok');
    assert.equal(verify(SECRET, headers, body, seen), 'replayed');
  });

  test('an old delivery replayed later fails the library check too', () => {
    const sign = createWebhookSigner(new Secret(SECRET));
    const body = JSON.stringify(event);
    const old = sign('msg_old', body, new Date(Date.now() - 10 * 60_000));
    assert.throws(() => new Webhook(SECRET).verify(body, { ...old }), /timestamp/i);
  });

  test('retries of one event keep its id, each attempt signed at its own time', async () => {
    got.length = 0;
    calls = 0;
    failFirst = 2;
    await createWebhookNotifier({
      url: url(),
      baseDelayMs: 10,
      sign: createWebhookSigner(new Secret(SECRET)),
    }).notify(event);
    assert.equal(got.length, 3);
    assert.equal(new Set(got.map((g) => g.headers['webhook-id'])).size, 1, 'one id across the retries');
    for (const g of got) assert.equal(verify(SECRET, g.headers, g.body, new Set()), 'ok');
  });

  test('without a secret nothing is signed', async () => {
    got.length = 0;
    calls = 0;
    failFirst = 0;
    await createWebhookNotifier({ url: url() }).notify(event);
    assert.equal(got[0]!.headers['webhook-signature'], undefined);
  });
});

describe('webhook secret configuration', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wdsync-hook-'));
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text, { mode: 0o600 });
    return p;
  };
  const load = (env: Record<string, string>) => loadConfig(env, dir);

  test('comes from WDSYNC_WEBHOOK_SECRET_FILE or the config file, and never prints', () => {
    const c = load({ WDSYNC_WEBHOOK_SECRET_FILE: file('secret', `${SECRET}\n`) });
    assert.equal(c.notify.webhookSecret?.reveal(), SECRET);
    assert.doesNotMatch(JSON.stringify(c), new RegExp(SECRET.slice(6, 30)));
    const viaFile = load({
      WDSYNC_CONFIG: file('c.json', JSON.stringify({ notify: { webhookSecretFile: file('s2', SECRET) } })),
    });
    assert.equal(viaFile.notify.webhookSecret?.reveal(), SECRET);
  });

  test('a missing, empty or malformed secret is one clear error that does not quote it', () => {
    assert.throws(
      () => load({ WDSYNC_WEBHOOK_SECRET_FILE: path.join(dir, 'nope') }),
      (e: Error) => e instanceof ConfigError && /cannot read WDSYNC_WEBHOOK_SECRET_FILE/.test(e.message),
    );
    assert.throws(
      () => load({ WDSYNC_WEBHOOK_SECRET_FILE: file('empty', '\n') }),
      /WDSYNC_WEBHOOK_SECRET_FILE .* is empty; put the webhook signing secret in it/,
    );
    assert.throws(
      () => load({ WDSYNC_WEBHOOK_SECRET_FILE: file('weak', 'hunter2') }),
      (e: Error) =>
        /notify\.webhookSecret: the webhook secret must be whsec_/.test(e.message) &&
        !/hunter2/.test(e.message),
    );
  });
});
