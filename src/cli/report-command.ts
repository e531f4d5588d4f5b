import type { Command } from 'commander';
import { runIdProblem } from '../workflows/ids';
import { action } from './action';
import { UserError } from './errors';

export function registerReportCommand(program: Command) {
  program
    .command('report <runId>')
    .description(
      'write a self-contained HTML report of one run from the audit store: page timeline, throughput, faults, per-sink outcomes, dead letters, reconciliation',
    )
    .option('--html <file>', 'where to write it (default: .wdsync/reports/<runId>.html)')
    .action(
      action(async (cfg, runId: string, o: { html?: string }) => {
        const bad = runIdProblem(runId);
        if (bad) throw new UserError(bad);
        const { writeRunReport }: typeof import('../report/write') = require('../report/write');
        const { file, status } = await writeRunReport(cfg, runId, o.html);
        console.log(`report of ${runId} (${status}): ${file}`);
      }),
    );
}
