import type { DataConverter } from '@temporalio/common';
import type { WdsyncConfig } from '../config/config';
import { createEncryptionCodec } from '../crypto/payload-codec';
import { stagingKeyring } from '../crypto/keyring';
import { createCipher } from '../crypto/cipher';

/**
 * What every Temporal client and worker of a deployment must agree on: with payload encryption on,
 * the codec sealing payloads with the deployment's keyring. Undefined: Temporal's defaults.
 */
export function dataConverterFor(cfg: WdsyncConfig): DataConverter | undefined {
  if (!cfg.encryption.temporal) return undefined;
  return { payloadCodecs: [createEncryptionCodec(createCipher(stagingKeyring(cfg.encryption.keyFile)))] };
}
