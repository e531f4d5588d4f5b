import { type Command, InvalidArgumentError, Option } from 'commander';
import { replayIdProblem, runIdProblem } from '../workflows/ids';
import type { ReplaySummary, ReplayTarget } from '../workflows/replay-types';
import { action } from './action';
import { checkedArgs, UserError } from './errors';

/** `3,7` or `3-5,9`: page numbers, sorted, each once. */
export function parsePageList(value: string): number[] {
  const pages = new Set<number>();
  for (const part of value.split(',').map((p) => p.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new InvalidArgumentError('--pages takes page numbers like 3,7 or 3-5');
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < 1 || to < from || to - from > 100_000) {
      throw new InvalidArgumentError(
        `--pages: "${part}" is not a page or an ascending range of pages (pages start at 1)`,
      );
    }
    for (let p = from; p <= to; p++) pages.add(p);
  }
  return [...pages].sort((a, b) => a - b);
}

interface ReplayCliOptions {
  pages?: number[];
  failed?: boolean;
  worker?: string[];
  sink?: string[];
  refetch?: boolean;
  wait?: boolean;
  json?: boolean;
  replayId?: string;
}

/** Exactly one target, as a clear one-line UserError otherwise. */
export function replayTarget(o: ReplayCliOptions): ReplayTarget {
  const given = [o.pages && '--pages', o.failed && '--failed', o.worker && '--worker'].filter(Boolean);
  if (given.length === 0)
    throw new UserError('say what to replay: --pages 3,7, --failed or --worker <id...>');
  if (given.length > 1)
    throw new UserError(`give one of --pages, --failed or --worker, not ${given.join(' and ')}`);
  if (o.pages) return { pages: o.pages };
  if (o.failed) return { failed: true };
  const ids = (o.worker ?? [])
    .flatMap((w) => w.split(','))
    .map((w) => w.trim())
    .filter(Boolean);
  if (!ids.length)
    throw new UserError('--worker needs at least one worker id (WID, Employee_ID or Contingent_Worker_ID)');
  return { workerIds: ids };
}

export function formatReplaySummary(s: ReplaySummary): string {
  const list = (xs: number[]) => (xs.length ? xs.join(', ') : 'none');
  const lines = [
    `Replay ${s.replayRunId}: ${s.status} in ${(s.durationMs / 1000).toFixed(1)}s`,
    `  snapshot        as of ${s.asOf.entryMoment} (effective ${s.asOf.effectiveDate}), the run's own`,
    `  pages replayed  ${list(s.pagesReplayed)}`,
  ];
  if (s.pagesRefetched.length) lines.push(`  refetched       ${list(s.pagesRefetched)}`);
  for (const [sink, t] of Object.entries(s.perSink)) {
    lines.push(
      `  ${sink.padEnd(15)} inserted ${t.inserted}, updated ${t.updated}, unchanged ${t.unchanged}` +
        (t.alreadyDelivered ? `; ${t.alreadyDelivered} page(s) already delivered (nothing to do)` : ''),
    );
  }
  for (const [sink, note] of Object.entries(s.finalized)) {
    if (note !== 'nothing to finalize') lines.push(`  ${sink.padEnd(15)} ${note}`);
  }
  if (s.workersNotFound.length) lines.push(`  not found       ${s.workersNotFound.join(', ')}`);
  for (const f of s.stillFailing) {
    lines.push(
      `  still failing   ${f.page ? `page ${f.page}` : 'run'}${f.sink ? ` → ${f.sink}` : ''}: ${f.error}`,
    );
  }
  if (s.status === 'NOTHING_TO_REPLAY')
    lines.push('  nothing matched: no failed page, or no page holding those workers');
  return lines.join('\n');
}

export function registerReplayCommand(program: Command) {
  program
    .command('replay <runId>')
    .description(
      "deliver pages of a finished run again, from staging (or Workday with --refetch, at the run's own pinned as-of); idempotent",
    )
    .addOption(new Option('--pages <list>', 'these pages, e.g. 3,7 or 3-5').argParser(parsePageList))
    .addOption(new Option('--failed', 'the pages that failed (fetch failed, or a sink failed)'))
    .addOption(
      new Option('--worker <id...>', 'only these workers (WID, Employee_ID or Contingent_Worker_ID)'),
    )
    .option('--sink <name...>', 'deliver to these configured sinks only (default: all)')
    .option('--refetch', "fetch the pages from Workday again at the run's original as-of instead of staging")
    .option('--replay-id <id>', 'name the replay; re-using the id of a running replay attaches to it')
    .option('--wait', 'wait for the replay and print its summary')
    .option('--json', 'print one JSON object as the last line')
    .addHelpText(
      'after',
      `
Exactly one of --pages, --failed or --worker. Pages come from staging unless --refetch is given or
the page was never staged (its fetch failed). Replaying twice changes nothing: sinks skip pages
their ledger already holds and records whose content is unchanged.

Examples:
  wdsync replay sync-acme-20261122-013005-3f9a --failed --wait
  wdsync replay sync-acme-20261122-013005-3f9a --pages 3,7 --sink postgres
  wdsync replay sync-acme-20261122-013005-3f9a --worker 21001 21002 --refetch`,
    )
    .action(async (runId: string, o: ReplayCliOptions) => {
      const target = checkedArgs(() => {
        const badRun = runIdProblem(runId);
        if (badRun) throw new UserError(badRun);
        const badReplayId = o.replayId === undefined ? undefined : replayIdProblem(o.replayId);
        if (badReplayId) throw new UserError(badReplayId);
        return replayTarget(o);
      });
      if (!target) return;
      await action(async (cfg) => {
        const { startReplay }: typeof import('../replay/start') = require('../replay/start');
        const {
          otherConnectionProblem,
        }: typeof import('../runs/run-connection') = require('../runs/run-connection');
        const { connectForSinks }: typeof import('./temporal') = require('./temporal');
        const client = await connectForSinks(cfg, o.sink);
        const other = await otherConnectionProblem(client, cfg, runId);
        if (other) throw new UserError(other);
        const { workflowId, handle } = await startReplay(client, cfg, {
          runId,
          target,
          sinks: o.sink,
          refetch: o.refetch,
          replayId: o.replayId,
        });
        if (!o.wait) {
          console.log(
            o.json ? JSON.stringify({ runId, replay: workflowId }) : `started replay ${workflowId}`,
          );
          return;
        }
        if (!o.json) process.stderr.write(`replaying: ${workflowId}\n`);
        const summary = await handle.result();
        console.log(o.json ? JSON.stringify(summary) : formatReplaySummary(summary));
        if (summary.status === 'COMPLETED_WITH_FAILURES') process.exitCode = 2;
      })();
    });
}
