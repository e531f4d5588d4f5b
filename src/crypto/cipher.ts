import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Keyring } from './keyring';

/**
 * AES-256-GCM envelope: "WDE1" | key-id length (1 byte) | key id | IV (12) | tag (16) | ciphertext.
 * The additional data binds a ciphertext to where it belongs (e.g. run, page and part), so a staged
 * file copied over another does not decrypt.
 */
const MAGIC = Buffer.from('WDE1');
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class DecryptError extends Error {
  override name = 'DecryptError';
  constructor(
    message: string,
    readonly keyId: string | undefined,
  ) {
    super(message);
  }
}

export interface Cipher {
  readonly keyring: Keyring;
  seal(plain: Buffer, aad: string): Buffer;
  /** `what` names the thing for the error message, e.g. "page 3 of run X". */
  open(sealed: Buffer, aad: string, what: string): Buffer;
}

export const isSealed = (b: Uint8Array): boolean =>
  b.length > 4 && Buffer.from(b.subarray(0, 4)).equals(MAGIC);

export function createCipher(keyring: Keyring): Cipher {
  return {
    keyring,
    seal(plain, aad) {
      const id = Buffer.from(keyring.activeId, 'utf8');
      const iv = randomBytes(IV_BYTES);
      const c = createCipheriv('aes-256-gcm', keyring.key(keyring.activeId)!, iv);
      c.setAAD(Buffer.from(aad, 'utf8'));
      const body = Buffer.concat([c.update(plain), c.final()]);
      return Buffer.concat([MAGIC, Buffer.from([id.length]), id, iv, c.getAuthTag(), body]);
    },
    open(sealed, aad, what) {
      const b = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
      if (!isSealed(b))
        throw new DecryptError(`${what} is not encrypted by wdsync (no WDE1 header)`, undefined);
      const idLen = b[4]!;
      const id = b.subarray(5, 5 + idLen).toString('utf8');
      const key = keyring.key(id);
      if (!key) {
        throw new DecryptError(
          `${what} was encrypted with key id "${id}", which is not in the key file ${keyring.file} (it holds ${keyring.ids().join(', ')}); bring that key back into the file, or replay the page with --refetch`,
          id,
        );
      }
      const at = 5 + idLen;
      const iv = b.subarray(at, at + IV_BYTES);
      const tag = b.subarray(at + IV_BYTES, at + IV_BYTES + TAG_BYTES);
      try {
        const d = createDecipheriv('aes-256-gcm', key, iv);
        d.setAAD(Buffer.from(aad, 'utf8'));
        d.setAuthTag(tag);
        return Buffer.concat([d.update(b.subarray(at + IV_BYTES + TAG_BYTES)), d.final()]);
      } catch {
        throw new DecryptError(
          `key "${id}" in ${keyring.file} cannot decrypt ${what}: the key material for that id differs from the one it was encrypted with, or the data was altered`,
          id,
        );
      }
    },
  };
}
