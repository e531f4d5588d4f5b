import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { withStores } from '../deps';
import { PRIVATE_FILE_MODE } from '../paths/private';
import { loadRunReport } from '../report/data';
import { renderRunReport } from '../report/render';
import { runIdProblem } from '../workflows/ids';
import { action } from './action';
import { UserError } from './errors';

/** Where a run's report goes when --html is not given. */
export const defaultReportFile = (runId: string) => path.resolve(`wdsync-report-${runId}.html`);

export function registerReportCommand(program: Command) {
  program
    .command('report <runId>')
    .description(
      'write a self-contained HTML report of one run from the audit store: page timeline, throughput, faults, per-sink outcomes, dead letters, reconciliation',
    )
    .option('--html <file>', 'where to write it (default: ./wdsync-report-<runId>.html)')
    .action(
      action(async (cfg, runId: string, o: { html?: string }) => {
        const bad = runIdProblem(runId);
        if (bad) throw new UserError(bad);
        const data = await withStores(cfg, ({ audit }) => loadRunReport(audit, runId));
        const file = path.resolve(o.html ?? defaultReportFile(runId));
        // The report quotes dead-letter reasons, which can hold worker data: owner-only, like staging.
        writeFileSync(file, renderRunReport(data), { mode: PRIVATE_FILE_MODE });
        console.log(`report of ${runId} (${data.run.status}): ${file}`);
      }),
    );
}
