import { type Command, Option } from 'commander';
import { connectionOf } from '../config/config';
import { buildDeps, stagingCipher } from '../deps';
import { connectionKey } from '../workflows/connection';
import { ALL_ROLES, startWorkers, type WorkerRole } from '../worker';
import { action } from './action';
import { connectClient } from './temporal';
import { ensureStagingRetention, stagingRetentionScheduleId } from '../runs/staging-retention';

export function registerWorkerCommand(program: Command) {
  program
    .command('worker')
    .description(
      'run a wdsync worker (workflows, Workday fetches and sink deliveries) for one Workday connection (--tenant NAME); start more to scale out',
    )
    .addOption(
      new Option('--roles <roles...>', 'run only these roles (e.g. a Workday-only worker host)')
        .choices([...ALL_ROLES])
        .default([...ALL_ROLES]),
    )
    .action(
      action(async (cfg, o: { roles: WorkerRole[] }) => {
        // Local settings first (the key file), then Temporal: each fails fast with a clear line,
        // before anything is built.
        const cipher = stagingCipher(cfg);
        const client = await connectClient(cfg);
        try {
          // The workers that run workflows keep the namespace's staging-retention Schedule.
          if (o.roles.includes('workflows')) {
            const r = await ensureStagingRetention(client, cfg);
            if (r === 'created' || r === 'updated')
              console.log(
                `staging retention: pages staged more than ${cfg.staging.retentionDays} days ago are deleted hourly (Schedule ${stagingRetentionScheduleId(cfg)})`,
              );
          }
        } finally {
          await client.connection.close();
        }
        const deps = await buildDeps(cfg, { cipher });
        const handle = await startWorkers({ cfg, deps: deps.activities, roles: o.roles });
        console.log(
          `wdsync worker running (${o.roles.join(', ')}) for Workday connection ${connectionKey(connectionOf(cfg))} against ${cfg.temporal.address}, namespace ${cfg.temporal.namespace}; Ctrl+C to stop`,
        );
        await handle.done;
        await deps.close();
      }),
    );
}
