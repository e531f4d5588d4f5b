import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { startSync } from '../../src/runs/start';
import { framesText } from '../helpers/browser';
import { createHarness, type Harness } from '../helpers/harness';

const CHROMIUM = process.env.WDSYNC_CHROMIUM ?? '/usr/bin/chromium';

/**
 * A person looking for a run in the Temporal Web UI: a real dev server with the UI, a real sync,
 * and headless Chromium filtering workflows by wdsync's search attributes.
 */
describe('runs are findable in the Temporal Web UI', { timeout: 300_000 }, () => {
  let h: Harness;
  let browser: Browser;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}; install Debian's chromium (CI does)`);
    h = await createHarness({ workers: 600, serverOptions: { headless: false } });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  test('a finished run shows up under a WdsyncState filter with its summary, and no worker data', async () => {
    await h.startInProcessWorkers();
    const { runId, handle } = await startSync(h.client, h.cfg, { pageSize: 200, concurrency: 2 });
    const summary = await handle.result();
    assert.equal(summary.status, 'COMPLETED');
    const uiUrl = h.server.uiUrl!;
    const page = await browser.newPage();
    const query = encodeURIComponent(`WdsyncState="Completed" AND WdsyncRunId="${runId}"`);
    await page.goto(`${uiUrl}/namespaces/default/workflows?query=${query}`);
    await page.getByText(runId).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: `${h.dir}/workflows.png` });

    await page.goto(`${uiUrl}/namespaces/default/workflows/${encodeURIComponent(runId)}`);
    await page.getByText('User Metadata').first().click({ timeout: 30_000 });
    // Summary and details are rendered as markdown, partly inside frames: read every frame.
    const text = await framesText(
      page,
      (t) => t.includes('wdsync full sync of acme') && /Workers fetched 600.600/.test(t),
    );
    await page.screenshot({ path: `${h.dir}/run-metadata.png`, fullPage: true });
    assert.match(text, /wdsync full sync of acme/, 'the summary line is shown');
    assert.match(text, /Completed/, 'the state is shown');
    assert.match(text, /Workers fetched 600.600/, 'live details show the counts');
    const someone = h.sim.admin.workersAsOf(summary.asOf)[0]!;
    assert.ok(!text.includes(someone.personal!.legalName.formatted), 'the run page shows no worker names');
  });
});
