import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Loaded by path, by clients, workers and the workflow bundle alike, when payload encryption is on.
 * A failure's message and stack trace move into its encoded attributes, which the payload codec
 * seals: page errors and fault texts in history are as unreadable without the key as the payloads.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
