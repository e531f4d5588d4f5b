import type { Command } from 'commander';
import { action } from './action';
import { intArg } from './errors';

export function registerDemoCommand(program: Command) {
  program
    .command('demo')
    .description(
      'run a full sync end to end: dev server, simulator, worker, embedded database (what `npm start` runs)',
    )
    .option('--workers <n>', 'workers in the simulated tenant', intArg('--workers', 1, 2_000_000), 20_000)
    .option('--page-size <n>', 'workers per page', intArg('--page-size', 1, 999), 500)
    .option('--concurrency <c>', 'pages in flight', intArg('--concurrency', 1, 64), 4)
    .option(
      '--temporal-port <port>',
      'port of the Temporal server to use, or of the dev server to start (default: TEMPORAL_ADDRESS or 7233)',
      intArg('--temporal-port', 1, 65535),
    )
    .option(
      '--ui-port <port>',
      'Web UI port of a dev server the demo starts (default 8233, or a free port if taken)',
      intArg('--ui-port', 1, 65535),
    )
    .option('--json', 'print one JSON object as the last line')
    .action(
      action(
        async (
          baseCfg,
          o: {
            workers: number;
            pageSize: number;
            concurrency: number;
            temporalPort?: number;
            uiPort?: number;
            json?: boolean;
          },
        ) => {
          const { runDemo }: typeof import('../demo/run-demo') = require('../demo/run-demo');
          const {
            createProgressRenderer,
            formatSummary,
            summaryJson,
          }: typeof import('./progress') = require('./progress');
          const r = createProgressRenderer();
          const { summary, uiUrl, rows, database, temporal } = await runDemo(baseCfg, o, {
            say: (m) => process.stderr.write(`${m}\n`),
            progress: (p) => r.update(p),
            done: () => r.stop(),
          });
          if (o.json) {
            console.log(
              JSON.stringify({
                ...summaryJson(summary),
                webUi: uiUrl,
                database,
                rows,
                temporal: {
                  address: temporal.address,
                  startedDevServer: temporal.started,
                  ...(temporal.started ? { pid: temporal.pid } : {}),
                },
              }),
            );
          } else {
            console.log(formatSummary(summary));
            if (uiUrl) console.log(`\nWeb UI:    ${uiUrl}`);
            console.log(`Data:      ${rows} rows in ${baseCfg.database.schema}.workers of ${database}`);
            if (temporal.started) {
              console.log(
                `Temporal:  dev server left running at ${temporal.address} (state in ${temporal.dbFile}); stop it with: kill ${temporal.pid}`,
              );
            }
            console.log('Run `npm start` again: unchanged records are skipped.');
          }
          if (summary.status !== 'COMPLETED') process.exitCode = 2;
        },
      ),
    );
}
