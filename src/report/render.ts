import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RunReportData } from './data';

/** Chart.js, embedded whole so the report opens offline (no CDN, nothing fetched). */
function chartJsSource(): string {
  return readFileSync(path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
}

/** JSON that is safe inside a <script> element: no "</script>", no "<!--". */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * One self-contained HTML file: the run's numbers and six charts drawn in the browser from the
 * audit data embedded in it. Every text from the data goes in through textContent, never as HTML.
 */
export function renderRunReport(data: RunReportData, opts: { generatedAt?: Date } = {}): string {
  const title = `wdsync run ${data.run.runId}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330;background:#f6f7f9}
h1{font-size:20px;margin:0 0 4px} .sub{color:#5b6475;margin-bottom:16px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:16px}
.card{background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 2px #0002}
.card h2{font-size:15px;margin:4px 0 8px} .kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}
.kv dt{color:#5b6475} canvas{max-height:320px} table{border-collapse:collapse;width:100%;font-size:12px}
td,th{border-bottom:1px solid #e3e6ea;padding:3px 6px;text-align:left;vertical-align:top}
.ok{color:#1a7f37;font-weight:600} .bad{color:#b42318;font-weight:600}
</style></head><body>
<h1 id="title"></h1><div class="sub" id="sub"></div>
<div class="grid">
<div class="card"><h2>Run</h2><dl class="kv" id="facts"></dl></div>
<div class="card"><h2>Reconciliation</h2><canvas id="reconciliation"></canvas><p id="recon-text"></p></div>
<div class="card" style="grid-column:1/-1"><h2>Pages over time (fetch to delivery)</h2><canvas id="timeline"></canvas></div>
<div class="card"><h2>Workers per second</h2><canvas id="throughput"></canvas></div>
<div class="card"><h2>Faults and retries by type</h2><canvas id="faults"></canvas></div>
<div class="card"><h2>Per-sink outcomes</h2><canvas id="sinks"></canvas></div>
<div class="card"><h2>Dead letters by reason</h2><canvas id="dead-letters"></canvas></div>
<div class="card" style="grid-column:1/-1"><h2>Dead letters</h2><table id="dl-table"><thead><tr><th>#</th><th>page</th><th>WID</th><th>worker</th><th>reason</th><th>state</th></tr></thead><tbody></tbody></table></div>
</div>
<script type="application/json" id="report-data">${scriptJson({ ...data, generatedAt: (opts.generatedAt ?? new Date()).toISOString() })}</script>
<script>${chartJsSource()}</script>
<script>${CLIENT_SCRIPT}</script>
</body></html>
`;
}

/** Runs in the browser: reads the embedded data and draws. Kept plain ES2017, no build step. */
const CLIENT_SCRIPT = String.raw`
(function () {
  var d = JSON.parse(document.getElementById('report-data').textContent);
  var run = d.run, s = run.summary || {};
  var t0 = Date.parse(run.startedAt);
  var secs = function (iso) { return iso ? (Date.parse(iso) - t0) / 1000 : null; };
  var text = function (id, v) { document.getElementById(id).textContent = v; };
  window.__charts = [];
  var chart = function (id, cfg) { cfg.options = Object.assign({ animation: false, responsive: true }, cfg.options || {}); window.__charts.push(new Chart(document.getElementById(id), cfg)); };
  var COLORS = { delivered: '#1a7f37', done: '#1a7f37', completed: '#1a7f37', failed: '#b42318', fetched: '#2f6fde', running: '#9a6700', inserted: '#1a7f37', updated: '#2f6fde', unchanged: '#98a2b3', 'dead-lettered': '#b42318', removed: '#9a6700' };
  var color = function (k, i) { return COLORS[String(k).toLowerCase()] || ['#6941c6', '#0e9384', '#c4320a', '#475467'][i % 4]; };

  text('title', 'wdsync run ' + run.runId);
  text('sub', run.mode + ' run of tenant ' + run.tenant + ', ' + run.status + '; report made ' + d.generatedAt);
  var facts = [['status', run.status], ['mode', run.mode], ['tenant', run.tenant],
    ['as-of entry', run.asOfEntry || '-'], ['as-of effective', run.asOfEffective || '-'],
    ['started', run.startedAt], ['ended', run.endedAt || 'still running'],
    ['pages', d.pages.length + (s.pagesTotal ? ' of ' + s.pagesTotal : '')],
    ['workers fetched', s.workersFetched != null ? s.workersFetched : '-'], ['dead letters', d.deadLetters.length]];
  var dl = document.getElementById('facts');
  facts.forEach(function (f) { var dt = document.createElement('dt'); dt.textContent = f[0]; var dd = document.createElement('dd'); dd.textContent = String(f[1]); dl.appendChild(dt); dl.appendChild(dd); });

  var rec = s.reconciliation || { expected: s.totalResults || 0, accounted: s.workersFetched || 0, ok: undefined };
  chart('reconciliation', { type: 'bar', data: { labels: ['expected (Total_Results)', 'accounted for'], datasets: [{ label: 'workers', data: [rec.expected, rec.accounted], backgroundColor: ['#98a2b3', rec.ok === false ? '#b42318' : '#1a7f37'] }] }, options: { plugins: { legend: { display: false } } } });
  var rt = document.getElementById('recon-text');
  rt.textContent = rec.ok === undefined ? 'no reconciliation recorded (run not finished)' : rec.ok ? 'reconciled: every worker accounted for' : 'NOT reconciled: ' + (s.totalsMismatch || []).join('; ');
  rt.className = rec.ok === false ? 'bad' : rec.ok ? 'ok' : '';

  var pages = d.pages.slice().sort(function (a, b) { return a.page - b.page; });
  var statuses = Array.from(new Set(pages.map(function (p) { return p.status; })));
  chart('timeline', { type: 'bar', data: { labels: pages.map(function (p) { return 'page ' + p.page; }),
    datasets: statuses.map(function (st, i) { return { label: st, backgroundColor: color(st, i), data: pages.map(function (p) { return p.status === st ? [secs(p.startedAt), secs(p.endedAt) != null ? secs(p.endedAt) : secs(p.startedAt)] : null; }) }; }) },
    options: { indexAxis: 'y', skipNull: true, scales: { x: { title: { display: true, text: 'seconds since run start' } }, y: { stacked: true } }, plugins: { legend: { position: 'bottom' } } } });

  var ends = pages.filter(function (p) { return p.endedAt; });
  var span = Math.max(1, Math.ceil(Math.max.apply(null, [0].concat(ends.map(function (p) { return secs(p.endedAt); })))));
  var bucket = Math.max(1, Math.ceil(span / 60));
  var series = new Array(Math.ceil(span / bucket) + 1).fill(0);
  ends.forEach(function (p) { series[Math.floor(secs(p.endedAt) / bucket)] += (p.rows || 0) / bucket; });
  chart('throughput', { type: 'line', data: { labels: series.map(function (_, i) { return i * bucket + 's'; }), datasets: [{ label: 'workers/s', data: series, borderColor: '#2f6fde', fill: true, backgroundColor: '#2f6fde33', tension: 0.2 }] }, options: { plugins: { legend: { display: false } } } });

  var faults = {};
  pages.forEach(function (p) {
    if (p.attempts > 1) faults['retries'] = (faults['retries'] || 0) + (p.attempts - 1);
    if (p.error) { var m = /^([A-Z][A-Za-z]+)[:\s]/.exec(p.error); var k = m ? m[1] : 'other'; faults[k] = (faults[k] || 0) + 1; }
  });
  var fk = Object.keys(faults);
  chart('faults', { type: 'bar', data: { labels: fk.length ? fk : ['none'], datasets: [{ label: 'count', data: fk.length ? fk.map(function (k) { return faults[k]; }) : [0], backgroundColor: fk.map(function (k, i) { return k === 'retries' ? '#9a6700' : color(k, i + 2); }) }] }, options: { plugins: { legend: { display: false } } } });

  var sinks = Array.from(new Set(d.outcomes.map(function (o) { return o.sink || '(run)'; })));
  var actions = Array.from(new Set(d.outcomes.map(function (o) { return o.action; })));
  chart('sinks', { type: 'bar', data: { labels: sinks, datasets: actions.map(function (a, i) { return { label: a, backgroundColor: color(a, i), data: sinks.map(function (sk) { var o = d.outcomes.find(function (x) { return (x.sink || '(run)') === sk && x.action === a; }); return o ? o.count : 0; }) }; }) }, options: { scales: { x: { stacked: true }, y: { stacked: true } }, plugins: { legend: { position: 'bottom' } } } });

  var reasons = {};
  d.deadLetters.forEach(function (l) { var r = String(l.reason).slice(0, 60); reasons[r] = (reasons[r] || 0) + 1; });
  var rk = Object.keys(reasons);
  chart('dead-letters', { type: 'bar', data: { labels: rk.length ? rk : ['none'], datasets: [{ label: 'dead letters', data: rk.length ? rk.map(function (k) { return reasons[k]; }) : [0], backgroundColor: '#b42318' }] }, options: { indexAxis: 'y', plugins: { legend: { display: false } } } });

  var tbody = document.querySelector('#dl-table tbody');
  d.deadLetters.slice(0, 500).forEach(function (l) {
    var tr = document.createElement('tr');
    [l.id, l.page, l.wid || '', l.workerId || '', l.reason, l.releasedAt ? 'released' : 'open'].forEach(function (v) { var td = document.createElement('td'); td.textContent = String(v); tr.appendChild(td); });
    tbody.appendChild(tr);
  });
  if (!d.deadLetters.length) { var tr = document.createElement('tr'); var td = document.createElement('td'); td.colSpan = 6; td.textContent = 'no dead letters'; tr.appendChild(td); tbody.appendChild(tr); }
  document.body.dataset.rendered = 'true';
})();
`;
