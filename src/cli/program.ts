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
import { formatUsageError } from './errors';

export function buildProgram(): Command {
  const program = new Command('wdsync')
    .description('Durable Workday worker sync on Temporal')
    .version(require('../../package.json').version);
  registerDemoCommand(program);
  registerDevCommand(program);
  registerKafkaCommand(program);
  registerWorkerCommand(program);
  registerSimulatorCommand(program);
  registerTargetSimulatorCommand(program);
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
  // Usage errors name the command whose --help to read, so each command gets its own printer.
  const configure = (cmd: Command, names: string[]) => {
    cmd.configureOutput({ outputError: (str, write) => write(formatUsageError(str, names.join(' '))) });
    for (const c of cmd.commands) configure(c, [...names, c.name()]);
  };
  configure(program, []);
  return program;
}
