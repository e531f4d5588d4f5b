import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Cipher } from './cipher';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const AAD = 'wdsync-temporal-payload';
const utf8 = (s: string) => new TextEncoder().encode(s);

/**
 * Temporal payload codec: every workflow and activity input, result, failure detail, query and
 * signal argument is sealed with the staging keyring's active key before it leaves the process, so
 * Temporal (and anyone reading its database or Web UI without the codec server) sees only ciphertext.
 * The key id rides in the metadata, so payloads sealed under an older key still open.
 */
export function createEncryptionCodec(cipher: Cipher): PayloadCodec {
  return {
    async encode(payloads: Payload[]): Promise<Payload[]> {
      return payloads.map((p) => ({
        metadata: {
          encoding: utf8(ENCRYPTED_ENCODING),
          'encryption-key-id': utf8(cipher.keyring.activeId),
        },
        data: cipher.seal(Buffer.from(temporal.api.common.v1.Payload.encode(p).finish()), AAD),
      }));
    },
    async decode(payloads: Payload[]): Promise<Payload[]> {
      return payloads.map((p) => {
        const encoding = p.metadata?.encoding && new TextDecoder().decode(p.metadata.encoding);
        if (encoding !== ENCRYPTED_ENCODING || !p.data) return p;
        return temporal.api.common.v1.Payload.decode(
          cipher.open(Buffer.from(p.data), AAD, 'a Temporal payload'),
        );
      });
    },
  };
}
