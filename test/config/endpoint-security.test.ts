/**
 * WORKDAY_ENDPOINT and the secrets it must not carry (issue 21, item 8), plus the response cap
 * setting (item 4): both where configuration is loaded (every CLI command) and where a Workday
 * client is built from settings of its own (tests, the benchmark).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config';
import { createWorkdayClient } from '../../src/workday/client';
import { parseWorkdayConfig } from '../../src/workday/config';

/** The Workday client of a library user: settings parsed, then the client. */
const clientFrom = (input: unknown) => createWorkdayClient(parseWorkdayConfig(input));
import { DEFAULT_MAX_RESPONSE_BYTES } from '../../src/workday/config';

const PATH = '/ccx/service/acme/Human_Resources/v44.0';
const SECRET = 's3cr3t-Pa55';

describe('WORKDAY_ENDPOINT security', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wdsync-endpoint-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const load = (env: Record<string, string>) =>
    loadConfig({ WORKDAY_USERNAME: 'isu_wdsync@acme', WORKDAY_PASSWORD: 'pw', ...env }, dir);
  const refused = (env: Record<string, string>, pattern: RegExp) => {
    let message = '';
    assert.throws(
      () => load(env),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError, String(e));
        message = e.message;
        return true;
      },
    );
    assert.match(message, pattern);
    return message;
  };

  test('credentials embedded in the URL are refused and never echoed', () => {
    for (const endpoint of [
      `https://isu_wdsync:${SECRET}@wd2-impl-services1.workday.com${PATH}`,
      `https://${SECRET}@wd2-impl-services1.workday.com${PATH}`,
    ]) {
      const message = refused({ WORKDAY_ENDPOINT: endpoint }, /must not hold a user name or password/);
      assert.ok(!message.includes(SECRET), message);
      assert.throws(
        () => clientFrom({ endpoint, username: 'isu_wdsync@acme', password: 'pw' }),
        (e: Error) => /must not hold a user name or password/.test(e.message) && !e.message.includes(SECRET),
      );
    }
  });

  test('the password is refused over plain http:// unless the host is loopback or allowed', () => {
    const remote = `http://workday.example.com${PATH}`;
    refused(
      { WORKDAY_ENDPOINT: remote },
      /plain http:\/\/ to workday\.example\.com.*WORKDAY_ALLOW_HTTP_HOSTS/,
    );
    assert.throws(
      () => clientFrom({ endpoint: remote, username: 'isu_wdsync@acme', password: 'pw' }),
      /plain http:\/\//,
    );
    for (const host of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080', '127.1.2.3'])
      assert.equal(
        load({ WORKDAY_ENDPOINT: `http://${host}${PATH}` }).workday.endpoint,
        `http://${host}${PATH}`,
      );
    const allowed = load({
      WORKDAY_ENDPOINT: remote,
      WORKDAY_ALLOW_HTTP_HOSTS: 'simulator, workday.example.com',
    });
    assert.deepEqual(allowed.workday.allowHttpHosts, ['simulator', 'workday.example.com']);
    clientFrom({
      endpoint: remote,
      username: 'isu_wdsync@acme',
      password: 'pw',
      allowHttpHosts: allowed.workday.allowHttpHosts,
    }).close();
    // https is always fine.
    assert.ok(load({ WORKDAY_ENDPOINT: `https://workday.example.com${PATH}` }));
  });

  test('OAuth secrets are refused over plain http:// too (token URL and bearer-token endpoint)', () => {
    const oauth = {
      WORKDAY_OAUTH_CLIENT_ID: 'id',
      WORKDAY_OAUTH_CLIENT_SECRET: 'cs',
      WORKDAY_OAUTH_REFRESH_TOKEN: 'rt',
    };
    refused(
      {
        ...oauth,
        WORKDAY_ENDPOINT: `https://workday.example.com${PATH}`,
        WORKDAY_OAUTH_TOKEN_URL: 'http://workday.example.com/ccx/oauth2/acme/token',
      },
      /WORKDAY_OAUTH_TOKEN_URL uses plain http:\/\//,
    );
    refused(
      {
        ...oauth,
        WORKDAY_ENDPOINT: `http://workday.example.com${PATH}`,
        WORKDAY_OAUTH_TOKEN_URL: 'https://workday.example.com/ccx/oauth2/acme/token',
      },
      /WORKDAY_ENDPOINT uses plain http:\/\//,
    );
  });

  test('docker-compose sends the simulator password over http only to the simulator host', () => {
    const compose = readFileSync(path.join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8');
    assert.match(compose, /WORKDAY_ALLOW_HTTP_HOSTS: \$\{WORKDAY_ALLOW_HTTP_HOSTS:-simulator\}/);
  });

  test('docker-compose publishes every port on 127.0.0.1 unless told otherwise', () => {
    const compose = readFileSync(path.join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8');
    const published = [...compose.matchAll(/^\s+ports:\n((?:\s+- .*\n)+)/gm)].flatMap((m) =>
      m[1]!
        .trim()
        .split('\n')
        .map((l) => l.trim().replace(/^- /, '').replace(/"/g, '')),
    );
    assert.ok(published.length >= 3, `ports found: ${published.join(', ')}`);
    for (const p of published) assert.match(p, /^\$\{WDSYNC_BIND:-127\.0\.0\.1\}:\d+:\d+$/, p);
  });

  test('the response cap: 128 MiB by default, WORKDAY_MAX_RESPONSE_BYTES overrides', () => {
    assert.equal(DEFAULT_MAX_RESPONSE_BYTES, 128 * 1024 * 1024);
    assert.equal(load({}).workday.maxResponseBytes, DEFAULT_MAX_RESPONSE_BYTES);
    assert.equal(load({ WORKDAY_MAX_RESPONSE_BYTES: '1048576' }).workday.maxResponseBytes, 1048576);
    refused({ WORKDAY_MAX_RESPONSE_BYTES: '-1' }, /maxResponseBytes/);
  });
});
