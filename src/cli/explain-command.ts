import type { Command } from 'commander';
import type { ExplainReport } from '../explain/explain';
import { action } from './action';
import { UserError } from './errors';
import { terminalSafe, terminalSafeJson, terminalSafeLine } from './terminal';

const show = (v: unknown) =>
  v === undefined ? '' : v === null ? 'null' : terminalSafeLine(JSON.stringify(v));

export function formatExplain(r: ExplainReport, applied: boolean): string {
  const rec = r.record;
  const out = [
    terminalSafeLine(
      `worker ${rec.workerId} (${rec.workerType}, WID ${rec.wid}) from Workday at ${r.asOf.entryMoment} (effective ${r.asOf.effectiveDate})`,
    ),
    'normalized record:',
    terminalSafe(JSON.stringify(rec, null, 2).replace(/^/gm, '  ')),
  ];
  for (const s of r.sinks) {
    out.push(
      '',
      terminalSafeLine(
        `sink ${s.sink} (${s.type}): ${s.action ?? 'write'}${s.reason ? ` (${s.reason})` : ''}`,
      ),
    );
    if (s.inScope !== undefined) out.push(`  in scope: ${s.inScope ? 'yes' : 'no'}`);
    if (s.target) {
      out.push(terminalSafeLine(`  key ${s.key}; field: now -> would be`));
      for (const [f, v] of Object.entries(s.target)) {
        const now = s.current ? s.current[f] : undefined;
        const mark = s.current && JSON.stringify(now ?? null) === JSON.stringify(v) ? '  ' : '* ';
        out.push(`  ${mark}${terminalSafeLine(f)}: ${show(now)} -> ${show(v)}`);
      }
    } else if (s.current) out.push(terminalSafeLine(`  holds now: ${JSON.stringify(s.current)}`));
    if (s.applied) {
      const a = s.applied;
      out.push(
        `  applied: ${a.inserted} inserted, ${a.updated} updated, ${a.unchanged} unchanged${a.failed ? `, ${a.failed} refused` : ''}`,
      );
      for (const f of a.failures ?? []) out.push(terminalSafeLine(`  refused: ${f}`));
    }
  }
  out.push(
    '',
    applied
      ? `applied under run ${r.appliedRunId} (wdsync audit --run ${r.appliedRunId})`
      : 'dry run: nothing was written; --apply performs these actions',
  );
  return out.join('\n');
}

export function registerExplainCommand(program: Command) {
  program
    .command('explain')
    .description(
      'fetch one worker from Workday now and show its normalized record, the scoping decision, the mapped record and the action each sink would take (a dry run unless --apply)',
    )
    .argument('<worker-id>', 'an Employee_ID, a Contingent_Worker_ID or a WID (32 hex digits)')
    .option('--sink <name>', 'only this sink (repeatable)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--apply', 'perform the actions (through the same delivery as a run, audited)')
    .option('--json', 'print one JSON object')
    .action(
      action(async (cfg, workerId: string, o: { sink?: string[]; apply?: boolean; json?: boolean }) => {
        if (!/^[A-Za-z0-9_.-]{1,64}$/.test(workerId))
          throw new UserError(
            `worker id "${workerId}" is not an Employee_ID, Contingent_Worker_ID or WID; give e.g. 21001 or a 32-hex-digit WID`,
          );
        if (!cfg.sinks.length)
          throw new UserError(
            'no sinks are configured; set WDSYNC_SINKS, e.g. crm=salesforce:examples/salesforce-contact.json',
          );
        const { explainWorker }: typeof import('../explain/explain') = require('../explain/explain');
        const report = await explainWorker(cfg, { workerId, sinks: o.sink, apply: o.apply });
        console.log(o.json ? terminalSafeJson(report) : formatExplain(report, Boolean(o.apply)));
      }),
    );
}
