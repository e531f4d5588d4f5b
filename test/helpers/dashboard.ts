import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { PrometheusServer } from './prometheus';

export const DASHBOARD_FILE = path.resolve(__dirname, '..', '..', 'deploy', 'grafana', 'wdsync.json');

interface GrafanaPanel {
  id: number;
  type: 'timeseries' | 'bargauge';
  title: string;
  fieldConfig: { defaults: { unit?: string } };
  gridPos: { x: number; y: number; w: number; h: number };
  targets: { refId: string; expr: string; legendFormat: string }[];
}

export interface PanelData {
  title: string;
  type: GrafanaPanel['type'];
  unit: string;
  gridPos: GrafanaPanel['gridPos'];
  /** One per series the panel's queries returned: points for a graph, one value for a bar. */
  series: { target: string; label: string; points: [number, number][] }[];
}

export function loadDashboard(): { title: string; panels: GrafanaPanel[] } {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8'));
}

/** Grafana's variables as Grafana would expand them for this window ($tenant = All). */
export function expand(expr: string, rangeSec: number, rateSec: number): string {
  return expr
    .replaceAll('$__rate_interval', `${rateSec}s`)
    .replaceAll('$__range', `${rangeSec}s`)
    .replaceAll('$tenant', '.*');
}

const legend = (format: string, metric: Record<string, string>) =>
  format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k: string) => metric[k] ?? '');

/**
 * Every panel's queries run against a real Prometheus over [start, end]: range queries for
 * graphs, instant queries at `end` for bars, exactly the expressions the dashboard file holds.
 */
export async function queryPanels(
  prom: PrometheusServer,
  start: number,
  end: number,
  opts: { stepSec: number; rateSec: number },
): Promise<PanelData[]> {
  const { panels } = loadDashboard();
  const out: PanelData[] = [];
  for (const p of panels) {
    const series: PanelData['series'] = [];
    for (const t of p.targets) {
      const expr = expand(t.expr, Math.ceil(end - start), opts.rateSec);
      const result = await prom.queryRange(expr, start, end, opts.stepSec);
      for (const r of result) {
        const points = r.values.map(([ts, v]) => [ts, Number(v)] as [number, number]);
        series.push({
          target: t.refId,
          label: legend(t.legendFormat, r.metric),
          points: p.type === 'bargauge' ? points.slice(-1) : points,
        });
      }
    }
    out.push({
      title: p.title,
      type: p.type,
      unit: p.fieldConfig.defaults.unit ?? '',
      gridPos: p.gridPos,
      series,
    });
  }
  return out;
}

/**
 * The panels drawn with Chart.js, on Grafana's grid and in its dark colours. Not Grafana (Debian
 * has no package for it): the page says so in its footer.
 */
export function dashboardHtml(title: string, panels: PanelData[], caption: string): string {
  const chartJs = readFileSync(
    path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js'),
    'utf8',
  );
  const rows = Math.max(...panels.map((p) => p.gridPos.y + p.gridPos.h));
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>
<style>
  body { margin: 0; background: #111217; color: #ccccdc; font: 13px Inter, Helvetica, Arial, sans-serif; }
  header { padding: 10px 16px; font-size: 16px; color: #fff; border-bottom: 1px solid #22252b; }
  .grid { display: grid; grid-template-columns: repeat(24, 1fr); grid-template-rows: repeat(${rows}, 30px); gap: 8px; padding: 8px; }
  .panel { background: #181b1f; border: 1px solid #22252b; border-radius: 2px; padding: 6px 8px 8px; display: flex; flex-direction: column; min-height: 0; }
  .panel h2 { font-size: 13px; font-weight: 500; margin: 0 0 4px; color: #ccccdc; }
  .panel .body { position: relative; flex: 1; min-height: 0; }
  footer { padding: 6px 16px 12px; color: #8e8e8e; font-size: 12px; }
</style>
<script>${chartJs}</script></head><body>
<header>${title}</header>
<div class="grid" id="grid"></div>
<footer>${caption}</footer>
<script>
const PANELS = ${JSON.stringify(panels)};
const COLORS = ['#73bf69', '#f2cc0c', '#8ab8ff', '#ff780a', '#f2495c', '#5794f2', '#b877d9', '#fade2a', '#c0d8ff', '#96d98d'];
Chart.defaults.color = '#ccccdc';
Chart.defaults.borderColor = '#2c3235';
Chart.defaults.animation = false;
const fmt = (unit, v) => {
  if (unit === 's') return v < 1 ? (v * 1000).toFixed(0) + ' ms' : v.toFixed(2) + ' s';
  if (unit === 'Bps') return v >= 1e6 ? (v / 1e6).toFixed(1) + ' MB/s' : v >= 1e3 ? (v / 1e3).toFixed(0) + ' kB/s' : v.toFixed(0) + ' B/s';
  if (unit === 'ops' || unit === 'reqps') return (v >= 100 ? v.toFixed(0) : v.toFixed(2)) + (unit === 'ops' ? ' /s' : ' req/s');
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
};
for (const p of PANELS) {
  const el = document.createElement('div');
  el.className = 'panel';
  el.style.gridColumn = (p.gridPos.x + 1) + ' / span ' + p.gridPos.w;
  el.style.gridRow = (p.gridPos.y + 1) + ' / span ' + p.gridPos.h;
  el.innerHTML = '<h2></h2><div class="body"><canvas></canvas></div>';
  el.querySelector('h2').textContent = p.title;
  document.getElementById('grid').appendChild(el);
  const ctx = el.querySelector('canvas');
  const tick = { callback: (v) => fmt(p.unit, Number(v)) };
  if (p.type === 'bargauge') {
    new Chart(ctx, {
      type: 'bar',
      data: { labels: p.series.map((s) => s.label), datasets: [{ data: p.series.map((s) => s.points[0] ? s.points[0][1] : 0), backgroundColor: p.series.map((_, i) => COLORS[i % COLORS.length]) }] },
      options: { indexAxis: 'y', maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: tick } } },
    });
  } else {
    new Chart(ctx, {
      type: 'line',
      data: { datasets: p.series.map((s, i) => ({ label: s.label, data: s.points.map(([t, v]) => ({ x: t * 1000, y: v })), borderColor: COLORS[i % COLORS.length], backgroundColor: COLORS[i % COLORS.length] + '22', fill: true, pointRadius: 0, borderWidth: 2, tension: 0.2 })) },
      options: {
        maintainAspectRatio: false,
        parsing: false,
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12, boxHeight: 2 } } },
        scales: {
          x: { type: 'linear', ticks: { maxTicksLimit: 8, callback: (v) => new Date(Number(v)).toISOString().slice(11, 19) } },
          y: { beginAtZero: true, ticks: tick },
        },
      },
    });
  }
}
document.body.dataset.rendered = String(PANELS.length);
</script></body></html>`;
}
