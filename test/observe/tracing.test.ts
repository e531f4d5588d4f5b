import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSync } from '../../src/runs/start';
import { createHarness, type Harness } from '../helpers/harness';
import { type ReceivedSpan, startOtlpReceiver } from '../helpers/otlp-receiver';
import { leaks, workerPii } from '../helpers/pii';
import { until } from '../helpers/snapshot';

/**
 * A `wdsync worker` process with OTEL_EXPORTER_OTLP_ENDPOINT set sends its spans over OTLP/HTTP
 * to a receiver in the test: one trace per run, a span per workflow and activity, with the
 * Workday call, staging and each sink write as children of the page's activities.
 */
describe('OpenTelemetry traces of a worker process', { timeout: 180_000 }, () => {
  let h: Harness;
  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let runId: string;
  let worker: import('node:child_process').ChildProcess;

  before(async () => {
    otlp = await startOtlpReceiver();
    h = await createHarness({ workers: 250 });
    worker = await h.spawnWorker({
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
      OTEL_SERVICE_NAME: 'wdsync-test',
    });
    // A fault and dirty records on page 2: failed spans and dead letters must not leak data either.
    h.sim.admin.setFaults({
      rules: [
        { type: 'processing', pages: [2], next: 1 },
        { type: 'dirtyRecords', pages: [2], records: 3 },
      ],
    });
    const started = await startSync(h.client, h.cfg, {
      pageSize: 100,
      concurrency: 2,
      tuning: { workdayInitialIntervalMs: 100 },
    });
    runId = started.runId;
    const summary = await started.handle.result();
    assert.equal(summary.status, 'COMPLETED');
    // The batch processor exports every second; the run's last spans follow shortly.
    await until(
      () => otlp.spans.some((s) => s.name === 'RunWorkflow:syncRun'),
      'the run workflow span exported',
      20_000,
    );
  });
  after(async () => {
    await h?.close();
    await otlp?.close();
  });

  const children = (parent: ReceivedSpan) => otlp.spans.filter((s) => s.parentSpanId === parent.spanId);
  const only = (list: ReceivedSpan[], name: string, what: string) => {
    const found = list.filter((s) => s.name === name);
    assert.equal(found.length, 1, `${what}: one ${name} (got ${list.map((s) => s.name).join(', ')})`);
    return found[0]!;
  };

  test("one page's tree: workflow → fetch activity → Workday call and staging; deliver activity → sink write, per sink", () => {
    const page = otlp.spans.find(
      (s) => s.name === 'RunWorkflow:syncPage' && s.attributes['wdsync.page'] === 1,
    );
    assert.ok(page, 'a span for the page-1 workflow');
    assert.equal(page.attributes['wdsync.run_id'], runId);
    assert.equal(page.service, 'wdsync-test');
    // The page's workflow span hangs under the run's (through the child-workflow start).
    const run = otlp.spans.find((s) => s.name === 'RunWorkflow:syncRun')!;
    assert.equal(run.attributes['wdsync.run_id'], runId);
    assert.equal(page.traceId, run.traceId, 'the whole run is one trace');

    const fetchStart = only(children(page), 'StartActivity:fetchPage', 'page workflow');
    const fetch = only(children(fetchStart), 'RunActivity:fetchPage', 'fetch start');
    assert.equal(fetch.attributes['wdsync.run_id'], runId);
    assert.equal(fetch.attributes['wdsync.page'], 1);
    const workday = only(children(fetch), 'workday.Get_Workers', 'fetch activity');
    assert.equal(workday.attributes['wdsync.page'], 1);
    assert.equal(workday.attributes['rpc.method'], 'Get_Workers');
    only(children(fetch), 'staging.put', 'fetch activity');

    const deliveries = children(page).filter((s) => s.name === 'StartActivity:deliverPage');
    const sinks = deliveries
      .flatMap((d) => children(d).filter((s) => s.name === 'RunActivity:deliverPage'))
      .map((run) => {
        assert.equal(run.attributes['wdsync.page'], 1);
        const write = only(children(run), 'sink.write', `deliver to ${run.attributes['wdsync.sink']}`);
        assert.equal(write.attributes['wdsync.sink'], run.attributes['wdsync.sink']);
        assert.equal(write.attributes['wdsync.records'], 100);
        only(children(run), 'staging.get', 'deliver activity');
        return String(write.attributes['wdsync.sink']);
      })
      .sort();
    assert.deepEqual(sinks, ['files', 'postgres']);
  });

  test('no span carries worker data, also the failed attempt of page 2', async () => {
    const failed = otlp.spans.filter(
      (s) => s.name === 'RunActivity:fetchPage' && s.attributes['wdsync.page'] === 2,
    );
    assert.ok(
      failed.some((s) => s.attributes['wdsync.attempt'] === 1) &&
        failed.some((s) => s.attributes['wdsync.attempt'] === 2),
    );
    const pii = await workerPii(h.schema);
    assert.ok(pii.length > 500, `worker values to look for: ${pii.length}`);
    assert.deepEqual(leaks(otlp.bodies.join('\n'), pii), []);
  });

  test('SIGTERM stops the traced worker cleanly (exit 0)', async () => {
    const exited = new Promise<number | null>((r) => worker.once('exit', (code) => r(code)));
    worker.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 30_000))]);
    assert.equal(code, 0);
  });
});
