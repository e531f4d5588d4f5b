import type { Command } from 'commander';
import type { ReleaseOutcome } from '../workflows/release-types';
import { action } from './action';
import { table } from './audit-command';
import { checkedArgs, intArg, UserError } from './errors';
import { terminalSafe, terminalSafeJson, terminalSafeLine } from './terminal';

const iso = (d: Date | null | undefined) => (d ? d.toISOString().replace('.000Z', 'Z') : '');

function parseIds(values: string[]): number[] {
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean)
    .map((v) => {
      if (!/^\d+$/.test(v) || Number(v) < 1)
        throw new UserError(`dead letter ids are whole numbers, got "${v}"`);
      return Number(v);
    });
}

export function formatRelease(outcomes: ReleaseOutcome[]): string {
  if (!outcomes.length) return 'no open dead letters matched';
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(o.result, (counts.get(o.result) ?? 0) + 1);
  const lines = outcomes.map((o) => {
    const who = o.wid ?? o.workerId ?? '?';
    if (o.result === 'released') {
      const sinks = Object.entries(o.sinks ?? {})
        .map(([s, a]) => `${s} ${a}`)
        .join(', ');
      return terminalSafeLine(
        `  #${o.id} released: worker ${who} (run ${o.runId}, page ${o.page}) → ${sinks}`,
      );
    }
    if (o.result === 'not-found') return `  #${o.id} not found`;
    if (o.result === 'already-released') return `  #${o.id} was already released`;
    return terminalSafeLine(`  #${o.id} ${o.result}: worker ${who}: ${o.reason}`);
  });
  return [`${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}`, ...lines].join('\n');
}

export function registerDeadLetterCommands(program: Command) {
  const dl = program
    .command('dead-letters')
    .description(
      'records that failed validation or mapping (kept with their reason and raw XML), and records a sink refused (kept with its error code; the record stays in staging)',
    );

  dl.command('list')
    .description('list dead letters, oldest first')
    .option('--run <runId>', 'only this run')
    .option('--open', 'only those not released yet')
    .option(
      '--sink <name>',
      "only the records this sink refused (its error codes); '' for Workday-side ones only",
    )
    .option('--limit <n>', 'at most this many', intArg('--limit', 1, 100_000), 1000)
    .option('--json', 'print a JSON array')
    .action(
      action(
        async (cfg, o: { run?: string; open?: boolean; sink?: string; limit: number; json?: boolean }) => {
          const { withStores }: typeof import('../deps') = require('../deps');
          const rows = await withStores(cfg, ({ audit }) =>
            audit.listDeadLetters({
              runId: o.run,
              released: o.open ? false : undefined,
              sink: o.sink,
              limit: o.limit,
            }),
          );
          if (o.json) return console.log(terminalSafeJson(rows));
          if (!rows.length)
            return console.log(
              `no dead letters${o.sink ? ` of sink ${o.sink}` : ''}${o.run ? ` in run ${o.run}` : ''}`,
            );
          console.log(
            table(
              ['ID', 'RUN', 'PAGE', 'WID', 'WORKER', 'SINK', 'STATE', 'CREATED', 'CODE', 'REASON'],
              rows.map((r) => [
                r.id,
                terminalSafeLine(r.runId),
                r.page,
                terminalSafeLine(r.wid ?? ''),
                terminalSafeLine(r.workerId ?? ''),
                terminalSafeLine(r.sink ?? ''),
                r.releasedAt ? 'released' : 'open',
                iso(r.createdAt),
                terminalSafeLine(r.code ?? ''),
                terminalSafeLine(r.reason),
              ]),
            ),
          );
        },
      ),
    );

  dl.command('show <id>')
    .description('one dead letter: its reason and the raw Worker XML fragment')
    .option('--json', 'print one JSON object')
    .action(
      action(async (cfg, idArg: string, o: { json?: boolean }) => {
        const [id] = parseIds([idArg]);
        const { withStores }: typeof import('../deps') = require('../deps');
        const row = await withStores(cfg, ({ audit }) => audit.getDeadLetter(id!));
        if (!row) throw new UserError(`no dead letter #${id}; list them with \`wdsync dead-letters list\``);
        if (o.json) return console.log(terminalSafeJson(row));
        console.log(
          [
            `Dead letter #${row.id} (${row.releasedAt ? `released ${iso(row.releasedAt)}` : 'open'})`,
            `  run      ${terminalSafeLine(row.runId)}, page ${row.page}`,
            `  worker   ${terminalSafeLine(`${row.wid ?? '?'}${row.workerId ? ` (${row.workerId})` : ''}`)}`,
            `  created  ${iso(row.createdAt)}`,
            ...(row.sink
              ? [
                  `  sink     ${terminalSafeLine(row.sink)} refused it: ${terminalSafeLine(row.code ?? '')}`,
                  `  reason   ${terminalSafeLine(row.reason)}`,
                  '',
                  `The record is staged (run ${terminalSafeLine(row.runId)}, page ${row.page}); \`wdsync dead-letters release ${row.id}\` delivers it to ${terminalSafeLine(row.sink)} again.`,
                ]
              : [`  reason   ${terminalSafeLine(row.reason)}`, '', terminalSafe(row.fragment)]),
          ].join('\n'),
        );
      }),
    );

  dl.command('release [ids...]')
    .description(
      're-validate dead letters with the current parser and mapping: valid ones are delivered to the sinks and marked released, still-invalid ones stay with the new reason. A record a sink refused is delivered again from staging to that sink only, and stays open if refused again',
    )
    .option('--run <runId>', 'every open dead letter of this run')
    .option(
      '--sink <name...>',
      "deliver to these configured sinks only (default: all); with --run, only these sinks' refused records",
    )
    .option('--json', 'print a JSON array of outcomes')
    .action(async (ids: string[], o: { run?: string; sink?: string[]; json?: boolean }) => {
      const parsed = checkedArgs(() => {
        if (ids.length && o.run) throw new UserError('give dead letter ids or --run, not both');
        if (!ids.length && !o.run)
          throw new UserError('say which dead letters to release: ids (e.g. 12 13) or --run <runId>');
        return parseIds(ids);
      });
      if (!parsed) return;
      await action(async (cfg) => {
        const {
          withStillInvalidReasons,
          startRelease,
        }: typeof import('../replay/release') = require('../replay/release');
        const { connectForSinks }: typeof import('./temporal') = require('./temporal');
        const client = await connectForSinks(cfg, o.sink);
        const { workflowId, handle } = await startRelease(client, cfg, {
          ids: parsed.length ? parsed : undefined,
          runId: o.run,
          sinks: o.sink,
        });
        if (!o.json) process.stderr.write(`releasing: ${workflowId}\n`);
        const outcomes = await withStillInvalidReasons(cfg, await handle.result());
        console.log(o.json ? terminalSafeJson(outcomes) : formatRelease(outcomes));
        if (outcomes.some((x) => x.result !== 'released' && x.result !== 'already-released'))
          process.exitCode = 2;
      })();
    });
}
