import { randomUUID } from 'node:crypto';
import axios from 'axios';
import type { NotifierPort, NotifyEvent } from '../activities/ports';
import { boundMessage } from '../errors/bound';
import type { WebhookSigner } from './signature';

/**
 * Failure notifications: one JSON POST per event, retried with backoff. A webhook that stays down
 * is logged, never allowed to fail the sync (the event is also in the audit trail). With a signer,
 * every POST is signed; the id stays the same across the retries of one event, so a receiver that
 * remembers ids sees each event once.
 */
export function createWebhookNotifier(opts: {
  url?: string;
  attempts?: number;
  baseDelayMs?: number;
  log?: (msg: string) => void;
  sign?: WebhookSigner;
}): NotifierPort {
  const attempts = opts.attempts ?? 4;
  const base = opts.baseDelayMs ?? 500;
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  return {
    async notify(event: NotifyEvent) {
      if (!opts.url) return;
      const id = `msg_${randomUUID()}`;
      // The error text may come from Workday or a sink: bounded, whoever built the event.
      const error = event.error === undefined ? undefined : boundMessage(event.error);
      const body = JSON.stringify({ ...event, error, source: 'wdsync', at: new Date().toISOString() });
      for (let i = 1; i <= attempts; i++) {
        try {
          // Signed per attempt: the timestamp is when this POST left, so a receiver's freshness
          // window does not reject a delivery that waited out a backoff.
          await axios.post(opts.url, body, {
            timeout: 5000,
            headers: { 'Content-Type': 'application/json', ...opts.sign?.(id, body) },
            // The exact bytes that were signed: axios must not re-serialize them.
            transformRequest: [(data) => data],
          });
          return;
        } catch (err) {
          if (i === attempts) {
            log(
              `wdsync: webhook ${event.type} for ${event.runId} not delivered after ${attempts} attempts: ${(err as Error).message}`,
            );
            return;
          }
          await new Promise((r) => setTimeout(r, base * 2 ** (i - 1)));
        }
      }
    },
  };
}
