import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/devserver/temporal-binary';
import { startSync } from '../../src/runs/start';
import { createHarness, type Harness } from '../helpers/harness';

const CHROMIUM = process.env.WDSYNC_CHROMIUM ?? '/usr/bin/chromium';
/** Kept after the run (gitignored under .wdsync/), so a person can look at what the test saw. */
const ARTIFACTS = path.join(PROJECT_ROOT, '.wdsync', 'test-artifacts');

/**
 * `wdsync report` as an operator uses it: a real run with retries and dead letters, the CLI writing
 * the HTML from the audit store, and headless Chromium opening the file offline.
 */
describe('wdsync report: a self-contained HTML report of a run', { timeout: 300_000 }, () => {
  let h: Harness;
  let browser: Browser;
  let runId: string;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}`);
    h = await createHarness({ workers: 400 });
    h.sim.admin.setFaults({
      rules: [
        { type: 'dirtyRecords', pages: [2], records: 3 },
        { type: 'processing', pages: [3], next: 2 },
      ],
    });
    await h.startInProcessWorkers();
    const started = await startSync(h.client, h.cfg, {
      pageSize: 50,
      concurrency: 2,
      tuning: { workdayInitialIntervalMs: 100 },
    });
    runId = started.runId;
    await started.handle.result();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  test('the CLI writes it owner-only; Chromium renders every chart with no console error and no request', async () => {
    const file = path.join(h.dir, 'report.html');
    const r = await h.cli(['report', runId, '--html', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`report of ${runId} .*${file.replace(/[/.]/g, '\\$&')}`));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const html = readFileSync(file, 'utf8');
    assert.doesNotMatch(
      html,
      /<script[^>]+src=|<link[^>]+href=|https?:\/\/cdn/i,
      'nothing loaded from outside the file',
    );

    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (req) => !req.url().startsWith('file:') && requests.push(req.url()));
    await page.goto(`file://${file}`);
    await page.waitForSelector('body[data-rendered="true"]', { timeout: 30_000 });
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'run-report.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no console errors');
    assert.deepEqual(requests, [], 'works offline');

    const charts = await page.evaluate(() =>
      (
        globalThis as unknown as {
          __charts: { canvas: { id: string }; data: { datasets: { data: unknown[] }[] } }[];
        }
      ).__charts.map((c) => ({
        id: c.canvas.id,
        points: c.data.datasets.reduce((n, d) => n + d.data.filter((x) => x !== null).length, 0),
      })),
    );
    assert.deepEqual(charts.map((c) => c.id).sort(), [
      'dead-letters',
      'faults',
      'reconciliation',
      'sinks',
      'throughput',
      'timeline',
    ]);
    const timeline = charts.find((c) => c.id === 'timeline')!;
    assert.equal(timeline.points, 8, 'one bar per page');
    const body = (await page.textContent('body'))!;
    assert.match(body, new RegExp(`wdsync run ${runId}`));
    assert.match(body, /dead letters\s*3/, 'the three dirty records are counted');
    assert.equal(await page.locator('#dl-table tbody tr').count(), 3);
    const faults = await page.evaluate(() => {
      const c = (
        globalThis as unknown as { __charts: { canvas: { id: string }; data: { labels: string[] } }[] }
      ).__charts.find((x) => x.canvas.id === 'faults')!;
      return c.data.labels;
    });
    assert.ok(faults.includes('retries'), `retries counted: ${faults}`);
  });

  test('an unknown run is one clear line', async () => {
    const r = await h.cli(['report', 'no-such-run']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no run no-such-run in the audit store/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
