import { type Cipher, DecryptError, isSealed } from '../crypto/cipher';
import type { PageKey } from '../domain/page';

export type StagedPart = 'raw' | 'records' | 'dead_letters';

/**
 * Encryption at rest for staged pages, shared by every staging store: what a store writes goes
 * through `seal`, what it reads through `open`. Pages staged before encryption was on (no header)
 * are still read, so turning it on loses nothing.
 */
export interface PageSealing {
  seal(key: PageKey, part: StagedPart, data: Buffer): Buffer;
  open(key: PageKey, part: StagedPart, data: Uint8Array): Buffer;
}

const aad = (key: PageKey, part: StagedPart) => `wdsync-staging\n${key.runId}\n${key.page}\n${part}`;
const what = (key: PageKey, part: StagedPart) => `staged ${part} of page ${key.page} of run ${key.runId}`;

export function pageSealing(cipher: Cipher | undefined): PageSealing {
  return {
    seal: (key, part, data) => (cipher ? cipher.seal(data, aad(key, part)) : data),
    open(key, part, data) {
      if (!isSealed(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      if (!cipher) {
        throw new DecryptError(
          `${what(key, part)} is encrypted, but no key file is configured; set WDSYNC_KEY_FILE to the key file it was staged with`,
          undefined,
        );
      }
      return cipher.open(data as Buffer, aad(key, part), what(key, part));
    },
  };
}
