import type { Command } from 'commander';
import { port } from './salesforce/simulator/command';

/**
 * `wdsync target-simulator zendesk|dynamics`: a target simulator as a long-running process. With
 * --json the first line is one JSON object with `adminUrl` and `env` (the variables that point the
 * sink at it, as the README names them), so `export` of those is all a user needs.
 */

interface Started {
  adminUrl: string;
  env: Record<string, string>;
  close(): Promise<void>;
}

interface Flags {
  port: number;
  host: string;
  json?: boolean;
}

function register<S extends Started>(
  group: Command,
  o: {
    name: string;
    description: string;
    defaultPort: number;
    title: string;
    start: (flags: Flags) => Promise<S>;
    extra?: (s: S) => Record<string, unknown>;
  },
): void {
  group
    .command(o.name)
    .description(o.description)
    .option('--port <n>', 'port to listen on (0 = a free port)', port, o.defaultPort)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option(
      '--json',
      'print one JSON line with adminUrl and env (the variables that point the sink here) first',
    )
    .action(async (flags: Flags) => {
      let sim: S;
      try {
        sim = await o.start(flags);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        const msg =
          err.code === 'EADDRINUSE' ? `port ${flags.port} is in use; pick another with --port` : err.message;
        process.stderr.write(`wdsync target-simulator ${o.name}: ${msg}\n`);
        process.exit(2);
      }
      if (flags.json)
        console.log(JSON.stringify({ adminUrl: sim.adminUrl, env: sim.env, ...o.extra?.(sim) }));
      else {
        console.log(o.title);
        for (const [k, v] of Object.entries(sim.env)) console.log(`  export ${k}=${v}`);
        console.log(`  admin  ${sim.adminUrl}/stats`);
        console.log('Ctrl-C to stop.');
      }
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await sim.close();
    });
}

export function registerTargetSimulators(group: Command): void {
  register(group, {
    name: 'zendesk',
    description:
      'run the Zendesk simulator (users bulk create_or_update_many jobs, job statuses, organizations, API token or OAuth) until Ctrl-C',
    defaultPort: 8091,
    title: 'Zendesk simulator (Support API v2)',
    start: async (f) => {
      const { startZendeskSimulator }: typeof import('./zendesk/simulator') = require('./zendesk/simulator');
      return startZendeskSimulator({ port: f.port, host: f.host });
    },
    extra: (s) => ({ url: s.url }),
  });
  register(group, {
    name: 'dynamics',
    description:
      'run the Dataverse (Dynamics 365) simulator (identity-platform tokens, Web API v9.2 upserts by alternate key, $batch, service protection limits) until Ctrl-C',
    defaultPort: 8092,
    title: 'Dataverse simulator (Web API v9.2)',
    start: async (f) => {
      const {
        startDataverseSimulator,
      }: typeof import('./dynamics/simulator') = require('./dynamics/simulator');
      return startDataverseSimulator({ port: f.port, host: f.host });
    },
    extra: (s) => ({ url: s.url, tokenUrl: s.tokenUrl }),
  });
}
