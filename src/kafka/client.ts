import { readFileSync } from 'node:fs';
import type { BaseOptions } from '@platformatic/kafka';
import { kafkaLib } from './lib';
import { ErrorType, TypedError } from '../errors/types';
import type { KafkaSecurity } from './target';

/** Everything needed to reach one Kafka cluster. */
export interface KafkaConnection extends KafkaSecurity {
  brokers: string[];
  clientId: string;
}

/** Client options for @platformatic/kafka. Short retry delays: a transaction's end markers take milliseconds. */
export function clientOptions(c: KafkaConnection): BaseOptions {
  const tls =
    c.tls === true
      ? {}
      : c.tls
        ? {
            ...(c.tls.caFile ? { ca: readFileSync(c.tls.caFile) } : {}),
            ...(c.tls.servername ? { servername: c.tls.servername } : {}),
            rejectUnauthorized: c.tls.rejectUnauthorized,
          }
        : undefined;
  return {
    clientId: c.clientId,
    bootstrapBrokers: c.brokers,
    connectTimeout: 5000,
    requestTimeout: 30_000,
    // Backs off from 20 ms: a new cluster takes seconds to bring up its transaction coordinator.
    retries: 10,
    retryDelay: (_client, _op, attempt) => Math.min(20 * 2 ** attempt, 2000),
    ...(tls ? { tls } : {}),
    ...(c.sasl
      ? { sasl: { mechanism: c.sasl.mechanism, username: c.sasl.username, password: c.sasl.password } }
      : {}),
  };
}

/** Every message in an error and its causes (the client nests them: MultipleErrors → errors[] → cause). */
function messages(err: unknown, seen = new Set<unknown>()): string[] {
  if (!err || typeof err !== 'object' || seen.has(err)) return [];
  seen.add(err);
  const e = err as { message?: string; cause?: unknown; errors?: unknown[]; code?: string };
  return [
    `${e.code ?? ''} ${e.message ?? ''}`,
    ...messages(e.cause, seen),
    ...(Array.isArray(e.errors) ? e.errors.flatMap((x) => messages(x, seen)) : []),
  ];
}

/**
 * For every producer: InitProducerId must say "no producer id yet" (-1/-1). @platformatic/kafka
 * 1.x sends 0/0 by default, which the coordinator takes for a stale producer of any transactional
 * id it already knows, so a retried page (a new process, the same transactional id) would be
 * refused as fenced forever.
 */
export const NEW_PRODUCER = { producerId: -1n, producerEpoch: -1 } as const;

/**
 * One line naming what went wrong with a Kafka cluster and what to do. `what` says who was talking
 * to it ("sink events", "operational events").
 */
export function describeKafkaError(err: unknown, c: KafkaConnection, what: string): string {
  const all = messages(err).join(' | ');
  const at = c.brokers.join(',');
  if (/SASL|authenticat|Authentication/i.test(all))
    return `${what}: Kafka at ${at} refused the SASL credentials (${c.sasl ? `${c.sasl.mechanism} user ${c.sasl.username}` : 'none configured'}); fix kafka.sasl in the config file`;
  if (
    /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|Cannot connect|Connection to .* failed|timed out|Timeout/i.test(
      all,
    )
  )
    return `${what}: cannot reach Kafka at ${at}; start a broker (\`wdsync kafka\`) or fix the brokers in the sink spec`;
  // The outer error names the request, the inner one the broker's reason: both, bounded.
  const parts = all
    .split(' | ')
    .map((m) => m.trim())
    .filter(Boolean);
  return `${what}: Kafka at ${at}: ${(parts.slice(0, 3).join(': ') || String(err)).slice(0, 400)}`;
}

/** A typed failure: an unreachable cluster is worth retrying, refused credentials are not. */
export function kafkaFailure(err: unknown, c: KafkaConnection, what: string): TypedError {
  const line = describeKafkaError(err, c, what);
  if (/refused the SASL/.test(line)) return new TypedError(ErrorType.KafkaRefused, line);
  return new TypedError(ErrorType.KafkaUnavailable, line, true);
}

const unknownTopic = (err: unknown) => /Unknown topic/i.test(messages(err).join(' '));

/** A broker that creates topics on first use answers "unknown" until the new topic has a leader. */
async function withCreation<T>(fetch: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fetch();
    } catch (err) {
      if (!unknownTopic(err) || i >= 10) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * Checks, before anything is written, that the cluster answers with these credentials and that
 * every topic exists (or is created on first use where the broker allows it). Throws a
 * non-retryable error with one line otherwise.
 */
export async function checkTopics(c: KafkaConnection, topics: string[], what: string): Promise<void> {
  const admin = new (kafkaLib().Admin)({ ...clientOptions(c), retries: 1 });
  try {
    for (const topic of topics) {
      try {
        await withCreation(() =>
          admin.metadata({ topics: [topic], autocreateTopics: true, forceUpdate: true }),
        );
      } catch (err) {
        if (unknownTopic(err)) {
          throw new TypedError(
            ErrorType.Config,
            `${what}: topic ${topic} does not exist on ${c.brokers.join(',')} and the cluster does not create topics on first use; create it (kafka-topics.sh --bootstrap-server ${c.brokers[0]} --create --topic ${topic}) and start again`,
          );
        }
        throw kafkaFailure(err, c, what);
      }
    }
  } finally {
    await admin.close().catch(() => {});
  }
}
