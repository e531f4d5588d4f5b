import { ErrorType } from '../errors/types';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * wdsync's domain metrics, on a registry of their own (injected: tests make one each, and the
 * worker's /metrics serves it beside the Temporal SDK's). Labels stay low-cardinality: tenant,
 * sink, action, status, outcome, error type, stage, state; never a worker, run or page id.
 */
export interface WdsyncMetrics {
  registry: Registry;
  tenant: string;
  workdayRequests: Counter<'tenant' | 'outcome' | 'error_type'>;
  workdayDuration: Histogram<'tenant' | 'outcome'>;
  workdayBytes: Counter<'tenant'>;
  throttleWaits: Counter<'tenant'>;
  retryAfter: Histogram<'tenant'>;
  pages: Counter<'tenant' | 'status'>;
  records: Counter<'tenant' | 'sink' | 'action'>;
  deadLetters: Counter<'tenant'>;
  sinkDuration: Histogram<'tenant' | 'sink' | 'outcome'>;
  pagesInFlight: Gauge<'tenant' | 'stage'>;
  runsFinished: Counter<'tenant' | 'state'>;
}

/** Read at scrape time from the shared stores, so every worker of a cluster reports the same. */
export interface MetricSources {
  /** Pages held in staging (fetched, not yet cleaned up). */
  stagedPages(): Promise<number>;
  /** Runs in the state store per status (RUNNING, COMPLETED, ...). */
  runsByState(): Promise<{ state: string; count: number }[]>;
}

/** The error types a Workday call fails with (src/activities/failures.ts), each a series from the start. */
const WORKDAY_ERROR_TYPES = [
  ErrorType.WorkdayThrottled,
  ErrorType.WorkdayTransient,
  ErrorType.WorkdayAuth,
  ErrorType.WorkdayValidation,
  ErrorType.WorkdayConfig,
  ErrorType.WorkdayContract,
];

/** prom-client on first use: the CLI's other commands never load it. */
export function createMetrics(opts: {
  tenant: string;
  /** The worker's sinks: their series start at 0, so rate() and increase() see the first records. */
  sinks?: readonly string[];
  sources?: MetricSources;
}): WdsyncMetrics {
  const prom = require('prom-client') as typeof import('prom-client');
  const registry = new prom.Registry();
  const registers = [registry];
  const { sources } = opts;
  const secondsBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
    new prom.Counter<L>({ name, help, labelNames, registers });
  const histogram = <L extends string>(name: string, help: string, labelNames: L[], buckets: number[]) =>
    new prom.Histogram<L>({ name, help, labelNames, buckets, registers });
  const m: WdsyncMetrics = {
    registry,
    tenant: opts.tenant,
    workdayRequests: counter(
      'wdsync_workday_requests_total',
      'Get_Workers requests to Workday, by outcome (ok, error) and error type',
      ['tenant', 'outcome', 'error_type'],
    ),
    workdayDuration: histogram(
      'wdsync_workday_request_duration_seconds',
      'Time from sending a Get_Workers request to the last byte of its parsed answer',
      ['tenant', 'outcome'],
      secondsBuckets,
    ),
    workdayBytes: counter(
      'wdsync_workday_received_bytes_total',
      'Response body bytes received from Workday',
      ['tenant'],
    ),
    throttleWaits: counter(
      'wdsync_workday_throttle_waits_total',
      'Requests Workday throttled; each waits before its retry',
      ['tenant'],
    ),
    retryAfter: histogram(
      'wdsync_workday_retry_after_seconds',
      'The wait before retrying a throttled request (Retry-After when Workday sent one)',
      ['tenant'],
      [1, 2, 5, 10, 30, 60, 120, 300],
    ),
    pages: counter(
      'wdsync_pages_total',
      'Pages by status: fetched into staging, or failed for good (deliveries: wdsync_sink_write_duration_seconds_count)',
      ['tenant', 'status'],
    ),
    records: counter(
      'wdsync_records_total',
      'Records per sink by action (inserted, updated, unchanged, removed, dead-lettered: refused by the sink), each counted once',
      ['tenant', 'sink', 'action'],
    ),
    deadLetters: counter(
      'wdsync_records_dead_lettered_total',
      'Records that failed validation while their page was read, before any sink (refusals by a sink: wdsync_records_total{action="dead-lettered"})',
      ['tenant'],
    ),
    sinkDuration: histogram(
      'wdsync_sink_write_duration_seconds',
      'Time one page takes to write to one sink',
      ['tenant', 'sink', 'outcome'],
      secondsBuckets,
    ),
    pagesInFlight: new prom.Gauge({
      name: 'wdsync_pages_in_flight',
      help: 'Pages this worker is fetching (stage=fetch) or delivering (stage=deliver) right now',
      labelNames: ['tenant', 'stage'],
      registers,
    }),
    runsFinished: counter(
      'wdsync_runs_finished_total',
      'Runs this worker recorded as ended, by final state',
      ['tenant', 'state'],
    ),
  };
  const tenant = opts.tenant;
  for (const sink of opts.sinks ?? [])
    for (const action of ['inserted', 'updated', 'unchanged', 'removed', 'dead-lettered'])
      m.records.inc({ tenant, sink, action }, 0);
  for (const status of ['fetched', 'failed']) m.pages.inc({ tenant, status }, 0);
  for (const error_type of WORKDAY_ERROR_TYPES)
    m.workdayRequests.inc({ tenant, outcome: 'error', error_type }, 0);
  m.deadLetters.inc({ tenant }, 0);
  m.workdayBytes.inc({ tenant }, 0);
  m.workdayRequests.inc({ tenant, outcome: 'ok', error_type: '' }, 0);
  m.throttleWaits.inc({ tenant }, 0);
  if (sources) {
    new prom.Gauge({
      name: 'wdsync_staging_backlog_pages',
      help: 'Pages held in staging, across runs',
      registers,
      async collect() {
        this.set(await sources.stagedPages());
      },
    });
    new prom.Gauge({
      name: 'wdsync_runs',
      help: 'Runs in the state store, by state',
      labelNames: ['state'],
      registers,
      async collect() {
        this.reset();
        for (const r of await sources.runsByState()) this.set({ state: r.state }, r.count);
      },
    });
  }
  return m;
}
