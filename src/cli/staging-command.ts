import type { Command } from 'commander';
import { action } from './action';
import { intArg } from './errors';

export function registerStagingCommands(program: Command) {
  const staging = program
    .command('staging')
    .description('inspect and clean the staging store (fetched pages)');
  staging
    .command('list')
    .description('staged runs with page counts and sizes')
    .option('--json', 'print a JSON array')
    .action(
      action(async (cfg, o: { json?: boolean }) => {
        const { withStaging }: typeof import('../deps') = require('../deps');
        const runs = await withStaging(cfg, (store) => store.listRuns());
        if (o.json) return console.log(JSON.stringify(runs));
        if (!runs.length) return console.log('staging is empty');
        for (const r of runs) {
          console.log(
            `${r.runId.padEnd(40)} ${String(r.pages).padStart(6)} pages ${(r.bytes / 1e6).toFixed(1).padStart(8)} MB  ${r.updatedAt.toISOString()}`,
          );
        }
      }),
    );
  staging
    .command('cleanup')
    .description(
      'delete staged pages of one run, or of runs older than N days (replays need them: keep recent runs)',
    )
    .option('--run <runId>', 'only this run')
    .option(
      '--older-than-days <n>',
      'runs last written more than N days ago',
      intArg('--older-than-days', 0, 3650),
    )
    .action(
      action(async (cfg, o: { run?: string; olderThanDays?: number }) => {
        if (o.run === undefined && o.olderThanDays === undefined) {
          throw new Error('say what to clean: --run <runId> or --older-than-days <n>');
        }
        const { withStaging }: typeof import('../deps') = require('../deps');
        const { cleanupStaging }: typeof import('../staging/cleanup') = require('../staging/cleanup');
        const r = await withStaging(cfg, (store) =>
          cleanupStaging(store, {
            runId: o.run,
            olderThanMs: o.olderThanDays === undefined ? undefined : o.olderThanDays * 86_400_000,
          }),
        );
        console.log(`removed ${JSON.stringify(r)}`);
      }),
    );
}
