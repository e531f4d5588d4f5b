import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@temporalio/client';
import { chromium, type Browser } from 'playwright-core';
import { createCipher } from '../../src/crypto/cipher';
import { addKey, loadKeyring } from '../../src/crypto/keyring';
import { createEncryptionCodec } from '../../src/crypto/payload-codec';
import { freePort } from '../../src/devserver/ports';
import { startSync } from '../../src/runs/start';
import { startCodecServer } from '../../src/temporal/codec-server';
import { dataConverterFor } from '../../src/temporal/data-converter';
import { framesText } from '../helpers/browser';
import { faultySinks, newFaults } from '../helpers/faults';
import { createHarness, type Harness } from '../helpers/harness';
import { buildDeps, type Deps } from '../../src/deps';
import { startWorkers, type WorkerHandle } from '../../src/worker';
import { pageWorkflowId } from '../../src/workflows/ids';

const CHROMIUM = process.env.WDSYNC_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Payload encryption seen as an operator sees it: a real dev server whose Web UI is configured with
 * `wdsync codec-server`, a real encrypted run, and headless Chromium reading the run's input.
 */
describe('Temporal payloads encrypted, decoded in the Web UI by the codec server', {
  timeout: 300_000,
}, () => {
  let h: Harness;
  let browser: Browser;
  let codec: Awaited<ReturnType<typeof startCodecServer>> | undefined;
  let runId: string;
  let keyFile: string;
  let client: Client;
  let deps: Deps;
  let workers: WorkerHandle;
  const faults = newFaults();

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}`);
    keyFile = path.join(
      (await import('node:os')).tmpdir(),
      `wdsync-codec-${process.pid}-${Date.now()}`,
      'keys.json',
    );
    addKey(keyFile);
    const codecPort = await freePort();
    h = await createHarness({
      workers: 120,
      serverOptions: { headless: false, uiCodecEndpoint: `http://127.0.0.1:${codecPort}` },
      config: { encryption: { keyFile, staging: true, temporal: true } },
    });
    const origin = new URL(h.server.uiUrl!).origin;
    codec = await startCodecServer({
      codec: createEncryptionCodec(createCipher(loadKeyring(keyFile))),
      port: codecPort,
      origins: [origin, origin.replace('127.0.0.1', 'localhost')],
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
    deps = await buildDeps(h.cfg);
    workers = await startWorkers({
      cfg: h.cfg,
      deps: { ...deps.activities, sinks: faultySinks(deps.activities.sinks, faults) },
    });
    client = new Client({ connection: h.client.connection, dataConverter: dataConverterFor(h.cfg) });
    const started = await startSync(client, h.cfg, { pageSize: 40, concurrency: 2 });
    runId = started.runId;
    assert.equal((await started.handle.result()).status, 'COMPLETED');
  });
  after(async () => {
    await browser?.close();
    await codec?.close();
    await workers?.shutdown().catch(() => {});
    await deps?.close().catch(() => {});
    await h?.close();
  });

  test('the history holds only ciphertext: no client without the key reads input or result', async () => {
    const plain = h.client.workflow.getHandle(runId);
    await assert.rejects(plain.result(), /binary\/encrypted|Unknown encoding/i);
    const history = await plain.fetchHistory();
    const json = JSON.stringify(history);
    assert.ok(!json.includes('"pageSize"'), 'no input field in clear');
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const enc = Buffer.from(started!.input!.payloads![0]!.metadata!.encoding!).toString();
    assert.equal(enc, 'binary/encrypted');
  });

  test('failure texts are sealed too: history shows "Encoded failure", a client with the key reads the error', async () => {
    const failing = `codec-failure-${Date.now()}`;
    faults.runId = failing;
    faults.sink.set('postgres', new Set([2]));
    const started = await startSync(client, h.cfg, {
      runId: failing,
      pageSize: 40,
      concurrency: 2,
      recovery: { passes: 0, cooldownSeconds: 1 },
    });
    const summary = await started.handle.result();
    assert.equal(summary.status, 'COMPLETED_WITH_FAILURES');

    const page = client.workflow.getHandle(pageWorkflowId(failing, 2));
    const history = await page.fetchHistory();
    const json = JSON.stringify(history);
    assert.ok(!json.includes('injected fault'), 'no error text in clear anywhere in the page history');
    const failed = history.events?.find(
      (e) => e.activityTaskFailedEventAttributes,
    )?.activityTaskFailedEventAttributes;
    assert.ok(failed, 'the sink activity failed in the page history');
    assert.equal(failed.failure?.message, 'Encoded failure');
    const enc = Buffer.from(failed.failure!.encodedAttributes!.metadata!.encoding!).toString();
    assert.equal(enc, 'binary/encrypted');
    const [opened] = await createEncryptionCodec(createCipher(loadKeyring(keyFile))).decode([
      failed.failure!.encodedAttributes!,
    ]);
    const attrs = JSON.parse(Buffer.from(opened!.data!).toString()) as { message: string };
    assert.match(attrs.message, /injected fault on page 2/, 'with the key, the error text is there');
  });

  test("with the codec server, the Web UI shows the run's input in clear; without it, encrypted", async () => {
    const url = `${h.server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(runId)}`;
    const page = await browser.newPage();
    await page.goto(url);
    const clear = await framesText(page, (t) => t.includes('pageSize'));
    await page.screenshot({ path: path.join(h.dir, 'codec-decoded.png'), fullPage: true });
    assert.match(clear, /pageSize/, 'the decoded input is shown');
    assert.match(clear, /"?tenant"?\s*:\s*"acme"/);
    await page.close();

    await codec!.close();
    codec = undefined;
    const page2 = await browser.newPage();
    await page2.goto(url);
    const sealed = await framesText(page2, (t) => /binary\/encrypted|YmluYXJ5L2VuY3J5cHRlZA/.test(t));
    await page2.screenshot({ path: path.join(h.dir, 'codec-encrypted.png'), fullPage: true });
    assert.match(sealed, /binary\/encrypted|YmluYXJ5L2VuY3J5cHRlZA/, 'the input is shown encrypted');
    assert.doesNotMatch(sealed, /pageSize/, 'no field of the input in clear');
  });
});
