import { createHash } from 'node:crypto';
import type { Producer } from '@platformatic/kafka';
import { kafkaLib } from '../kafka/lib';
import type { NotifierPort, NotifyEvent } from '../activities/ports';
import type { WdsyncConfig } from '../config/config';
import {
  checkTopics,
  clientOptions,
  describeKafkaError,
  type KafkaConnection,
  NEW_PRODUCER,
} from '../kafka/client';
import { ceHeaders } from '../sinks/change-events';

/** An operational event as CloudEvents 1.0 (structured JSON), the shape of the change events. */
export function operationalEvent(event: NotifyEvent, tenant: string, at = new Date()) {
  const { type, runId, ...rest } = event;
  // Deterministic: a retried activity re-sends the same id, so a consumer can drop the copy.
  // The sink only when there is one, so the ids of events about no sink stay as they were.
  const h = createHash('sha256')
    .update(
      `${tenant}\n${type}\n${runId}\n${event.page ?? ''}\n${event.errorType ?? ''}${event.sink ? `\n${event.sink}` : ''}`,
    )
    .digest('hex');
  return {
    specversion: '1.0' as const,
    id: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`,
    source: `wdsync/${tenant}`,
    type: `com.wdsync.${type}`,
    subject: runId,
    time: at.toISOString(),
    datacontenttype: 'application/json' as const,
    data: { runId, ...rest },
  };
}

/**
 * Operational events on a Kafka topic, keyed by run id (a run's events stay in order). Like the
 * webhook, a cluster that stays down is logged, never allowed to fail the sync.
 */
export function createKafkaNotifier(opts: {
  connection: KafkaConnection;
  topic: string;
  tenant: string;
  log?: (msg: string) => void;
}): NotifierPort & { close(): Promise<void> } {
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  let producer: Producer<string, string, string, string> | undefined;
  return {
    async notify(event) {
      const ce = operationalEvent(event, opts.tenant);
      producer ??= new (kafkaLib().Producer)({
        ...clientOptions(opts.connection),
        ...NEW_PRODUCER,
        idempotent: true,
        serializers: kafkaLib().stringSerializers,
      });
      try {
        await producer.send({
          messages: [
            { topic: opts.topic, key: event.runId, value: JSON.stringify(ce), headers: ceHeaders(ce) },
          ],
        });
      } catch (err) {
        log(
          `wdsync: ${describeKafkaError(err, opts.connection, `operational event ${event.type} for ${event.runId}`)}`,
        );
      }
    },
    async close() {
      await (producer?.close() as Promise<void> | undefined)?.catch?.(() => {});
    },
  };
}

/**
 * The webhook stays a failure channel (its receivers page someone); run.completed, for status
 * pages, goes to the Kafka topic only.
 */
export function failuresOnly(n: NotifierPort): NotifierPort {
  return {
    async notify(event) {
      if (event.type !== 'run.completed') await n.notify(event);
    },
  };
}

/** Every notifier hears every event; each one handles its own failures. */
export function fanOut(...notifiers: NotifierPort[]): NotifierPort {
  return {
    async notify(event) {
      await Promise.all(notifiers.map((n) => n.notify(event)));
    },
  };
}

/** The operational-events connection of a configuration, when it has one. */
export function notifyConnection(cfg: WdsyncConfig): KafkaConnection | undefined {
  const k = cfg.notify.kafka;
  return k && { brokers: k.brokers, clientId: cfg.kafka.clientId, sasl: cfg.kafka.sasl, tls: cfg.kafka.tls };
}

/** Before a run: the operational-events topic is reachable and exists. */
export async function preflightNotify(cfg: WdsyncConfig): Promise<void> {
  const c = notifyConnection(cfg);
  if (c) await checkTopics(c, [cfg.notify.kafka!.topic], 'WDSYNC_EVENTS_KAFKA');
}
