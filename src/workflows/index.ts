export { syncPage } from './sync-page';
export { syncRun } from './sync-run';
export { replayRun } from './replay-run';
export { releaseDeadLetters } from './release-dead-letters';
export { stagingRetention } from './staging-retention';
