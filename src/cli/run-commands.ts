import type { WorkflowHandle } from '@temporalio/client';
import { type Command, Option } from 'commander';
import type * as Messages from '../workflows/messages';
import { MAX_CONCURRENCY } from '../workflows/limits';
import { runIdProblem } from '../workflows/ids';
import { inFlightSplit } from '../workflows/run-rules';
import type { RunProgress } from '../workflows/types';
import { action } from './action';
import { addRunShapeOptions } from './run-shape-options';
import { intArg, lookaheadArg, UserError } from './errors';
import { addScopeOptions, type ScopeFlags, scopeFromFlags } from './scope-options';

// A command's implementation is required inside its action, not on top: `wdsync --help` and
// `wdsync start --help` then load commander and these definitions only (issue 17).
const messages = (): typeof Messages => require('../workflows/messages');

export function registerRunCommands(program: Command) {
  addScopeOptions(
    addRunShapeOptions(
      program
        .command('start')
        .description('start a sync run (prints its run id); --wait shows progress and the summary')
        .addOption(new Option('--mode <mode>', 'full or delta').choices(['full', 'delta']).default('full')),
    )
      .option('--sink <name...>', 'deliver to these configured sinks only (default: all)')
      .option('--run-id <id>', 'run id; re-using the id of a running run attaches to it')
      .option(
        '--as-of <moment>',
        "pin this As_Of_Entry_DateTime (ISO-8601 with offset, not after Workday's now) instead of now",
      )
      .option('--effective-date <date>', 'with --as-of: pin this As_Of_Effective_Date (YYYY-MM-DD)')
      .option(
        '--pages-per-execution <k>',
        'pages before continue-as-new',
        intArg('--pages-per-execution', 1, 1000),
      )
      .option('--full-if-no-watermark', 'with --mode delta: run a full sync when no watermark exists yet')
      .option(
        '--termination-lookahead <duration>',
        'deliver terminations due within this window (e.g. 24h; tenant-local days) now, as Workday will show them on their day',
        lookaheadArg,
      )
      .option(
        '--reconcile',
        'a full run that repairs and reports, per sink, what the deltas had missed (workers added, changed, removed)',
      )
      .option(
        '--allow-overlap',
        'start even while another run of the same tenant and scope is running (default: refuse)',
      )
      .option('--wait', 'wait for the run, showing live progress, then print the summary')
      .option('--json', 'print one JSON object as the last line'),
  ).action(
    action(async (cfg, o: Record<string, unknown>) => {
      if (o.runId !== undefined) {
        const problem = runIdProblem(o.runId, '--run-id');
        if (problem) throw new UserError(problem);
      }
      if (o.reconcile && o.mode === 'delta')
        throw new UserError('--reconcile is a full run: drop --mode delta, or --reconcile');
      const { announceRunReport }: typeof import('../report/write') = require('../report/write');
      const {
        noPollerMessage,
        queuesWithoutPollers,
        watchPollers,
      }: typeof import('../runs/pollers') = require('../runs/pollers');
      const { startSync }: typeof import('../runs/start') = require('../runs/start');
      const { connectionOf }: typeof import('../config/config') = require('../config/config');
      const { getRunStatus, waitForRun }: typeof import('../runs/status') = require('../runs/status');
      const { parseAsOfFlags, refuseFutureAsOf }: typeof import('./as-of') = require('./as-of');
      const { checkDatabase }: typeof import('./preflight') = require('./preflight');
      const {
        createProgressRenderer,
        formatSummary,
        summaryJson,
      }: typeof import('./progress') = require('./progress');
      const { connectForSinks }: typeof import('./temporal') = require('./temporal');
      const asOf = parseAsOfFlags(o, cfg.workday.timezone);
      if (asOf) await refuseFutureAsOf(asOf, cfg.workday.endpoint);
      await checkDatabase(cfg);
      // A sink that cannot take records (a Kafka broker, credentials, topic) stops the run here.
      const client = await connectForSinks(cfg, o.sink as string[] | undefined);
      const { runId, handle, attached } = await startSync(
        client,
        cfg,
        {
          runId: o.runId as string | undefined,
          mode: o.mode as 'full' | 'delta',
          pageSize: o.pageSize as number | undefined,
          concurrency: o.concurrency as number | undefined,
          backlog: o.backlog as number | undefined,
          sinks: o.sink as string[] | undefined,
          asOf,
          scope: scopeFromFlags(o as ScopeFlags),
          fullIfNoWatermark: Boolean(o.fullIfNoWatermark),
          reconcile: Boolean(o.reconcile),
          terminationLookaheadMs: o.terminationLookahead as number | undefined,
          pagesPerExecution: o.pagesPerExecution as number | undefined,
        },
        { refuseOverlap: !o.allowOverlap },
      );
      const connection = connectionOf(cfg);
      if (!o.wait) {
        // Without --wait nobody would see the run wait for a worker that does not exist: say so now.
        const missing = await queuesWithoutPollers(client, connection).catch(() => []);
        if (missing.length) {
          process.stderr.write(
            `wdsync: warning: ${noPollerMessage(missing, cfg.temporal.address, cfg.temporal.namespace, connection)}\n`,
          );
        }
        if (!o.json) {
          console.log(attached ? `attached to running run ${runId}` : `started run ${runId}`);
          return;
        }
        // The contract's object even without --wait: the run's progress so far (zeros if its
        // first workflow task has not run yet, or no worker answers the query in time).
        const progress = await client
          .withDeadline(Date.now() + 3000, () => handle.query(messages().progressQuery))
          .catch(() => undefined);
        console.log(JSON.stringify({ ...runningJson(runId, progress), attached }));
        return;
      }
      if (!o.json) console.log(attached ? `attached to running run ${runId}` : `started run ${runId}`);
      const r = createProgressRenderer();
      const stopWatching = watchPollers(client, (line) => process.stderr.write(`wdsync: ${line}\n`), {
        address: cfg.temporal.address,
        namespace: cfg.temporal.namespace,
        connection,
      });
      const summary = await waitForRun(handle, (p) => r.update(p))
        .catch(async (err: unknown) => {
          if (!o.json) throw err;
          // A run that failed outright (no summary) still owes --json its one object.
          const st = await getRunStatus(client, runId);
          console.log(
            JSON.stringify({ runId, status: st.temporalStatus, error: st.running ? undefined : st.failure }),
          );
          process.exitCode = 2;
          return undefined;
        })
        .finally(() => {
          stopWatching();
          r.stop();
        });
      if (!summary) return;
      if (o.json) console.log(JSON.stringify(summaryJson(summary)));
      else console.log(formatSummary(summary));
      await announceRunReport(cfg, runId);
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
        const { announceRunReport }: typeof import('../report/write') = require('../report/write');
        const {
          otherConnectionProblem,
        }: typeof import('../runs/run-connection') = require('../runs/run-connection');
        const {
          getRunStatus,
          reconcileRunRecord,
          waitForRun,
        }: typeof import('../runs/status') = require('../runs/status');
        const { withStores }: typeof import('../deps') = require('../deps');
        const {
          awaitingLines,
          createProgressRenderer,
          formatSummary,
          summaryJson,
        }: typeof import('./progress') = require('./progress');
        const { connectClient }: typeof import('./temporal') = require('./temporal');
        const client = await connectClient(cfg);
        const other = await otherConnectionProblem(client, cfg, runId);
        if (other) throw new UserError(other);
        const st = await getRunStatus(client, runId);
        if (st.running && o.watch) {
          const r = createProgressRenderer();
          const summary = await waitForRun(client.workflow.getHandle(runId), (p) => r.update(p)).finally(() =>
            r.stop(),
          );
          console.log(o.json ? JSON.stringify(summaryJson(summary)) : formatSummary(summary));
          await announceRunReport(cfg, runId);
          return;
        }
        if (st.running) {
          const p = st.progress;
          if (o.json) console.log(JSON.stringify({ ...p, ...runningJson(runId, p) }));
          else
            console.log(
              [
                `Run ${runId}: ${p.state} (Temporal: ${st.temporalStatus})\n  pages ${p.pagesDone}/${p.pagesTotal} done, ${p.pagesInFlight} in flight${inFlightSplit(p)}, ${p.pagesFailed} failed\n  workers ${p.workersFetched}/${p.totalResults}, ${p.workersPerSecond}/s, concurrency ${p.concurrency}${p.backlog === undefined ? '' : `, backlog ${p.backlog}`}${p.paused ? ', paused' : ''}\n  started ${p.startedAt}`,
                ...awaitingLines(p),
              ].join('\n'),
            );
          return;
        }
        if (st.summary) {
          console.log(o.json ? JSON.stringify(summaryJson(st.summary)) : formatSummary(st.summary));
          return;
        }
        // Terminated runs cannot record their own end: the run record follows Temporal's state.
        // Best effort: status still answers when the state database is away.
        await withStores(cfg, ({ audit }) =>
          reconcileRunRecord(audit, runId, st.temporalStatus, st.failure),
        ).catch((err: unknown) =>
          process.stderr.write(
            `wdsync: could not update run ${runId} in the run records: ${err instanceof Error ? err.message : String(err)}\n`,
          ),
        );
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
          const { connectClient }: typeof import('./temporal') = require('./temporal');
          const client = await connectClient(cfg);
          const h = client.workflow.getHandle(runId);
          await ensureRunning(h, runId);
          await send(h);
          console.log(`${name}: sent to ${runId}`);
        }),
      );
  signalCommand('pause', 'stop starting new pages (pages in flight finish)', (h) =>
    h.signal(messages().pauseSignal),
  );
  signalCommand('resume', 'resume a paused or degraded run', (h) => h.signal(messages().resumeSignal));
  signalCommand(
    'cancel',
    'end the run: pages in flight finish, any other phase (planning, paused, cool-down, finalize) ends at once; it ends CANCELLED with its counts',
    (h) => h.signal(messages().cancelSignal),
  );

  program
    .command('concurrency <runId> <c>')
    .description('change how many Workday fetches a running run keeps in flight')
    .action(
      action(async (cfg, runId: string, c: string) => {
        const n = intArg('concurrency', 1, MAX_CONCURRENCY)(c);
        const { connectClient }: typeof import('./temporal') = require('./temporal');
        const client = await connectClient(cfg);
        const h = client.workflow.getHandle(runId);
        await ensureRunning(h, runId);
        const previous = await h.executeUpdate(messages().setConcurrencyUpdate, { args: [n] });
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
        const { listRuns }: typeof import('../runs/list') = require('../runs/list');
        const { connectionOf }: typeof import('../config/config') = require('../config/config');
        const {
          connectionKey,
        }: typeof import('../workflows/connection') = require('../workflows/connection');
        const { connectClient }: typeof import('./temporal') = require('./temporal');
        const rows = await listRuns(await connectClient(cfg), o.limit, connectionKey(connectionOf(cfg)));
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
    ...(p?.awaitingApproval ? { awaitingApproval: p.awaitingApproval } : {}),
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
