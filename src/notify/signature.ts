import { Webhook } from 'standardwebhooks';
import type { Secret } from '../workday/config';

/**
 * Webhook signatures follow the Standard Webhooks spec (standardwebhooks.com): headers
 * `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256
 * of "<id>.<timestamp>.<body>">`). Receivers can verify with any Standard Webhooks library or with
 * the few lines of HMAC in the README, and reject old or replayed deliveries by timestamp and id.
 */
export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export type WebhookSigner = (id: string, body: string, at?: Date) => SignedHeaders;

const SECRET_FORMAT = /^(whsec_)?[A-Za-z0-9+/]{22,}={0,2}$/;

/** Why `secret` cannot sign webhooks, or undefined when it can. Never quotes the secret. */
export function webhookSecretProblem(secret: string): string | undefined {
  if (!SECRET_FORMAT.test(secret) || Buffer.from(secret.replace(/^whsec_/, ''), 'base64').length < 16) {
    return 'the webhook secret must be whsec_ followed by base64 of at least 16 random bytes, e.g. the output of: echo "whsec_$(openssl rand -base64 32)"';
  }
  return undefined;
}

export function createWebhookSigner(secret: Secret): WebhookSigner {
  const problem = webhookSecretProblem(secret.reveal());
  if (problem) throw new Error(problem);
  const wh = new Webhook(secret.reveal());
  return (id, body, at = new Date()) => ({
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': wh.sign(id, at, body),
  });
}
