/**
 * @platformatic/kafka, loaded on first use: loading it takes about 0.35 s, and most commands
 * (`--help`, `status`, `pause`…) never touch Kafka.
 */
export const kafkaLib = (): typeof import('@platformatic/kafka') => require('@platformatic/kafka');
