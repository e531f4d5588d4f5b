import { Command } from 'commander';
import { registerBenchCommand } from './bench-command';
import { registerDemoCommand } from './demo-command';
import { registerDevCommand } from './dev-command';
import { registerKafkaCommand } from './kafka-command';
import { registerRunCommands } from './run-commands';
import { registerApprovalCommands } from './approval-commands';
import { registerScheduleCommands } from './schedule-commands';
import { registerStagingCommands } from './staging-command';
import { registerWorkerCommand } from './worker-command';
import { registerAuditCommands } from './audit-command';
import { registerDeadLetterCommands } from './dead-letters-command';
import { registerKeysCommands } from './keys-command';
import { registerReportCommand } from './report-command';
import { registerCodecServerCommand } from './codec-server-command';
import { registerReplayCommand } from './replay-command';
import { registerWatermarkCommands } from './watermark-command';
import { registerSimulatorCommand } from '../simulator/command';
import { registerTargetSimulatorCommand } from '../targets/salesforce/simulator/command';
import { registerTargetSimulators } from '../targets/simulator-command';
import { registerExplainCommand } from './explain-command';
import { formatUsageError } from './errors';

/** The commands that act for one configured Workday connection (README "Several tenants"). */
const PER_TENANT = [
  'start',
  'schedule',
  'replay',
  'status',
  'runs',
  'audit',
  'dead-letters',
  'worker',
  'watermark',
  'staging',
  'report',
];

/**
 * `--tenant NAME` (alias `--connection NAME`) on every command of PER_TENANT and their
 * subcommands. It becomes WDSYNC_TENANT before the action runs, which loadConfig reads, so every
 * command sees the named connection's configuration and nothing else.
 */
function addTenantOptions(program: Command) {
  const leaves = (c: Command): Command[] => (c.commands.length ? c.commands.flatMap(leaves) : [c]);
  for (const top of program.commands.filter((c) => PER_TENANT.includes(c.name()))) {
    for (const cmd of leaves(top)) {
      cmd.option(
        '--tenant <name>',
        'the configured Workday connection to act for (default: the only one, or "default")',
      );
      cmd.option('--connection <name>', 'same as --tenant');
    }
  }
  program.hook('preAction', (_root, actionCommand) => {
    const o = actionCommand.opts() as { tenant?: string; connection?: string };
    const name = o.tenant ?? o.connection;
    if (name !== undefined) process.env.WDSYNC_TENANT = name;
  });
}

export function buildProgram(): Command {
  const program = new Command('wdsync')
    .description('Durable Workday worker sync on Temporal')
    .version(require('../../package.json').version);
  registerDemoCommand(program);
  registerDevCommand(program);
  registerKafkaCommand(program);
  registerWorkerCommand(program);
  registerSimulatorCommand(program);
  registerTargetSimulators(registerTargetSimulatorCommand(program));
  registerExplainCommand(program);
  registerRunCommands(program);
  registerApprovalCommands(program);
  registerScheduleCommands(program);
  registerStagingCommands(program);
  registerReplayCommand(program);
  registerAuditCommands(program);
  registerDeadLetterCommands(program);
  registerReportCommand(program);
  registerKeysCommands(program);
  registerCodecServerCommand(program);
  registerWatermarkCommands(program);
  registerBenchCommand(program);
  addTenantOptions(program);
  // Usage errors name the command whose --help to read, so each command gets its own printer.
  const configure = (cmd: Command, names: string[]) => {
    cmd.configureOutput({ outputError: (str, write) => write(formatUsageError(str, names.join(' '))) });
    for (const c of cmd.commands) configure(c, [...names, c.name()]);
  };
  configure(program, []);
  return program;
}
