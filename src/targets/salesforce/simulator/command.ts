import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';

/**
 * `wdsync target-simulator salesforce`: a simulator of a downstream business system as a
 * long-running process. With --json the first line is the one thing a script needs to parse.
 */

export const port = (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n > 65535)
    throw new InvalidArgumentError('--port must be a whole number from 0 to 65535');
  return n;
};

interface Flags {
  port: number;
  host: string;
  json?: boolean;
  clientId?: string;
  clientSecret?: string;
  apiLimit?: number;
  jwtCert?: string;
  jwtUsername: string;
}

export function registerTargetSimulatorCommand(program: Command): Command {
  const group = program
    .command('target-simulator')
    .description('run a simulator of a downstream system wdsync delivers to (salesforce, zendesk, dynamics)');
  group
    .command('salesforce')
    .description(
      'run the Salesforce simulator (OAuth client credentials and JWT bearer, describe, Collections upsert, Bulk API 2.0 ingest jobs, SOQL) until Ctrl-C',
    )
    .option('--port <n>', 'port to listen on (0 = a free port)', port, 8090)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--json', 'print one JSON line with loginUrl, clientId, clientSecret and adminUrl first')
    .option('--client-id <id>', 'connected app client id (default wdsync-sf-client)')
    .option('--client-secret <secret>', 'its client secret (default wdsync-sf-secret)')
    .option(
      '--api-limit <n>',
      'API requests allowed before REQUEST_LIMIT_EXCEEDED (default 1000000)',
      (v) => {
        const n = Number(v);
        if (!/^\d+$/.test(v.trim()) || n < 1)
          throw new InvalidArgumentError('--api-limit must be a whole number from 1');
        return n;
      },
    )
    .option(
      '--jwt-cert <file>',
      "enable the JWT bearer flow: the connected app's certificate (or public key), PEM",
    )
    .option('--jwt-username <user>', 'the user a JWT assertion must name (sub)', 'wdsync@example.com')
    .action(async (flags: Flags) => {
      let certificate: string | undefined;
      if (flags.jwtCert) {
        try {
          certificate = readFileSync(flags.jwtCert, 'utf8');
        } catch (e) {
          process.stderr.write(
            `wdsync target-simulator salesforce: cannot read --jwt-cert ${flags.jwtCert}: ${(e as Error).message}\n`,
          );
          process.exit(2);
        }
      }
      const { startSalesforceSimulator }: typeof import('./index') = require('./index');
      let sim: Awaited<ReturnType<typeof startSalesforceSimulator>>;
      try {
        sim = await startSalesforceSimulator({
          port: flags.port,
          host: flags.host,
          ...(flags.clientId ? { clientId: flags.clientId } : {}),
          ...(flags.clientSecret ? { clientSecret: flags.clientSecret } : {}),
          ...(flags.apiLimit ? { apiLimit: flags.apiLimit } : {}),
          ...(certificate ? { jwt: { certificate, username: flags.jwtUsername } } : {}),
        });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        const msg =
          err.code === 'EADDRINUSE' ? `port ${flags.port} is in use; pick another with --port` : err.message;
        process.stderr.write(`wdsync target-simulator salesforce: ${msg}\n`);
        process.exit(2);
      }
      const info = {
        loginUrl: sim.loginUrl,
        clientId: sim.clientId,
        clientSecret: sim.clientSecret,
        adminUrl: sim.adminUrl,
      };
      if (flags.json) console.log(JSON.stringify({ ...info, apiVersion: sim.apiVersion }));
      else {
        console.log(`Salesforce simulator (API v${sim.apiVersion})`);
        console.log(`  login url      ${info.loginUrl}   (SALESFORCE_LOGIN_URL)`);
        console.log(`  client id      ${info.clientId}   (SALESFORCE_CLIENT_ID)`);
        console.log(`  client secret  ${info.clientSecret}   (SALESFORCE_CLIENT_SECRET)`);
        if (certificate) console.log(`  JWT user       ${flags.jwtUsername}   (SALESFORCE_USERNAME)`);
        console.log(`  admin          ${info.adminUrl}/stats`);
        console.log('Ctrl-C to stop.');
      }
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await sim.close();
    });
  return group;
}
