import type { WorkflowHandle } from '@temporalio/client';
import { type Command, Option } from 'commander';
import { startSync } from '../runs/start';
import { tenantDate } from '../time/tenant-date';
import { getRunStatus, waitForRun } from '../runs/status';
import {
  cancelSignal,
  MAX_CONCURRENCY,
  pauseSignal,
  progressQuery,
  resumeSignal,
  setConcurrencyUpdate,
} from '../workflows/messages';
import { runIdProblem } from '../workflows/ids';
import type { RunProgress } from '../workflows/types';
import { MODE, STATE } from '../workflows/search-attributes';
import { action } from './action';
import { intArg, UserError } from './errors';
import { createProgressRenderer, formatSummary, summaryJson } from './progress';
import { addScopeOptions, type ScopeFlags, scopeFromFlags } from './scope-options';
import { connectClient, connectForSinks } from './temporal';

const ISO_MOMENT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export function registerRunCommands(program: Command) {
  addScopeOptions(
    program
      .command('start')
      .description('start a sync run (prints its run id); --wait shows progress and the summary')
      .addOption(new Option('--mode <mode>', 'full or delta').choices(['full', 'delta']).default('full'))
      .option('--page-size <n>', 'workers per page (Workday Count, 1..999)', intArg('--page-size', 1, 999))
      .option(
        '--concurrency <c>',
        `pages in flight (1..${MAX_CONCURRENCY})`,
        intArg('--concurrency', 1, MAX_CONCURRENCY),
      )
      .option('--sink <name...>', 'deliver to these configured sinks only (default: all)')
      .option('--run-id <id>', 'run id; re-using the id of a running run attaches to it')
      .option('--as-of <moment>', 'pin this As_Of_Entry_DateTime (ISO-8601 with offset) instead of now')
      .option('--effective-date <date>', 'pin this As_Of_Effective_Date (YYYY-MM-DD)')
      .option(
        '--pages-per-execution <k>',
        'pages before continue-as-new',
        intArg('--pages-per-execution', 1, 1000),
      )
      .option('--full-if-no-watermark', 'with --mode delta: run a full sync when no watermark exists yet')
      .option('--wait', 'wait for the run, showing live progress, then print the summary')
      .option('--json', 'print one JSON object as the last line'),
  ).action(
    action(async (cfg, o: Record<string, unknown>) => {
      if (o.runId !== undefined) {
        const problem = runIdProblem(o.runId, '--run-id');
        if (problem) throw new UserError(problem);
      }
      if (o.asOf !== undefined && !ISO_MOMENT.test(String(o.asOf))) {
        throw new UserError('--as-of must be an ISO-8601 moment with offset, e.g. 2026-11-22T08:00:00Z');
      }
      if (o.effectiveDate !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(o.effectiveDate))) {
        throw new UserError('--effective-date must look like 2026-11-22');
      }
      const asOf = o.asOf
        ? {
            entryMoment: new Date(String(o.asOf)).toISOString(),
            effectiveDate:
              (o.effectiveDate as string) ?? tenantDate(new Date(String(o.asOf)), cfg.workday.timezone),
          }
        : undefined;
      // A sink that cannot take records (a Kafka broker, credentials, topic) stops the run here.
      const client = await connectForSinks(cfg, o.sink as string[] | undefined);
      const { runId, handle, attached } = await startSync(client, cfg, {
        runId: o.runId as string | undefined,
        mode: o.mode as 'full' | 'delta',
        pageSize: o.pageSize as number | undefined,
        concurrency: o.concurrency as number | undefined,
        sinks: o.sink as string[] | undefined,
        asOf,
        scope: scopeFromFlags(o as ScopeFlags),
        fullIfNoWatermark: Boolean(o.fullIfNoWatermark),
        pagesPerExecution: o.pagesPerExecution as number | undefined,
      });
      if (!o.wait) {
        if (!o.json) {
          console.log(attached ? `attached to running run ${runId}` : `started run ${runId}`);
          return;
        }
        // The contract's object even without --wait: the run's progress so far (zeros if its
        // first workflow task has not run yet, or no worker answers the query in time).
        const progress = await client
          .withDeadline(Date.now() + 3000, () => handle.query(progressQuery))
          .catch(() => undefined);
        console.log(JSON.stringify({ ...runningJson(runId, progress), attached }));
        return;
      }
      if (!o.json) console.log(attached ? `attached to running run ${runId}` : `started run ${runId}`);
      const r = createProgressRenderer();
      const summary = await waitForRun(handle, (p) => r.update(p)).finally(() => r.stop());
      if (o.json) console.log(JSON.stringify(summaryJson(summary)));
      else console.log(formatSummary(summary));
      if (summary.status !== 'COMPLETED') process.exitCode = 2;
    }),
  );

  program
    .command('status <runId>')
    .description('progress of a running run, or the summary of a finished one')
    .option('--watch', 'keep showing live progress until the run ends')
    .option('--json', 'print one JSON object as the last line')
    .action(
      action(async (cfg, runId: string, o: { watch?: boolean; json?: boolean }) => {
        const client = await connectClient(cfg);
        const st = await getRunStatus(client, runId);
        if (st.running && o.watch) {
          const r = createProgressRenderer();
          const summary = await waitForRun(client.workflow.getHandle(runId), (p) => r.update(p)).finally(() =>
            r.stop(),
          );
          console.log(o.json ? JSON.stringify(summaryJson(summary)) : formatSummary(summary));
          return;
        }
        if (st.running) {
          const p = st.progress;
          if (o.json) console.log(JSON.stringify({ ...p, ...runningJson(runId, p) }));
          else
            console.log(
              `Run ${runId}: ${p.state}\n  pages ${p.pagesDone}/${p.pagesTotal} done, ${p.pagesInFlight} in flight, ${p.pagesFailed} failed\n  workers ${p.workersFetched}/${p.totalResults}, ${p.workersPerSecond}/s, concurrency ${p.concurrency}${p.paused ? ', paused' : ''}\n  started ${p.startedAt}`,
            );
          return;
        }
        if (st.summary) {
          console.log(o.json ? JSON.stringify(summaryJson(st.summary)) : formatSummary(st.summary));
          return;
        }
        const line = { runId, status: st.temporalStatus, error: st.failure };
        console.log(
          o.json
            ? JSON.stringify(line)
            : `Run ${runId}: ${st.temporalStatus}${st.failure ? `: ${st.failure}` : ''}`,
        );
      }),
    );

  const signalCommand = (name: string, description: string, send: (h: WorkflowHandle) => Promise<void>) =>
    program
      .command(`${name} <runId>`)
      .description(description)
      .action(
        action(async (cfg, runId: string) => {
          const client = await connectClient(cfg);
          const h = client.workflow.getHandle(runId);
          await ensureRunning(h, runId);
          await send(h);
          console.log(`${name}: sent to ${runId}`);
        }),
      );
  signalCommand('pause', 'stop starting new pages (pages in flight finish)', (h) => h.signal(pauseSignal));
  signalCommand('resume', 'resume a paused or degraded run', (h) => h.signal(resumeSignal));
  signalCommand(
    'cancel',
    'end the run gracefully: pages in flight finish, it ends CANCELLED with its counts',
    (h) => h.signal(cancelSignal),
  );

  program
    .command('concurrency <runId> <c>')
    .description('change how many pages a running run keeps in flight')
    .action(
      action(async (cfg, runId: string, c: string) => {
        const n = intArg('concurrency', 1, MAX_CONCURRENCY)(c);
        const client = await connectClient(cfg);
        const h = client.workflow.getHandle(runId);
        await ensureRunning(h, runId);
        const previous = await h.executeUpdate(setConcurrencyUpdate, { args: [n] });
        console.log(`concurrency of ${runId}: ${previous} -> ${n}`);
      }),
    );

  program
    .command('runs')
    .description('list recent sync runs')
    .option('--limit <n>', 'how many', intArg('--limit', 1, 1000), 20)
    .option('--json', 'print a JSON array')
    .action(
      action(async (cfg, o: { limit: number; json?: boolean }) => {
        const client = await connectClient(cfg);
        // A run that continued as new is several executions under one workflow id: list it once,
        // with the status of its latest execution and the start time of its first.
        const byId = new Map<string, Record<string, unknown> & { startTime: string }>();
        for await (const w of client.workflow.list({ query: `WorkflowType = 'syncRun'` })) {
          const startTime = w.startTime.toISOString();
          const seen = byId.get(w.workflowId);
          if (seen) {
            if (startTime < seen.startTime) seen.startTime = startTime;
            continue;
          }
          if (w.status.name === 'CONTINUED_AS_NEW') continue;
          if (byId.size >= o.limit) break;
          byId.set(w.workflowId, {
            runId: w.workflowId,
            status: w.status.name,
            state: w.typedSearchAttributes.get(STATE),
            mode: w.typedSearchAttributes.get(MODE),
            startTime,
            closeTime: w.closeTime?.toISOString(),
          });
        }
        const rows = [...byId.values()];
        if (o.json) return console.log(JSON.stringify(rows));
        if (!rows.length) return console.log('no runs yet; start one with `wdsync start`');
        for (const r of rows) {
          console.log(
            `${String(r.runId).padEnd(40)} ${String(r.status).padEnd(10)} ${String(r.state ?? '').padEnd(22)} ${r.mode ?? ''} ${r.startTime}`,
          );
        }
      }),
    );
}

/** The `--json` object of a run still running: the contract's fields, zeros until progress is known. */
export function runningJson(runId: string, p: RunProgress | undefined) {
  return {
    runId,
    status: 'RUNNING' as const,
    state: p?.state,
    pagesTotal: p?.pagesTotal ?? 0,
    pagesDone: p?.pagesDone ?? 0,
    pagesInFlight: p?.pagesInFlight ?? 0,
    pagesFailed: p?.pagesFailed ?? 0,
    totalResults: p?.totalResults ?? 0,
    workersFetched: p?.workersFetched ?? 0,
    delivered: p?.delivered ?? {},
    skippedUnchanged: p?.skippedUnchanged ?? 0,
  };
}

async function ensureRunning(h: WorkflowHandle, runId: string) {
  const d = await h.describe();
  if (d.status.name !== 'RUNNING') throw new UserError(`run ${runId} is ${d.status.name}, not running`);
}
