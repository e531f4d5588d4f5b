import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../src/devserver/ports';
import { startSync } from '../../src/runs/start';
import type { RunSummary } from '../../src/workflows/types';
import { createHarness, type Harness } from '../helpers/harness';
import { type PrometheusServer, startPrometheus } from '../helpers/prometheus';
import { until } from '../helpers/snapshot';
import { dashboardHtml, loadDashboard, queryPanels } from '../helpers/dashboard';

const CHROMIUM = process.env.WDSYNC_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = path.resolve(__dirname, '..', '..');
const ARTIFACTS = path.join(ROOT, '.wdsync', 'test-artifacts');
/** The README's picture; refreshed when WDSYNC_UPDATE_SCREENSHOTS=1. */
const README_SCREENSHOT = path.join(ROOT, 'docs', 'dashboard.png');

const WORKERS = 1500;
const PAGE_SIZE = 100;

/**
 * A real `wdsync worker --metrics-port` scraped by Debian's Prometheus every second, through a
 * run with a throttled page and dirty records: the counters Prometheus holds afterwards equal
 * what the run's summary and the simulator's own request log say.
 */
describe('Prometheus metrics of a worker process', { timeout: 180_000 }, () => {
  let h: Harness;
  let prom: PrometheusServer;
  let summary: RunSummary;
  let metricsPort: number;
  let runStart: number;

  before(async () => {
    h = await createHarness({ workers: WORKERS });
    metricsPort = await freePort();
    prom = await startPrometheus({ targets: [`127.0.0.1:${metricsPort}`] });
    await h.spawnWorker({ WDSYNC_METRICS_PORT: String(metricsPort) });
    h.sim.admin.setFaults({
      rules: [
        { type: 'http429', pages: [2], next: 1, retryAfterSec: 1 },
        { type: 'dirtyRecords', pages: [3], records: 2 },
      ],
      // Slow enough that a 1 s scrape sees the run move (for the dashboard's graphs).
      latency: { baseMs: 400, perWorkerMs: 0, jitterMs: 200 },
    });
    runStart = Date.now() / 1000;
    const { handle } = await startSync(h.client, h.cfg, {
      pageSize: PAGE_SIZE,
      concurrency: 2,
      tuning: { workdayInitialIntervalMs: 100, sinkInitialIntervalMs: 100 },
    });
    summary = await handle.result();
  });
  after(async () => {
    await prom?.close();
    await h?.close();
  });

  /** Waits for the next scrapes to catch up with the run, then asserts the value. */
  async function expectValue(expr: string, want: number) {
    let got: number | undefined;
    try {
      await until(
        async () => {
          got = await prom.query(expr);
          return got === want;
        },
        `${expr} = ${want}`,
        20_000,
      );
    } catch {
      assert.equal(got, want, `${expr}`);
    }
  }

  test('records per sink and action, pages, dead letters and runs equal the run summary', async () => {
    assert.equal(summary.status, 'COMPLETED');
    assert.equal(await prom.query(`up{job="wdsync"}`), 1);
    const pg = summary.perSink.postgres!;
    assert.ok(pg.inserted > 0);
    await expectValue(`sum(wdsync_records_total{sink="postgres",action="inserted"})`, pg.inserted);
    await expectValue(
      `sum(wdsync_records_total{sink="files",action="inserted"})`,
      summary.perSink.files!.inserted,
    );
    await expectValue(
      `sum(wdsync_records_total{action="inserted"}) by (tenant)`,
      summary.perSink.postgres!.inserted + summary.perSink.files!.inserted,
    );
    assert.equal(summary.deadLettered, 2);
    await expectValue('sum(wdsync_records_dead_lettered_total)', summary.deadLettered);
    await expectValue(`sum(wdsync_pages_total{status="fetched"})`, summary.pagesTotal);
    await expectValue(`sum(wdsync_pages_total{status="failed"}) or vector(0)`, summary.pagesFailed);
    await expectValue(`sum(wdsync_runs_finished_total{state="COMPLETED"})`, 1);
    await expectValue(`wdsync_runs{state="COMPLETED"}`, 1);
    await expectValue('wdsync_pages_in_flight{stage="fetch"}', 0);
  });

  test('Workday requests, bytes, throttle waits and Retry-After match the simulator', async () => {
    const stats = h.sim.admin.stats();
    await expectValue('sum(wdsync_workday_requests_total)', stats.requests);
    await expectValue('sum(wdsync_workday_request_duration_seconds_count)', stats.requests);
    await expectValue(`sum(wdsync_workday_requests_total{outcome="error",error_type="WorkdayThrottled"})`, 1);
    await expectValue('sum(wdsync_workday_throttle_waits_total)', 1);
    // Workday asked for 1 s; wdsync waited that (it never retries a throttle sooner than 1 s).
    await expectValue('sum(wdsync_workday_retry_after_seconds_sum)', 1);
    await expectValue('sum(wdsync_workday_received_bytes_total)', stats.bytesSent);
    const tenant = h.sim.credentials.tenant;
    // Every series is the tenant's; only ok and the throttle moved.
    await expectValue(`count(wdsync_workday_requests_total{tenant="${tenant}"} > 0)`, 2);
  });

  test("the same /metrics carries the Temporal SDK's own metrics", async () => {
    const sdk = await prom.query('count({__name__=~"temporal_.+", job="wdsync"})');
    assert.ok(sdk !== undefined && sdk > 5, `Temporal SDK series scraped: ${sdk}`);
    // The SDK counts every fetchPage execution the worker ran: one per page plus the retried one.
    await expectValue(
      'sum(temporal_activity_execution_latency_seconds_count{activity_type="fetchPage"})',
      summary.pagesTotal + 1,
    );
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(text, /^# TYPE wdsync_records_total counter$/m);
    assert.match(text, /^temporal_/m);
    assert.doesNotMatch(text, /worker_id|wid=/, 'no worker id in any label');
  });

  test("the Grafana dashboard's queries all return data from this Prometheus; drawn in Chromium for the README", async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}`);
    // Let the scrapes after the run land, so the graphs come back down.
    await new Promise((r) => setTimeout(r, 3000));
    const end = Date.now() / 1000;
    const panels = await queryPanels(prom, Math.floor(runStart - 2), Math.ceil(end), {
      stepSec: 1,
      rateSec: 3,
    });
    const dashboard = loadDashboard();
    assert.equal(panels.length, dashboard.panels.length);
    for (const [i, p] of panels.entries()) {
      for (const t of dashboard.panels[i]!.targets) {
        assert.ok(
          p.series.some((s) => s.target === t.refId && s.points.some(([, v]) => Number.isFinite(v))),
          `panel "${p.title}" query ${t.refId} returns data: ${t.expr}`,
        );
      }
    }
    // The bars are increase() over the range: an estimate from the 1 s samples inside it, which
    // on a loaded machine missed a third of a run (1,053 of 1,498) or two dead letters at its
    // start. So the picture is only checked to hold this run's series; the counts themselves are
    // the test above's, read exactly from the counters.
    const outcomes = panels.find((p) => p.title === 'Per-sink outcomes')!;
    for (const label of ['postgres inserted', 'files inserted']) {
      const v = outcomes.series.find((x) => x.label === label)?.points[0]?.[1];
      assert.ok(v !== undefined && Number.isFinite(v) && v > 0, `bar ${label}: ${v}`);
    }

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      const caption =
        'Rendered by test/observe/prometheus.test.ts: the queries of deploy/grafana/wdsync.json run against a real Prometheus ' +
        'that scraped a wdsync worker through a 1,500-worker run (a throttled page, two dead letters), drawn with Chart.js. ' +
        'Not a Grafana screenshot: Debian has no grafana package.';
      await page.setContent(dashboardHtml(dashboard.title, panels, caption));
      await page.locator('body[data-rendered]').waitFor({ state: 'attached' });
      assert.deepEqual(errors, []);
      assert.equal(await page.locator('canvas').count(), dashboard.panels.length);
      mkdirSync(ARTIFACTS, { recursive: true });
      const shot = path.join(ARTIFACTS, 'dashboard.png');
      await page.screenshot({ path: shot, fullPage: true });
      if (process.env.WDSYNC_UPDATE_SCREENSHOTS === '1') copyFileSync(shot, README_SCREENSHOT);
    } finally {
      await browser.close();
    }
  });
});
