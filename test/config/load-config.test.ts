import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { toActivityFailure } from '../../src/activities/failures';
import { checkPlan, DEFAULT_PLAN_LIMITS } from '../../src/activities/plan-limits';
import { ConfigError, loadConfig, redacted } from '../../src/config/config';

const ENDPOINT = 'https://wd2-impl-services1.workday.com/ccx/service/acme/Human_Resources/v44.0';

describe('loadConfig', () => {
  // An empty directory as cwd, so a wdsync.config.json of the checkout is never picked up.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wdsync-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const load = (env: Record<string, string>) => loadConfig(env, dir);
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  test('nothing configured: the local simulator and its credentials', () => {
    const c = load({});
    assert.match(c.workday.endpoint, /^http:\/\/127\.0\.0\.1:8080\/ccx\/service\/acme\//);
    assert.equal(c.workday.username, 'isu_wdsync@acme');
    assert.equal(c.workday.password?.reveal(), 'wdsync');
    assert.equal(c.temporal.namespace, 'default');
    assert.equal(c.database.schema, 'wdsync');
  });

  test('plan bounds: 50M results and 100k pages by default, WDSYNC_MAX_* override, nonsense refused', () => {
    assert.deepEqual(
      [load({}).limits.maxTotalResults, load({}).limits.maxPages],
      [DEFAULT_PLAN_LIMITS.maxTotalResults, DEFAULT_PLAN_LIMITS.maxPages],
    );
    assert.deepEqual(DEFAULT_PLAN_LIMITS, { maxTotalResults: 50_000_000, maxPages: 100_000 });
    const c = load({ WDSYNC_MAX_TOTAL_RESULTS: '2000000', WDSYNC_MAX_PAGES: '500' });
    assert.equal(c.limits.maxTotalResults, 2_000_000);
    assert.equal(c.limits.maxPages, 500);
    assert.throws(() => load({ WDSYNC_MAX_PAGES: '0' }), /limits\.maxPages/);
    assert.throws(() => load({ WDSYNC_MAX_TOTAL_RESULTS: 'lots' }), /limits\.maxTotalResults/);
    const limits = { maxTotalResults: c.limits.maxTotalResults, maxPages: c.limits.maxPages };
    assert.doesNotThrow(() => checkPlan(500 * 999, 999, limits));
    // As the worker's activity interceptor maps it.
    assert.throws(
      () => {
        try {
          checkPlan(501 * 999, 999, limits);
        } catch (err) {
          throw toActivityFailure(err);
        }
      },
      (e: Error) =>
        e instanceof ApplicationFailure &&
        e.type === 'PlanTooLarge' &&
        e.nonRetryable &&
        /501 pages of 999: more than 500 pages \(WDSYNC_MAX_PAGES\)/.test(e.message),
    );
    assert.throws(() => checkPlan(2_000_001, 999, limits), /more than 2000000 results/);
  });

  test('observability: metrics off and info logs by default; the config file, then WDSYNC_* override', () => {
    assert.deepEqual(load({}).observability, { metricsHost: '127.0.0.1', logLevel: 'info' });
    const cfgFile = file(
      'observability.json',
      JSON.stringify({ observability: { metricsPort: 9464, metricsHost: '0.0.0.0', logLevel: 'warn' } }),
    );
    assert.deepEqual(load({ WDSYNC_CONFIG: cfgFile }).observability, {
      metricsPort: 9464,
      metricsHost: '0.0.0.0',
      logLevel: 'warn',
    });
    const env = load({ WDSYNC_CONFIG: cfgFile, WDSYNC_METRICS_PORT: '9100', WDSYNC_LOG_LEVEL: 'DEBUG' });
    assert.equal(env.observability.metricsPort, 9100);
    assert.equal(env.observability.logLevel, 'debug');
    assert.throws(() => load({ WDSYNC_METRICS_PORT: '70000' }), /observability\.metricsPort/);
    assert.throws(() => load({ WDSYNC_LOG_LEVEL: 'chatty' }), /observability\.logLevel/);
  });

  test('WORKDAY_PASSWORD_FILE is read and trimmed; WORKDAY_PASSWORD wins over it', () => {
    const pw = file('pw', 'S3cret-from-file\n');
    const c = load({ WORKDAY_ENDPOINT: ENDPOINT, WORKDAY_USERNAME: 'isu@acme', WORKDAY_PASSWORD_FILE: pw });
    assert.equal(c.workday.password?.reveal(), 'S3cret-from-file');
    assert.equal(redacted(c).workday.password, '***');
    const both = load({
      WORKDAY_ENDPOINT: ENDPOINT,
      WORKDAY_USERNAME: 'isu@acme',
      WORKDAY_PASSWORD: 'from-env',
      WORKDAY_PASSWORD_FILE: pw,
    });
    assert.equal(both.workday.password?.reveal(), 'from-env');
  });

  test('an unreadable WORKDAY_PASSWORD_FILE says which file', () => {
    const missing = path.join(dir, 'nope');
    assert.throws(
      () => load({ WORKDAY_PASSWORD_FILE: missing }),
      (e: Error) =>
        e instanceof ConfigError && e.message.includes(`cannot read WORKDAY_PASSWORD_FILE ${missing}`),
    );
  });

  test('an empty WORKDAY_PASSWORD_FILE is rejected, never replaced by the simulator password', () => {
    const empty = file('empty', '  \n');
    for (const env of <Record<string, string>[]>[
      { WORKDAY_ENDPOINT: ENDPOINT, WORKDAY_USERNAME: 'isu@acme', WORKDAY_PASSWORD_FILE: empty },
      { WORKDAY_PASSWORD_FILE: empty },
    ]) {
      assert.throws(
        () => load(env),
        (e: Error) =>
          e instanceof ConfigError &&
          e.message === `WORKDAY_PASSWORD_FILE ${empty} is empty; put the Workday password in it`,
      );
    }
  });

  test('a real endpoint without a password fails with a clear message', () => {
    assert.throws(
      () => load({ WORKDAY_ENDPOINT: ENDPOINT, WORKDAY_USERNAME: 'isu@acme' }),
      (e: Error) =>
        e instanceof ConfigError &&
        /workday\.password: no Workday password: set WORKDAY_PASSWORD or WORKDAY_PASSWORD_FILE/.test(
          e.message,
        ),
    );
    assert.throws(
      () => load({ WORKDAY_ENDPOINT: ENDPOINT, WORKDAY_USERNAME: 'isu@acme', WORKDAY_PASSWORD: '' }),
      (e: Error) => e instanceof ConfigError && /WORKDAY_PASSWORD is empty/.test(e.message),
    );
  });

  test('a real endpoint never gets the simulator username either', () => {
    assert.throws(
      () => load({ WORKDAY_ENDPOINT: ENDPOINT, WORKDAY_PASSWORD: 'pw' }),
      (e: Error) => e instanceof ConfigError && /set WORKDAY_USERNAME \(user@tenant\)/.test(e.message),
    );
  });

  test('a real endpoint in the config file also turns the simulator defaults off', () => {
    const cfgFile = file(
      'nopw.json',
      JSON.stringify({ workday: { endpoint: ENDPOINT, username: 'isu@acme' } }),
    );
    assert.throws(() => load({ WDSYNC_CONFIG: cfgFile }), /no Workday password/);
    const c = load({ WDSYNC_CONFIG: cfgFile, WORKDAY_PASSWORD: 'pw' });
    assert.equal(c.workday.endpoint, ENDPOINT);
    assert.equal(c.workday.password?.reveal(), 'pw');
  });

  test('with OAuth, a real endpoint needs no password', () => {
    const c = load({
      WORKDAY_ENDPOINT: ENDPOINT,
      WORKDAY_USERNAME: 'isu@acme',
      WORKDAY_OAUTH_TOKEN_URL: 'https://wd2-impl-services1.workday.com/ccx/oauth2/acme/token',
      WORKDAY_OAUTH_CLIENT_ID: 'cid',
      WORKDAY_OAUTH_CLIENT_SECRET: 'secret',
      WORKDAY_OAUTH_REFRESH_TOKEN: 'refresh',
    });
    assert.equal(c.workday.password, undefined);
    assert.equal(c.workday.oauth?.clientId, 'cid');
  });

  test('TEMPORAL_NAMESPACE and TEMPORAL_ADDRESS are taken from the environment', () => {
    const c = load({ TEMPORAL_NAMESPACE: 'payroll-prod', TEMPORAL_ADDRESS: 'temporal.internal:7233' });
    assert.equal(c.temporal.namespace, 'payroll-prod');
    assert.equal(c.temporal.address, 'temporal.internal:7233');
  });

  test('the default PostgreSQL sink follows WDSYNC_DB_SCHEMA', () => {
    const c = load({ WDSYNC_DB_SCHEMA: 'hr_mirror' });
    assert.equal(c.database.schema, 'hr_mirror');
    assert.equal(c.sinks.length, 1);
    const sink = c.sinks[0]!;
    assert.equal(sink.type, 'postgres');
    assert.equal(sink.type === 'postgres' ? (sink.schema ?? c.database.schema) : undefined, 'hr_mirror');
    assert.ok(sink.type === 'postgres' && sink.schema !== 'wdsync', 'no hard-coded wdsync schema');
  });
});
