import { type Command, Option } from 'commander';
import { action } from './action';
import { addRunShapeOptions } from './run-shape-options';
import { lookaheadArg, UserError } from './errors';
import { addScopeOptions, type ScopeFlags, scopeFromFlags } from './scope-options';

const DURATION = /^\d+(ms|s|m|h|d)$/;

export function registerScheduleCommands(program: Command) {
  const schedule = program.command('schedule').description('recurring syncs on Temporal Schedules');

  addScopeOptions(
    addRunShapeOptions(
      schedule
        .command('create <name>')
        .description('create a schedule that starts a sync every interval or on a cron spec')
        .option('--every <duration>', 'interval, e.g. 15m, 1h, 1d')
        .option('--cron <spec>', 'cron expression, e.g. "0 2 * * *"')
        .addOption(
          new Option('--mode <mode>', 'full or delta (default: delta; full with --reconcile)').choices([
            'full',
            'delta',
          ]),
        )
        .option(
          '--termination-lookahead <duration>',
          'deliver terminations due within this window (e.g. 24h; tenant-local days) now, as Workday will show them on their day',
          lookaheadArg,
        )
        .option(
          '--reconcile',
          'each run is a reconcile: a full run reporting, per sink, what the deltas had missed (e.g. --every 7d beside a 15m delta schedule)',
        )
        .option(
          '--full-if-no-watermark',
          'the first delta run without a watermark runs full (default on for schedules)',
          true,
        )
        .option('--no-full-if-no-watermark', 'a delta schedule without a watermark fails its runs instead')
        .addOption(
          new Option('--overlap <policy>', 'when a run is still going')
            .choices(['skip', 'buffer-one'])
            .default('skip'),
        )
        .option(
          '--catchup-window <duration>',
          'missed runs within this window still run after an outage',
          '1h',
        )
        .option('--no-pause-on-failure', 'keep scheduling after a failed run'),
    ).option('--sink <name...>', 'deliver to these configured sinks only'),
  ).action(
    action(async (cfg, name: string, o: Record<string, unknown>) => {
      const {
        createSchedule,
        scheduleIdFor,
        scheduleNameProblem,
      }: typeof import('../runs/schedules') = require('../runs/schedules');
      const { connectClient }: typeof import('./temporal') = require('./temporal');
      const badName = scheduleNameProblem(scheduleIdFor(cfg, name));
      if (badName) throw new UserError(badName);
      if (!o.every === !o.cron)
        throw new UserError('give exactly one of --every <duration> or --cron "<spec>"');
      if (o.reconcile && o.mode === 'delta')
        throw new UserError('--reconcile is a full run: drop --mode delta, or --reconcile');
      if (o.every && !DURATION.test(String(o.every))) throw new UserError('--every looks like 15m, 1h or 1d');
      if (!DURATION.test(String(o.catchupWindow)))
        throw new UserError('--catchup-window looks like 10m or 1h');
      const client = await connectClient(cfg);
      await createSchedule(client, cfg, {
        name,
        every: o.every as string | undefined,
        cron: o.cron as string | undefined,
        mode: (o.mode as 'full' | 'delta' | undefined) ?? (o.reconcile ? 'full' : 'delta'),
        reconcile: Boolean(o.reconcile),
        terminationLookaheadMs: o.terminationLookahead as number | undefined,
        fullIfNoWatermark: Boolean(o.fullIfNoWatermark),
        overlap: o.overlap === 'buffer-one' ? 'BUFFER_ONE' : 'SKIP',
        catchupWindow: String(o.catchupWindow),
        pauseOnFailure: Boolean(o.pauseOnFailure),
        pageSize: o.pageSize as number | undefined,
        concurrency: o.concurrency as number | undefined,
        backlog: o.backlog as number | undefined,
        sinks: o.sink as string[] | undefined,
        scope: scopeFromFlags(o as ScopeFlags),
      });
      console.log(`created schedule ${scheduleIdFor(cfg, name)}`);
    }),
  );

  schedule
    .command('list')
    .description('schedules with their next run')
    .option('--json', 'print a JSON array')
    .action(
      action(async (cfg, o: { json?: boolean }) => {
        const {
          isScheduleOf,
          scheduleIdFor,
        }: typeof import('../runs/schedules') = require('../runs/schedules');
        const { connectClient }: typeof import('./temporal') = require('./temporal');
        const client = await connectClient(cfg);
        const rows = [];
        for await (const s of client.schedule.list()) {
          if (!isScheduleOf(cfg, s.memo)) continue;
          rows.push({
            // As the user names it: without the connection's prefix.
            name: s.scheduleId.slice(scheduleIdFor(cfg, '').length),
            paused: s.state.paused,
            next: s.info.nextActionTimes[0]?.toISOString(),
            recent: s.info.recentActions.map((a) => a.action.workflow.workflowId),
          });
        }
        if (o.json) return console.log(JSON.stringify(rows));
        if (!rows.length) return console.log('no schedules; create one with `wdsync schedule create`');
        for (const r of rows)
          console.log(`${r.name.padEnd(24)} ${r.paused ? 'paused ' : 'active '} next ${r.next ?? '-'}`);
      }),
    );

  schedule
    .command('describe <name>')
    .description('spec, policies, state and recent runs of a schedule')
    .option('--json', 'print JSON')
    .action(
      action(async (cfg, name: string, o: { json?: boolean }) => {
        const { scheduleIdFor }: typeof import('../runs/schedules') = require('../runs/schedules');
        const { connectClient }: typeof import('./temporal') = require('./temporal');
        const client = await connectClient(cfg);
        const d = await client.schedule.getHandle(scheduleIdFor(cfg, name)).describe();
        const out = {
          name,
          paused: d.state.paused,
          note: d.state.note,
          spec: d.spec,
          overlap: d.policies.overlap,
          catchupWindowMs: d.policies.catchupWindow,
          pauseOnFailure: d.policies.pauseOnFailure,
          actions: d.info.numActionsTaken,
          skippedForOverlap: d.info.numActionsSkippedOverlap,
          running: d.info.runningActions.map((a) => a.workflow.workflowId),
          recent: d.info.recentActions.map((a) => ({
            runId: a.action.workflow.workflowId,
            at: a.takenAt.toISOString(),
          })),
          next: d.info.nextActionTimes.map((t) => t.toISOString()),
        };
        console.log(JSON.stringify(out, null, o.json ? undefined : 2));
      }),
    );

  const simple = (
    cmd: string,
    description: string,
    fn: (h: ReturnType<import('@temporalio/client').ScheduleClient['getHandle']>) => Promise<void>,
  ) =>
    schedule
      .command(`${cmd} <name>`)
      .description(description)
      .action(
        action(async (cfg, name: string) => {
          const { scheduleIdFor }: typeof import('../runs/schedules') = require('../runs/schedules');
          const { connectClient }: typeof import('./temporal') = require('./temporal');
          const client = await connectClient(cfg);
          await fn(client.schedule.getHandle(scheduleIdFor(cfg, name)));
          console.log(`${cmd}: ${name}`);
        }),
      );
  simple('pause', 'stop starting runs', (h) => h.pause('paused with wdsync schedule pause'));
  simple('unpause', 'start runs again', (h) => h.unpause('unpaused with wdsync schedule unpause'));
  // The SDK's trigger() defaults to ALLOW_ALL; pass the schedule's own policy so a trigger while a
  // run is in flight is skipped (SKIP) or buffered (BUFFER_ONE) like a scheduled start.
  simple('trigger', 'start a run now (the overlap policy applies)', async (h) =>
    h.trigger((await h.describe()).policies.overlap),
  );
  simple('delete', 'delete the schedule (runs already started continue)', (h) => h.delete());

  schedule
    .command('backfill <name>')
    .description('take the actions the schedule would have taken between two moments')
    .requiredOption('--start <iso>', 'from, e.g. 2026-11-01T00:00:00Z')
    .requiredOption('--end <iso>', 'to')
    .addOption(
      new Option('--overlap <policy>', 'overlap policy for the backfill')
        .choices(['skip', 'buffer-all', 'allow-all'])
        .default('buffer-all'),
    )
    .action(
      action(async (cfg, name: string, o: { start: string; end: string; overlap: string }) => {
        const start = new Date(o.start);
        const end = new Date(o.end);
        if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || start >= end) {
          throw new UserError('--start and --end must be ISO moments with --start before --end');
        }
        const { scheduleIdFor }: typeof import('../runs/schedules') = require('../runs/schedules');
        const { connectClient }: typeof import('./temporal') = require('./temporal');
        const client = await connectClient(cfg);
        const overlap =
          o.overlap === 'skip' ? 'SKIP' : o.overlap === 'allow-all' ? 'ALLOW_ALL' : 'BUFFER_ALL';
        await client.schedule.getHandle(scheduleIdFor(cfg, name)).backfill({ start, end, overlap });
        console.log(`backfill requested for ${name}: ${start.toISOString()} .. ${end.toISOString()}`);
      }),
    );
}
