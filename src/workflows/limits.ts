/**
 * The largest concurrency a run takes. Its own module so the CLI's `--concurrency` help reads it
 * without loading the workflow SDK that src/workflows/messages.ts needs (issue 17).
 */
export const MAX_CONCURRENCY = 64;
