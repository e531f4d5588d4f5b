import type { Command } from 'commander';
import type { PageRow, WorkerEvent } from '../audit/types';
import { describeSplit } from '../domain/page-split';
import { action } from './action';
import { intArg } from './errors';

const iso = (d: Date | null | undefined) => (d ? d.toISOString().replace('.000Z', 'Z') : '');
const short = (h: string | null | undefined, n = 12) => (h ? h.slice(0, n) : '');

/** One table, columns padded to their widest cell. */
export function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '))
    .join('\n');
}

export function formatWorkerHistory(id: string, events: WorkerEvent[]): string {
  if (!events.length) return `no audit events for worker ${id}: no run delivered or dead-lettered it`;
  const wids = [...new Set(events.map((e) => e.wid).filter(Boolean))];
  const ids = [...new Set(events.map((e) => e.workerId).filter(Boolean))];
  const runs = [...new Set(events.map((e) => e.runId))];
  const sinks = [...new Set(events.map((e) => e.sink).filter(Boolean))];
  const head = [
    `Worker ${wids.join(', ') || id}${ids.length ? ` (${ids.join(', ')})` : ''}`,
    `  ${events.length} event(s) in ${runs.length} run(s); sinks: ${sinks.join(', ') || 'none'}`,
    '',
  ];
  const rows = events.map((e) => [
    iso(e.at),
    e.runId,
    e.runMode ?? (e.runId.includes('/release-') ? 'release' : ''),
    e.page,
    e.sink || '-',
    e.action,
    short(e.hash),
  ]);
  return head.join('\n') + table(['AT', 'RUN', 'MODE', 'PAGE', 'SINK', 'ACTION', 'HASH'], rows);
}

const durationOf = (p: PageRow) =>
  p.endedAt ? `${((p.endedAt.getTime() - p.startedAt.getTime()) / 1000).toFixed(1)}s` : '';

export function registerAuditCommands(program: Command) {
  const audit = program
    .command('audit')
    .description('the audit trail: what happened to a worker, or to every page of a run');

  audit
    .command('worker <id>')
    .description(
      'which runs, pages and sinks touched this worker (WID, Employee_ID or Contingent_Worker_ID), with actions and hashes',
    )
    .option('--limit <n>', 'at most this many events', intArg('--limit', 1, 100_000), 1000)
    .option('--json', 'print one JSON object')
    .action(
      action(async (cfg, id: string, o: { json?: boolean; limit: number }) => {
        const wanted = /^[0-9a-f]{32}$/i.test(id) ? id.toLowerCase() : id;
        const { withStores }: typeof import('../deps') = require('../deps');
        const events = await withStores(cfg, ({ audit }) => audit.workerHistory(wanted, { limit: o.limit }));
        if (o.json) {
          console.log(
            JSON.stringify({
              id,
              wids: [...new Set(events.map((e) => e.wid).filter(Boolean))],
              workerIds: [...new Set(events.map((e) => e.workerId).filter(Boolean))],
              events,
            }),
          );
          return;
        }
        console.log(formatWorkerHistory(id, events));
      }),
    );

  audit
    .command('run <runId>')
    .description(
      'the page table of a run: page, as-of, totals, rows, checksum, attempts, timings, status, error, and how pages too large for Workday were split',
    )
    .option('--json', 'print one JSON object')
    .action(
      action(async (cfg, runId: string, o: { json?: boolean }) => {
        const { withStores }: typeof import('../deps') = require('../deps');
        const r = await withStores(cfg, async ({ audit, recovery }) => {
          const run = await audit.getRun(runId);
          if (!run) return undefined;
          return {
            run,
            pages: await audit.runPages(runId),
            events: await audit.runEventCounts(runId),
            deadLetters: await audit.listDeadLetters({ runId, limit: 100_000 }),
            replays: await recovery.replaysOf(runId),
          };
        });
        if (!r)
          throw new Error(
            `no run ${runId} in the audit store (${cfg.database.url.replace(/\/\/[^@]*@/, '//')})`,
          );
        if (o.json) {
          console.log(
            JSON.stringify({
              ...r.run,
              pages: r.pages,
              events: r.events,
              deadLetters: {
                total: r.deadLetters.length,
                open: r.deadLetters.filter((d) => !d.releasedAt).length,
              },
              replays: r.replays.map((x) => ({
                runId: x.runId,
                status: x.status,
                startedAt: x.startedAt,
                endedAt: x.endedAt,
              })),
            }),
          );
          return;
        }
        const { run } = r;
        const summary = run.summary as {
          failedPages?: number[];
          sinkFailures?: Record<string, number[]>;
        } | null;
        const out = [
          `Run ${run.runId}: ${run.status} (${run.mode}, tenant ${run.tenant})`,
          `  as of ${iso(run.asOfEntry)} (effective ${run.asOfEffective ?? '?'}); started ${iso(run.startedAt)}${run.endedAt ? `, ended ${iso(run.endedAt)}` : ''}`,
        ];
        if (summary?.failedPages?.length) out.push(`  failed pages: ${summary.failedPages.join(', ')}`);
        for (const [sink, pages] of Object.entries(summary?.sinkFailures ?? {})) {
          if (pages.length) out.push(`  sink ${sink} failed pages: ${pages.join(', ')}`);
        }
        if (r.events.length) {
          const bySink = new Map<string, string[]>();
          for (const e of r.events) {
            const k = e.sink || '(no sink)';
            bySink.set(k, [...(bySink.get(k) ?? []), `${e.action} ${e.count}`]);
          }
          for (const [sink, parts] of bySink) out.push(`  events ${sink}: ${parts.join(', ')}`);
        }
        if (r.deadLetters.length) {
          const open = r.deadLetters.filter((d) => !d.releasedAt).length;
          out.push(
            `  dead letters: ${r.deadLetters.length} (${open} open); see \`wdsync dead-letters list --run ${runId}\``,
          );
        }
        out.push('');
        out.push(
          r.pages.length
            ? table(
                [
                  'PAGE',
                  'AS OF',
                  'TOTAL',
                  'ROWS',
                  'DL',
                  'CHECKSUM',
                  'ATTEMPTS',
                  'STARTED',
                  'TOOK',
                  'STATUS',
                  'ERROR',
                ],
                r.pages.map((p) => [
                  p.page,
                  iso(p.asOf),
                  p.totalResults ?? '',
                  p.rows ?? '',
                  p.deadLetters ?? '',
                  short(p.checksum),
                  p.attempts,
                  iso(p.startedAt),
                  durationOf(p),
                  p.status,
                  p.error ?? '',
                ]),
              )
            : '  no pages recorded',
        );
        // A page Workday could not answer whole: how it came instead (the row above is the page's).
        for (const p of r.pages) {
          if (p.split) out.push(`  page ${p.page} split into ${describeSplit(p.split)}: ${p.split.reason}`);
        }
        for (const x of r.replays) {
          out.push(`  replay ${x.runId}: ${x.status}${x.endedAt ? ` at ${iso(x.endedAt)}` : ''}`);
        }
        console.log(out.join('\n'));
      }),
    );
}
