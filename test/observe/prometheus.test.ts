import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../src/devserver/ports';
import { startSync } from '../../src/runs/start';
import type { RunSummary } from '../../src/workflows/types';
import { createHarness, type Harness } from '../helpers/harness';
import { type PrometheusServer, startPrometheus } from '../helpers/prometheus';
import { until } from '../helpers/snapshot';

const WORKERS = 600;
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
    });
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
    await expectValue(`count(wdsync_workday_requests_total{tenant="${tenant}"})`, 2);
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
});
