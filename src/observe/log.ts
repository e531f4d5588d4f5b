import type { Logger as TemporalLogger, LogLevel as TemporalLevel, LogMetadata } from '@temporalio/common';
import type { Logger, LevelWithSilent } from 'pino';
import { contextOfWorkflowId, currentLogContext } from './log-context';

export type WdsyncLogger = Logger;
export type LogLevel = Exclude<LevelWithSilent, 'silent'>;

/**
 * The worker's logger: JSON lines on stdout (pino), each with the run, page, sink and attempt of
 * the activity that wrote it. pino is loaded here, on first use, never by other commands.
 */
export function createLogger(opts: { level: LogLevel; destination?: NodeJS.WritableStream }): WdsyncLogger {
  const pino = require('pino') as typeof import('pino');
  return pino.pino(
    {
      level: opts.level,
      base: { service: 'wdsync' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => ({ ...currentLogContext() }),
      // Defence in depth: wdsync never logs these, but a library's error object might carry them.
      redact: {
        paths: ['password', 'token', 'authorization', '*.password', '*.token', '*.authorization'],
        censor: '***',
      },
    },
    opts.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

const PINO_LEVEL: Record<TemporalLevel, LogLevel> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The SDK's notices that are noise for wdsync's split workers (each lacks the other kind by design). */
const SDK_NOISE = /^No (workflows|activities|Nexus services) registered/;

/**
 * SDK fields never logged: an activity's task token completes the activity for whoever holds it,
 * and the worker's options dump holds the data converter (with the payload key when encryption
 * is on) and every interceptor.
 */
const SDK_DROPPED = new Set(['taskToken', 'options']);

/**
 * The Temporal SDK's logger (Runtime.install) routed into pino. Workflow and activity lines carry
 * the workflow id, which names wdsync's run and page; Temporal's own run id is kept apart.
 */
export function temporalLogger(log: WdsyncLogger): TemporalLogger {
  const write = (level: TemporalLevel, message: string, meta?: LogMetadata) => {
    if (SDK_NOISE.test(message)) return;
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(meta ?? {})) {
      if (SDK_DROPPED.has(k)) continue;
      // An Error would be logged with its stack and any property a library hung on it; its name
      // and (bounded, see failures.ts) message are what an operator needs.
      fields[k] = v instanceof Error ? { type: v.name, message: v.message } : v;
    }
    if (typeof meta?.workflowId === 'string') {
      fields.temporalRunId = meta.runId;
      Object.assign(fields, contextOfWorkflowId(meta.workflowId));
    }
    if (typeof meta?.attempt === 'number') fields.attempt = meta.attempt;
    log[PINO_LEVEL[level]]({ ...fields, source: 'temporal' }, message);
  };
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}
