import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSync } from '../../src/runs/start';
import { createHarness, type Harness } from '../helpers/harness';
import { leaks, workerPii } from '../helpers/pii';
import { until } from '../helpers/snapshot';
import { startWebhookReceiver } from '../helpers/webhook-receiver';

const PASSWORD = 'Pw-log-test-7f3a9c';
const OAUTH = {
  clientId: 'log-test-client',
  clientSecret: 'cs-log-test-41d2e8',
  refreshToken: 'rt-log-test-9b77c1',
};
const WEBHOOK_SECRET = `whsec_${Buffer.from('log-test webhook secret 32 bytes').toString('base64')}`;

interface Line {
  level: string;
  time: string;
  msg: string;
  runId?: string;
  page?: number;
  sink?: string;
  attempt?: number;
  activity?: string;
  source?: string;
  [k: string]: unknown;
}

/**
 * A `wdsync worker` process at WDSYNC_LOG_LEVEL=debug, signing in to Workday with OAuth and
 * signing webhooks, through a run with a Workday 503, a connection reset and dirty records:
 * every line it prints is JSON, every activity line names its run, page, sink and attempt,
 * and no line holds a secret or a worker's name, email, phone or salary.
 */
describe('structured logs of a worker process', { timeout: 180_000 }, () => {
  let h: Harness;
  let hooks: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let stdout = '';
  let stderr = '';
  let runId: string;

  before(async () => {
    hooks = await startWebhookReceiver();
    // Two dead letters raise a (signed) dead_letters.threshold webhook.
    h = await createHarness({
      workers: 300,
      simulator: { password: PASSWORD, oauth: OAUTH },
      config: { notify: { deadLetterThreshold: 2 } },
    });
    const secretFile = path.join(h.dir, 'webhook.secret');
    writeFileSync(secretFile, WEBHOOK_SECRET, { mode: 0o600 });
    await h.spawnWorker(
      {
        WDSYNC_LOG_LEVEL: 'debug',
        WDSYNC_WEBHOOK_URL: hooks.url,
        WDSYNC_WEBHOOK_SECRET_FILE: secretFile,
        WORKDAY_OAUTH_TOKEN_URL: h.sim.tokenUrl,
        WORKDAY_OAUTH_CLIENT_ID: OAUTH.clientId,
        WORKDAY_OAUTH_CLIENT_SECRET: OAUTH.clientSecret,
        WORKDAY_OAUTH_REFRESH_TOKEN: OAUTH.refreshToken,
      },
      {
        onOutput: (chunk, stream) => {
          if (stream === 'stdout') stdout += chunk;
          else stderr += chunk;
        },
      },
    );
    h.sim.admin.setFaults({
      rules: [
        { type: 'http503', pages: [2], next: 1, retryAfterSec: 1 },
        { type: 'reset', pages: [3], next: 1 },
        { type: 'dirtyRecords', pages: [1], records: 2 },
      ],
    });
    const started = await startSync(h.client, h.cfg, {
      pageSize: 100,
      concurrency: 2,
      tuning: { workdayInitialIntervalMs: 100, sinkInitialIntervalMs: 100 },
    });
    runId = started.runId;
    const summary = await started.handle.result();
    assert.equal(summary.status, 'COMPLETED');
    assert.equal(summary.deadLettered, 2);
    await until(() => hooks.events.length > 0, 'the dead_letters.threshold webhook', 10_000);
    // pino writes asynchronously: wait for the run's last activity line.
    await until(() => stdout.includes('"activity":"recordRunEnd"'), 'the last activity line', 10_000);
  });
  after(async () => {
    await h?.close();
    hooks?.close();
  });

  const lines = (): Line[] =>
    stdout
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => {
        let line: Line | undefined;
        try {
          line = JSON.parse(l) as Line;
        } catch {}
        assert.ok(line, `not a JSON line: ${l.slice(0, 200)}`);
        return line;
      });

  test('every line is JSON with level, time and message; activity lines name run, page, sink and attempt', () => {
    const all = lines();
    assert.ok(all.length > 20, `lines: ${all.length}`);
    for (const l of all) {
      assert.ok(['trace', 'debug', 'info', 'warn', 'error', 'fatal'].includes(l.level), l.level);
      assert.ok(!Number.isNaN(Date.parse(l.time)), 'an ISO time');
      assert.equal(typeof l.msg, 'string');
    }
    assert.ok(
      all.some((l) => l.level === 'debug'),
      'WDSYNC_LOG_LEVEL=debug lets debug lines through',
    );
    const ofActivities = all.filter((l) => l.activity);
    for (const l of ofActivities) {
      assert.equal(l.runId, runId, `runId on ${l.msg}`);
      assert.ok(Number.isInteger(l.attempt) && l.attempt! >= 1, `attempt on ${l.msg}`);
    }
    const delivered = ofActivities.filter(
      (l) => l.activity === 'deliverPage' && l.msg === 'activity completed',
    );
    assert.deepEqual([...new Set(delivered.map((l) => `${l.page}:${l.sink}`))].sort(), [
      '1:files',
      '1:postgres',
      '2:files',
      '2:postgres',
      '3:files',
      '3:postgres',
    ]);
  });

  test('a fault and its retry: the failed attempt and the next one, same page, attempts 1 and 2', () => {
    const page2 = lines().filter((l) => l.activity === 'fetchPage' && l.page === 2);
    const failed = page2.find((l) => l.msg === 'activity failed');
    assert.ok(failed, 'the 503 is logged');
    assert.equal(failed.attempt, 1);
    // A 503 with Retry-After is Workday asking to wait: a throttle.
    assert.equal(failed.errorType, 'WorkdayThrottled');
    const retried = page2.find((l) => l.msg === 'activity completed');
    assert.equal(retried?.attempt, 2);
    // The SDK's own line about the failure comes through the same logger, with the same context.
    const sdk = lines().find((l) => l.source === 'temporal' && l.level === 'warn' && l.page === 3);
    assert.ok(sdk, "the Temporal SDK's warning about page 3's reset");
    assert.equal(sdk.runId, runId);
  });

  test('no line holds the password, a token, a secret, or a worker name, email, phone or salary', async () => {
    const text = `${stdout}\n${stderr}`;
    if (process.env.WDSYNC_KEEP_LOGS) writeFileSync(process.env.WDSYNC_KEEP_LOGS, text);
    // taskToken: Temporal's task token completes an activity for whoever holds it.
    for (const secret of [
      PASSWORD,
      OAUTH.clientSecret,
      OAUTH.refreshToken,
      WEBHOOK_SECRET,
      'Bearer ',
      'taskToken',
    ]) {
      assert.ok(!text.includes(secret), `a log line holds ${secret.slice(0, 6)}…`);
    }
    const pii = await workerPii(h.schema);
    assert.ok(pii.length > 500, `worker values to look for: ${pii.length}`);
    assert.deepEqual(leaks(text, pii), []);
  });
});

describe('worker observability settings: bad input', () => {
  const cli = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = require('node:child_process').spawn(
        process.execPath,
        [path.resolve(__dirname, '..', '..', 'bin', 'wdsync.cjs'), ...args],
        { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.once('exit', (code: number | null) => resolve({ code: code ?? 1, stderr }));
    });

  test('a bad --log-level, --metrics-port or WDSYNC_LOG_LEVEL is one line saying what to use', async () => {
    const level = await cli(['worker', '--log-level', 'loud']);
    assert.notEqual(level.code, 0);
    assert.equal(level.stderr.trim().split('\n').length, 1, level.stderr);
    assert.match(level.stderr, /--log-level.*loud.*(fatal|info)/);
    const port = await cli(['worker', '--metrics-port', '99999']);
    assert.notEqual(port.code, 0);
    assert.match(
      port.stderr.trim(),
      /^wdsync: error: .*--metrics-port must be a whole number from 1 to 65535$/,
    );
    const env = await cli(['worker'], { WDSYNC_LOG_LEVEL: 'loud' });
    assert.notEqual(env.code, 0);
    assert.equal(env.stderr.trim().split('\n').length, 1, env.stderr);
    assert.match(env.stderr, /observability\.logLevel/);
  });
});
