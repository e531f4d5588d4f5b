import { z } from 'zod';

/** SASL and TLS for a real cluster: config file only (secrets never travel in a sink spec). */
export const KafkaSecurity = z.object({
  sasl: z
    .object({
      mechanism: z.enum(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']),
      username: z.string().min(1),
      password: z.string().min(1),
    })
    .optional(),
  /** true: TLS with the system's CAs; or a CA file (PEM) and an optional server name. */
  tls: z
    .union([
      z.boolean(),
      z.object({
        caFile: z.string().optional(),
        servername: z.string().optional(),
        rejectUnauthorized: z.boolean().default(true),
      }),
    ])
    .optional(),
});
export type KafkaSecurity = z.infer<typeof KafkaSecurity>;

const BROKER = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

/** `<host:port,...>/<topic>` → brokers and topic; undefined when it is not that shape. */
export function parseKafkaTarget(value: string): { brokers: string[]; topic: string } | undefined {
  const slash = value.lastIndexOf('/');
  if (slash < 0) return undefined;
  const brokers = value
    .slice(0, slash)
    .split(',')
    .map((b) => b.trim());
  const topic = value.slice(slash + 1).trim();
  if (!brokers.length || !brokers.every((b) => BROKER.test(b) && Number(b.split(':').pop()) <= 65535))
    return undefined;
  if (!TOPIC.test(topic)) return undefined;
  return { brokers, topic };
}
