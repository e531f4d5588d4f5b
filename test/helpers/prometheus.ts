import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/devserver/ports';

export interface PrometheusServer {
  url: string;
  /** The instant value of a PromQL expression (first series), or undefined when it has none. */
  query(expr: string): Promise<number | undefined>;
  /** The raw HTTP API answer for a range query (for rendering panels). */
  queryRange(expr: string, startSec: number, endSec: number, stepSec: number): Promise<RangeSeries[]>;
  close(): Promise<void>;
}

export interface RangeSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/**
 * Debian's prometheus, as a real process scraping `targets` every second, with its own storage
 * in a temporary directory. Installed by scripts/test-prerequisites.cjs.
 */
export async function startPrometheus(opts: { targets: string[]; job?: string }): Promise<PrometheusServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wdsync-prom-'));
  const port = await freePort();
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      `  - job_name: ${opts.job ?? 'wdsync'}`,
      '    static_configs:',
      `      - targets: [${opts.targets.map((t) => `'${t}'`).join(', ')}]`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    process.env.WDSYNC_PROMETHEUS ?? 'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${err}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`prometheus did not become ready: ${err}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const api = async (p: string, params: Record<string, string>) => {
    const r = await fetch(`${url}/api/v1/${p}?${new URLSearchParams(params)}`);
    const body = (await r.json()) as { status: string; error?: string; data: { result: unknown[] } };
    if (body.status !== 'success') throw new Error(`prometheus ${p} ${params.query}: ${body.error}`);
    return body.data.result;
  };
  return {
    url,
    async query(expr) {
      const result = (await api('query', { query: expr })) as { value: [number, string] }[];
      return result.length ? Number(result[0]!.value[1]) : undefined;
    },
    async queryRange(expr, start, end, step) {
      return (await api('query_range', {
        query: expr,
        start: String(start),
        end: String(end),
        step: String(step),
      })) as RangeSeries[];
    },
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
