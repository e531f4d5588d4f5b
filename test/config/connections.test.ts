import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { connectionOf, loadConfig } from '../../src/config/config';
import { isScheduleOf, SCHEDULE_CONNECTION_MEMO, scheduleIdFor } from '../../src/runs/schedules';
import { connectionQueues } from '../../src/workflows/connection';

/** Issue 12, point 2: several Workday connections in one config file, each with its own settings and state. */

const endpoint = (host: string) => `https://${host}/ccx/service/acme/Human_Resources/v44.0`;

describe('connections in the config file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wdsync-connections-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const secret = path.join(dir, 'sandbox.password');
  writeFileSync(secret, 'sandbox-secret\n', { mode: 0o600 });
  const write = (config: unknown) => {
    const f = path.join(dir, `c${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(f, JSON.stringify(config));
    return f;
  };
  const prodAndSandbox = {
    database: { url: 'postgres://wdsync@db.internal:5432/wdsync', schema: 'sync' },
    staging: { dir: path.join(dir, 'staging') },
    limits: { workdayConcurrencyPerWorker: 8 },
    connections: {
      prod: {
        workday: {
          endpoint: endpoint('wd2-services1.workday.com'),
          username: 'isu@acme',
          password: 'prod-secret',
        },
        sinks: [{ name: 'files', type: 'jsonl', dir: path.join(dir, 'prod') }],
        limits: { workdayRequestsPerSecond: 5 },
      },
      sandbox: {
        workday: {
          endpoint: endpoint('wd2-impl-services1.workday.com'),
          username: 'isu@acme',
          passwordFile: secret,
        },
        limits: { workdayRequestsPerSecond: 2 },
        database: { schema: 'sync_sbx' },
      },
    },
  };
  const load = (config: unknown, env: Record<string, string> = {}) =>
    loadConfig({ WDSYNC_CONFIG: write(config), ...env }, dir);

  test('each connection has its own Workday, credentials, limits, sinks, schema and staging', () => {
    const prod = load(prodAndSandbox, { WDSYNC_TENANT: 'prod' });
    const sandbox = load(prodAndSandbox, { WDSYNC_TENANT: 'sandbox' });
    assert.equal(prod.connection, 'prod');
    assert.deepEqual(prod.connectionNames, ['prod', 'sandbox']);
    assert.equal(prod.workday.password?.reveal(), 'prod-secret');
    assert.equal(sandbox.workday.password?.reveal(), 'sandbox-secret', 'from its passwordFile');
    assert.equal(prod.limits.workdayRequestsPerSecond, 5);
    assert.equal(sandbox.limits.workdayRequestsPerSecond, 2);
    assert.equal(sandbox.limits.workdayConcurrencyPerWorker, 8, 'shared limits still apply');
    assert.deepEqual(
      prod.sinks.map((s) => s.name),
      ['files'],
    );
    assert.deepEqual(
      sandbox.sinks.map((s) => s.name),
      ['postgres'],
      'the default sink, in its own schema',
    );
    assert.equal(prod.database.schema, 'sync_prod', 'default: <database.schema>_<name>');
    assert.equal(sandbox.database.schema, 'sync_sbx');
    assert.equal(prod.database.url, sandbox.database.url, 'one database for both');
    assert.equal(prod.staging.dir, `${path.join(dir, 'staging')}-prod`);
    assert.equal(sandbox.staging.dir, `${path.join(dir, 'staging')}-sandbox`);
    // Same tenant name, different Workdays: different identities and queues.
    assert.deepEqual(connectionOf(sandbox), {
      name: 'sandbox',
      host: 'wd2-impl-services1.workday.com',
      tenant: 'acme',
      version: 'v44.0',
    });
    assert.notEqual(
      connectionQueues(connectionOf(prod)).workday,
      connectionQueues(connectionOf(sandbox)).workday,
    );
  });

  test('several connections and no --tenant, an unknown one, a bad name: one line saying what to do', () => {
    assert.throws(() => load(prodAndSandbox), {
      message: 'several connections are configured (prod, sandbox); pick one with --tenant NAME',
    });
    assert.throws(() => load(prodAndSandbox, { WDSYNC_TENANT: 'staging' }), {
      message: 'unknown tenant "staging"; the configured connections are: prod, sandbox',
    });
    assert.throws(
      () => loadConfig({ WDSYNC_TENANT: 'prod' }, dir),
      /unknown tenant "prod": no connections are configured/,
    );
    assert.throws(
      () => load({ connections: { Prod: prodAndSandbox.connections.prod } }),
      /connection name "Prod" .*use 1-40 lowercase letters/,
    );
    const { prod } = prodAndSandbox.connections;
    assert.throws(
      () => load({ connections: { prod, qa: { ...prod, sinks: [] } } }, { WDSYNC_TENANT: 'qa' }),
      /invalid configuration: connections\.qa\.sinks: /,
    );
  });

  test('two connections that would share a schema or a folder are refused', () => {
    const { prod, sandbox } = prodAndSandbox.connections;
    assert.throws(
      () =>
        load(
          {
            connections: {
              prod: { ...prod, database: { schema: 'x' } },
              sandbox: { ...sandbox, database: { schema: 'x' } },
            },
          },
          { WDSYNC_TENANT: 'prod' },
        ),
      /connections "prod" and "sandbox" .* share schema "x" of database \(default\); give each its own/,
    );
    assert.throws(
      () =>
        load(
          { connections: { prod, sandbox: { ...sandbox, sinks: prod.sinks } } },
          { WDSYNC_TENANT: 'prod' },
        ),
      /connections "prod" and "sandbox" .* share the folder .*prod; give each its own/,
    );
    // A postgres sink with a schema of its own that is another connection's.
    assert.throws(
      () =>
        load(
          {
            connections: {
              prod,
              sandbox: { ...sandbox, sinks: [{ name: 'pg', type: 'postgres', schema: 'wdsync_prod' }] },
            },
          },
          { WDSYNC_TENANT: 'prod' },
        ),
      /connections "prod" and "sandbox" .* share schema "wdsync_prod" of database /,
    );
  });

  test('the single-connection config and its variables stay the connection "default"', () => {
    const env = {
      WORKDAY_ENDPOINT: endpoint('wd2-services1.workday.com'),
      WORKDAY_USERNAME: 'isu@acme',
      WORKDAY_PASSWORD: 'pw',
    };
    const c = loadConfig(env, dir);
    assert.equal(c.connection, 'default');
    assert.equal(c.database.schema, 'wdsync');
    assert.equal(loadConfig({ ...env, WDSYNC_TENANT: 'default' }, dir).connection, 'default');
    // With connections beside it, WORKDAY_* configure the default one only, never a named one.
    const named = load(prodAndSandbox, {
      ...env,
      WORKDAY_PASSWORD: 'not-for-prod',
      WDSYNC_WORKDAY_RPS: '99',
      WDSYNC_TENANT: 'prod',
    });
    assert.equal(named.workday.password?.reveal(), 'prod-secret');
    assert.equal(named.limits.workdayRequestsPerSecond, 5);
    const dflt = load(prodAndSandbox, env);
    assert.equal(dflt.connection, 'default', 'a top-level Workday is the default');
    assert.deepEqual(dflt.connectionNames, ['default', 'prod', 'sandbox']);
    assert.equal(dflt.database.schema, 'sync');
  });

  test("each connection has its own schedules: a named connection's ids carry its name", () => {
    const prod = load(prodAndSandbox, { WDSYNC_TENANT: 'prod' });
    const dflt = loadConfig({}, dir);
    assert.equal(scheduleIdFor(prod, 'nightly'), 'prod-nightly');
    assert.equal(scheduleIdFor(dflt, 'nightly'), 'nightly', 'the default connection keeps its names');
    assert.ok(isScheduleOf(prod, { [SCHEDULE_CONNECTION_MEMO]: 'prod' }));
    assert.ok(!isScheduleOf(prod, { [SCHEDULE_CONNECTION_MEMO]: 'sandbox' }));
    assert.ok(!isScheduleOf(prod, undefined), 'a schedule without the memo is the default connection’s');
    assert.ok(isScheduleOf(dflt, undefined));
  });
});
