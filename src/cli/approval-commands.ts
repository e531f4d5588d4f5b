import os from 'node:os';
import type { Command } from 'commander';
import { runIdProblem } from '../workflows/ids';
import type { DestructiveOutcome } from '../workflows/types';
import { action } from './action';
import { UserError } from './errors';

/**
 * `wdsync approve|reject <runId> --sink NAME`: the decision on a sink whose held deactivations
 * and deletions tripped the circuit breaker (state AwaitingApproval). A Temporal update: the run
 * refuses it unless that sink waits, and answers once the actions were applied or skipped.
 */
export function registerApprovalCommands(program: Command) {
  const decide = (name: 'approve' | 'reject', description: string, approve: boolean) =>
    program
      .command(`${name} <runId>`)
      .description(description)
      .requiredOption('--sink <name>', 'the sink waiting for approval (see `wdsync status <runId>`)')
      .option('--by <who>', 'who decides, kept with the actions (default: your OS user name)')
      .option('--json', 'print one JSON object')
      .action(
        action(async (cfg, runId: string, o: { sink: string; by?: string; json?: boolean }) => {
          const problem = runIdProblem(runId);
          if (problem) throw new UserError(problem);
          const {
            WorkflowNotFoundError,
          }: typeof import('@temporalio/client') = require('@temporalio/client');
          const { rootMessage }: typeof import('../runs/status') = require('../runs/status');
          const {
            approveDestructiveUpdate,
            rejectDestructiveUpdate,
          }: typeof import('../workflows/messages') = require('../workflows/messages');
          const { destructiveLine }: typeof import('./progress') = require('./progress');
          const { connectClient }: typeof import('./temporal') = require('./temporal');
          const client = await connectClient(cfg);
          const h = client.workflow.getHandle(runId);
          try {
            const d = await h.describe();
            if (d.status.name !== 'RUNNING')
              throw new UserError(`run ${runId} is ${d.status.name}, not waiting for approval`);
          } catch (err) {
            if (err instanceof WorkflowNotFoundError)
              throw new UserError(`no run ${runId}; list runs with \`wdsync runs\``);
            throw err;
          }
          const by = o.by ?? os.userInfo().username;
          const update = approve ? approveDestructiveUpdate : rejectDestructiveUpdate;
          let outcome: DestructiveOutcome;
          try {
            outcome = await h.executeUpdate(update, { args: [{ sink: o.sink, by }] });
          } catch (err) {
            // The run's validator says why (not waiting, another sink waits, already decided).
            throw new UserError(`${rootMessage(err)}; see \`wdsync status ${runId}\``);
          }
          console.log(
            o.json ? JSON.stringify({ runId, ...outcome }) : `run ${runId}: ${destructiveLine(outcome)}`,
          );
        }),
      );
  decide(
    'approve',
    'apply the deactivations and deletions a run holds for a sink (state AwaitingApproval); waits until they are applied',
    true,
  );
  decide(
    'reject',
    'skip the deactivations and deletions a run holds for a sink (state AwaitingApproval); kept with who rejected them',
    false,
  );
}
