import type { DataConverter } from '@temporalio/common';
import type { WdsyncConfig } from '../config/config';
import { createEncryptionCodec } from '../crypto/payload-codec';
import { stagingKeyring } from '../crypto/keyring';
import { createCipher } from '../crypto/cipher';

/** The failure converter that hands failure texts to the codec (see failure-converter.ts). */
export const ENCODED_FAILURES = require.resolve('./failure-converter');

/**
 * What every Temporal client and worker of a deployment must agree on: with payload encryption on,
 * the codec sealing payloads with the deployment's keyring, and failures whose texts go through it.
 * Undefined: Temporal's defaults.
 */
export function dataConverterFor(cfg: WdsyncConfig): DataConverter | undefined {
  if (!cfg.encryption.temporal) return undefined;
  return {
    payloadCodecs: [createEncryptionCodec(createCipher(stagingKeyring(cfg.encryption.keyFile)))],
    failureConverterPath: ENCODED_FAILURES,
  };
}
