import type { BenchResults } from './run';

/**
 * The printed table: one line per figure, the ratio the issue's targets are about next to it.
 * Absolute times are printed too, but on a shared machine only the side-by-side ratios mean much.
 */

type Row = [scenario: string, figure: string, value: string, target?: string];

const n = (x: unknown, digits = 1) =>
  typeof x === 'number' && Number.isFinite(x)
    ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '—';
const s = (ms: unknown) => (typeof ms === 'number' ? `${n(ms / 1000, 1)} s` : '—');
const x = (v: unknown) => `${n(v, 2)}x`;
type Obj = Record<string, unknown>;
const slotsText = (t: Obj) => `${s(t.fullMs)} / ${s(t.oneShortMs)} / ${s(t.fewerMs)}`;

export function benchRows(r: BenchResults): Row[] {
  const rows: Row[] = [];
  const sc = r.scenarios as Record<string, Obj | undefined>;
  const target = (scenario: string, name: string) => {
    const t = r.targets.find((t) => t.scenario === scenario && t.name.startsWith(name));
    return t ? `${t.target} ${t.met ? 'met' : 'MISSED'}` : undefined;
  };
  const w = sc.wdsync;
  if (w) {
    rows.push(['1 wdsync', 'wall time', s(w.wallMs)]);
    rows.push(['', 'workers/s', n(w.workersPerSec, 0)]);
    rows.push(['', 'ideal bound (simulator serve time / C)', s(w.idealMs)]);
    rows.push(['', 'ratio to ideal', x(w.ratioToIdeal), target('wdsync', 'wdsync wall')]);
    if (w.slots) rows.push(['', 'Workday slots: all busy / one idle / more idle', slotsText(w.slots as Obj)]);
    if (Number.isFinite(w.parseBoundMs as number))
      rows.push(['', 'client parse bound (one core)', s(w.parseBoundMs)]);
    const cpu = w.cpuMs as Obj;
    rows.push([
      '',
      'CPU s: worker / simulator / temporal',
      `${n((cpu.worker as number) / 1000)} / ${n((cpu.simulator as number) / 1000)} / ${n((cpu.temporal as number) / 1000)}`,
    ]);
  }
  const b = sc.batch;
  if (b) {
    rows.push(['2 batch job', 'wall time', s(b.wallMs)]);
    rows.push(['', 'wdsync speed-up', x(b.speedup), target('batch', 'wdsync speed-up')]);
  }
  const p = sc.pool;
  if (p) {
    rows.push(['3 no durability', 'wall time (pool, same C)', s(p.wallMs)]);
    rows.push(['', 'pool ratio to ideal', x(p.ratioToIdeal)]);
    if (p.slots) rows.push(['', 'Workday slots: all busy / one idle / more idle', slotsText(p.slots as Obj)]);
    rows.push(['', 'wdsync overhead', x(p.overhead), target('pool', 'durability')]);
  }
  const st = sc.startup;
  if (st) {
    rows.push([
      '9 CLI start-up',
      `wdsync --help, median of ${st.runs}: compiled / tsx`,
      `${n((st.compiledMs as number) / 1000, 2)} s / ${n((st.sourceMs as number) / 1000, 2)} s`,
    ]);
    rows.push(['', 'speed-up of compiled JavaScript', x(st.speedup), target('startup', 'CLI start-up')]);
  }
  const ps = sc.parse;
  if (ps) {
    const wd = ps.wdsync as Obj;
    const so = ps.soap as Obj;
    rows.push(['4 parsing', `page of ${ps.workers} workers`, `${n(ps.pageMb, 2)} MB`]);
    rows.push(['', 'wdsync MB/s per core', n(wd.mbPerSecCpu)]);
    rows.push(['', 'soap MB/s per core', n(so.mbPerSecCpu)]);
    rows.push(['', 'ratio', x(ps.ratio), target('parse', 'parsing')]);
  }
  const k = sc.sink;
  if (k) {
    const second = k.second as Obj;
    rows.push(['5 sink', 'PostgreSQL insert rows/s', n(k.insertRowsPerSec, 0)]);
    rows.push(['', 'unchanged (skipped) rows/s', n(k.unchangedRowsPerSec, 0)]);
    rows.push(['', `2% churn: changes applied`, n(k.churnChanges, 0)]);
    rows.push(['', 'second sync: written / skipped', `${n(second.written, 0)} / ${n(second.skipped, 0)}`]);
    rows.push(['', 'second sync wall time', s(second.wallMs)]);
  }
  const ev = sc.events;
  if (ev) {
    rows.push([
      '8 event sink',
      'full: PostgreSQL alone / + Kafka events',
      `${s(ev.aloneWallMs)} / ${s(ev.besideWallMs)}`,
    ]);
    rows.push(['', 'ratio', x(ev.ratio), target('events', 'full run')]);
    rows.push(['', 'full sync events/s', `${n(ev.fullEventsPerSec, 0)} (${n(ev.fullEvents, 0)} events)`]);
    rows.push([
      '',
      'delta after churn events/s',
      `${n(ev.deltaEventsPerSec, 0)} (${n(ev.deltaEvents, 0)} events)`,
    ]);
  }
  const f = sc.faults;
  if (f) {
    rows.push(['6 faults', 'wall time', s(f.wallMs)]);
    rows.push(['', 'faults injected / requests', `${n(f.faultsInjected, 0)} / ${n(f.requests, 0)}`]);
    rows.push(['', 'ratio to fault-free', x(f.ratioToFaultFree), target('faults', 'time')]);
    rows.push(['', 'Workday requests per page', n(f.requestsPerPage, 3), target('faults', 'Workday')]);
  }
  const ss = sc.slowsink;
  if (ss) {
    const d = ss.delayed as Obj;
    const f = ss.flaky as Obj;
    rows.push(['10 slow sink', 'sink +300 ms per page: wall time', s(d.wallMs)]);
    rows.push([
      '',
      'ratio to fault-free',
      x(d.ratioToFaultFree),
      target('slowsink', 'time with a sink +300'),
    ]);
    rows.push(['', 'sink failing 2 attempts per page: wall time', s(f.wallMs)]);
    rows.push(['', 'attempts refused', n(f.sinkFailedAttempts, 0)]);
    rows.push([
      '',
      'ratio to fault-free',
      x(f.ratioToFaultFree),
      target('slowsink', 'time with a sink failing'),
    ]);
  }
  const sx = sc.scale;
  if (sx) {
    const one = sx.one as Obj;
    const two = sx.two as Obj;
    rows.push([
      '11 scale-out',
      `wall: 1 / 2 worker processes (${sx.perWorkerConcurrency} Workday slots each, C=${sx.concurrency})`,
      `${s(one.wallMs)} / ${s(two.wallMs)}`,
    ]);
    rows.push(['', 'speed-up of two processes', x(sx.speedup), target('scale', 'scale-out: one')]);
    rows.push([
      '',
      'most in flight (simulator): 1 / 2 processes',
      `${one.maxInFlight} / ${two.maxInFlight}`,
      target('scale', 'scale-out: most Workday requests in flight'),
    ]);
    rows.push([
      '',
      'most requests in any second: 1 / 2 processes',
      `${one.maxRequestsInAnySecond} / ${two.maxRequestsInAnySecond}`,
      target('scale', 'scale-out: most Workday requests in any'),
    ]);
  }
  const m = sc.rss;
  if (m) {
    rows.push([
      '7 worker RSS',
      `peak during scenario 1 (${n(m.workers, 0)} workers)`,
      `${n(m.peakMb, 0)} MB`,
    ]);
    rows.push([
      '',
      'before the run (idle / start-up peak)',
      `${n(m.idleRssMb, 0)} / ${n(m.startupPeakMb, 0)} MB`,
    ]);
    if (typeof m.allocator === 'string') rows.push(['', 'allocator', m.allocator]);
    rows.push(['', 'target', '', target('rss', 'worker peak')]);
  }
  return rows;
}

