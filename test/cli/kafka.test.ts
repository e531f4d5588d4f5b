import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../src/devserver/ports';
import { BIN, runWdsync } from '../helpers/cli';
import { createKafkaEventSink } from '../../src/sinks/kafka-events';
import { readCommitted, SASL_USER, startTestBroker } from '../helpers/kafka';
import { dropSchema, openTestDb, randomSchema, tempDir, workers } from '../storage/helpers';

const execFileP = promisify(execFile);
const run = runWdsync;

describe('wdsync kafka', { timeout: 300_000 }, () => {
  test('--help names its options', async () => {
    const r = await run(['kafka', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--port <port>/);
    assert.match(r.stdout, /--dir <dir>/);
    assert.match(r.stdout, /KRaft/);
  });

  test('bad input and a machine without Java: one line, non-zero exit, how to use an existing cluster', async () => {
    const bad = await run(['kafka', '--port', 'x']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--port must be a whole number from 1 to 65535/);
    const noJava = await run(['kafka'], { ...process.env, PATH: '/nonexistent' });
    assert.equal(noJava.code, 1);
    assert.equal(noJava.stderr.trim().split('\n').length, 1, noJava.stderr);
    assert.match(
      noJava.stderr,
      /needs Java 17 or newer and no java is on PATH.*existing cluster: WDSYNC_SINKS=events=kafka:/,
    );
  });

  test('runs a broker on the port asked for, prints its address, stops on SIGTERM', async () => {
    const tmp = tempDir('wdsync-kafka-cli-');
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'kafka', '--port', String(port), '--dir', tmp.dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no address printed: ${out}`)), 90_000);
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('Press Ctrl+C')) {
            clearTimeout(t);
            resolve();
          }
        });
        child.stderr.on('data', (d) => (out += d));
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      assert.match(out, new RegExp(`Kafka broker at 127\\.0\\.0\\.1:${port}`));
      assert.match(
        out,
        new RegExp(`WDSYNC_SINKS=postgres,events=kafka:127\\.0\\.0\\.1:${port}/wd\\.workers`),
      );
      const { stdout } = await execFileP('kcat', ['-b', `127.0.0.1:${port}`, '-L', '-m', '30']);
      assert.match(stdout, /1 brokers:/);
      // The dev broker creates topics on first use: a sink's first delivery to new topics succeeds
      // (the topics take a moment to get a leader; the sink waits for them, not fails).
      const db = await openTestDb('postgres');
      const schema = randomSchema('kcli');
      try {
        const sink = createKafkaEventSink({
          name: 'events',
          db,
          schema,
          tenant: 'acme',
          connection: { brokers: [`127.0.0.1:${port}`], clientId: 'test' },
          topic: 'wd.fresh',
          payload: 'both',
        });
        await sink.init();
        const r = await sink.deliverPage(
          { key: { runId: 'r1', page: 1 }, asOfEntry: new Date().toISOString() },
          workers(1, 5),
        );
        assert.equal(r.inserted, 5);
        assert.equal((await readCommitted(`127.0.0.1:${port}`, 'wd.fresh')).length, 5);
      } finally {
        await dropSchema(db, schema);
        await db.close();
      }
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      tmp.remove();
    }
  });

  test('wdsync start refuses a half-configured Kafka sink or events topic with one line, before any run', async () => {
    const kafka = await startTestBroker();
    const tmp = tempDir('wdsync-kafka-cfg-');
    try {
      await kafka.createTopics('wd.ok', 'wd.ok.wdsync-delivered');
      const start = (extra: Record<string, string>) =>
        run(['start'], { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', ...extra });
      const oneLine = (r: { code: number; stderr: string }, re: RegExp) => {
        assert.equal(r.code, 1);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.match(r.stderr, re);
      };
      oneLine(
        await start({ WDSYNC_SINKS: 'postgres,events=kafka:127.0.0.1:1/wd.ok' }),
        /^wdsync: error: sink events: cannot reach Kafka at 127\.0\.0\.1:1; start a broker/,
      );
      oneLine(
        await start({ WDSYNC_SINKS: `postgres,events=kafka:${kafka.bootstrap}/wd.nosuch` }),
        /^wdsync: error: sink events: topic wd\.nosuch does not exist on .* create it/,
      );
      const cfg = path.join(tmp.dir, 'wdsync.config.json');
      writeFileSync(
        cfg,
        JSON.stringify({
          kafka: { sasl: { mechanism: 'PLAIN', username: SASL_USER.username, password: 'nope' } },
        }),
      );
      oneLine(
        await start({
          WDSYNC_CONFIG: cfg,
          WDSYNC_SINKS: `postgres,events=kafka:${kafka.saslBootstrap}/wd.ok`,
        }),
        /^wdsync: error: sink events: Kafka at .* refused the SASL credentials \(PLAIN user wdsync\); fix kafka\.sasl/,
      );
      oneLine(
        await start({ WDSYNC_SINKS: 'postgres,events=kafka:nohost/wd.ok' }),
        /^wdsync: error: WDSYNC_SINKS: malformed kafka sink "events=kafka:nohost\/wd\.ok"/,
      );
      oneLine(
        await start({ WDSYNC_EVENTS_KAFKA: `${kafka.bootstrap}/wd.ops-missing` }),
        /^wdsync: error: WDSYNC_EVENTS_KAFKA: topic wd\.ops-missing does not exist/,
      );
      // With everything right the checks pass and the command goes on to Temporal (absent here).
      const fine = await start({ WDSYNC_SINKS: `postgres,events=kafka:${kafka.bootstrap}/wd.ok` });
      assert.match(fine.stderr, /cannot reach Temporal at 127\.0\.0\.1:1/);
    } finally {
      await kafka.close();
      tmp.remove();
    }
  });
});
