import type { Command } from 'commander';
import { MAX_CONCURRENCY } from '../workflows/limits';
import { DEFAULT_BACKLOG, MAX_BACKLOG } from '../workflows/page-slots';
import { intArg } from './errors';

/** How a run pages and paces Workday: shared by `start` and `schedule create`, so both bound them alike. */
export function addRunShapeOptions(cmd: Command): Command {
  return cmd
    .option('--page-size <n>', 'workers per page (Workday Count, 1..999)', intArg('--page-size', 1, 999))
    .option(
      '--concurrency <c>',
      `Workday fetches in flight (1..${MAX_CONCURRENCY})`,
      intArg('--concurrency', 1, MAX_CONCURRENCY),
    )
    .option(
      '--backlog <n>',
      `staged pages awaiting delivery beyond --concurrency before fetches wait (0..${MAX_BACKLOG}, default ${DEFAULT_BACKLOG})`,
      intArg('--backlog', 0, MAX_BACKLOG),
    );
}