export function formatTable(r: BenchResults): string {
  const rows = benchRows(r);
  const width = [0, 0, 0];
  for (const row of rows) for (let i = 0; i < 3; i++) width[i] = Math.max(width[i]!, row[i]!.length);
  const p = r.params;
  const l = p.latency;
  const head = [
    `wdsync bench: ${p.workers.toLocaleString('en-US')} workers, page size ${p.pageSize} (${p.pages} pages), concurrency ${p.concurrency}`,
    `latency model: ${l.baseMs} ms + [0, ${l.jitterMs}) ms + ${l.perWorkerMs} ms/worker` +
      (l.slowTailRate ? `, ${l.slowTailRate * 100}% slow tail +${l.slowTailMs} ms` : '') +
      `; machine: ${r.machine.cpus} × ${r.machine.cpuModel}, load ${r.machine.loadAvgStart.join(' ')} → ${r.machine.loadAvgEnd.join(' ')}`,
    '',
  ];
  const body = rows.map(
    (row) =>
      `${row[0].padEnd(width[0]!)}  ${row[1].padEnd(width[1]!)}  ${row[2].padStart(width[2]!)}${row[3] ? `   ${row[3]}` : ''}`,
  );
  const tail = r.errors.length ? ['', `errors (${r.errors.length}):`, ...r.errors.map((e) => `  ${e}`)] : [];
  return [
    ...head,
    ...body,
    ...tail,
    '',
    `${r.complete ? 'complete' : 'INCOMPLETE'} in ${s(r.durationMs)}`,
  ].join('\n');
}

/** The Markdown table for the README's Performance section. */
export function markdownTable(r: BenchResults): string {
  const lines = ['| Scenario | Figure | Measured | Target |', '|---|---|---:|---|'];
  for (const row of benchRows(r)) lines.push(`| ${row[0]} | ${row[1]} | ${row[2]} | ${row[3] ?? ''} |`);
  return lines.join('\n');
}
