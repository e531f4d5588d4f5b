import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { STATE_DIR } from '../devserver/temporal-binary';

/**
 * Encryption keys, each with an id. The active key encrypts; every key in the ring decrypts what was
 * encrypted under its id, so a new key can be brought in (`wdsync keys add`) without losing what is
 * staged under the old ones. Key material never leaves this module except to the cipher.
 */
export interface Keyring {
  readonly file: string;
  readonly activeId: string;
  ids(): string[];
  key(id: string): Buffer | undefined;
}

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const KeyringFile = z.object({
  active: z.string().regex(KEY_ID, 'active must be a key id (letters, digits, ".", "_", "-")'),
  keys: z.record(
    z.string().regex(KEY_ID, 'key ids are letters, digits, ".", "_" and "-"'),
    z
      .string()
      .refine(
        (v) => Buffer.from(v, 'base64').length === 32,
        'each key is base64 of exactly 32 bytes (AES-256)',
      ),
  ),
});
type KeyringFile = z.infer<typeof KeyringFile>;

export class KeyringError extends Error {
  override name = 'KeyringError';
}

const newKeyId = (now = new Date()) =>
  `k${now.toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;

/** Writes the whole file or nothing (temp file, then rename), owner-only. */
function writeKeyring(file: string, data: KeyringFile): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.part`;
  writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/**
 * Creates a keyring with one new key, unless another process got there first: workers starting
 * together must all end up with the same key, or pages one of them staged would not decrypt.
 */
function createExclusive(file: string): void {
  const id = newKeyId();
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeKeyring(tmp, { active: id, keys: { [id]: randomBytes(32).toString('base64') } });
  try {
    linkSync(tmp, file); // atomic, and fails if the file exists
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Loads the keyring from `file`. With `createIfMissing` (the local default under .wdsync/), a
 * missing file is created with one new key, mode 0600, so the demo needs no setup; a file named
 * in configuration must exist, since a fresh key there could not read what is already staged.
 */
export function loadKeyring(file: string, opts: { createIfMissing?: boolean } = {}): Keyring {
  if (!existsSync(file)) {
    if (!opts.createIfMissing) {
      throw new KeyringError(
        `key file ${file} does not exist; create one with \`wdsync keys add --file ${file}\`, or point WDSYNC_KEY_FILE at the deployment's key file`,
      );
    }
    createExclusive(file);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KeyringError(
      `cannot read key file ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check its path and that this user may read it`,
    );
  }
  if ((statSync(file).mode & 0o077) !== 0) {
    throw new KeyringError(
      `key file ${file} is readable by other users (mode ${(statSync(file).mode & 0o777).toString(8)}); run \`chmod 600 ${file}\``,
    );
  }
  let parsed: KeyringFile;
  try {
    parsed = KeyringFile.parse(JSON.parse(text));
  } catch (err) {
    const why =
      err instanceof z.ZodError
        ? err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
        : 'not JSON';
    throw new KeyringError(
      `key file ${file} is not a wdsync keyring (${why}); expected {"active": id, "keys": {id: base64}}`,
    );
  }
  if (!(parsed.active in parsed.keys)) {
    throw new KeyringError(`key file ${file}: the active key "${parsed.active}" is not among its keys`);
  }
  const keys = new Map(Object.entries(parsed.keys).map(([id, b64]) => [id, Buffer.from(b64, 'base64')]));
  return {
    file,
    activeId: parsed.active,
    ids: () => [...keys.keys()],
    key: (id) => keys.get(id),
  };
}

/** Adds a new random key to the ring (creating it if needed) and makes it the active one. */
export function addKey(file: string): { id: string; ids: string[] } {
  // A broken or exposed file is reported as loadKeyring reports it, before anything is written.
  if (existsSync(file)) loadKeyring(file);
  const current: KeyringFile = existsSync(file)
    ? KeyringFile.parse(JSON.parse(readFileSync(file, 'utf8')))
    : { active: '', keys: {} };
  const id = newKeyId();
  const next = { active: id, keys: { ...current.keys, [id]: randomBytes(32).toString('base64') } };
  writeKeyring(file, next);
  return { id, ids: Object.keys(next.keys) };
}

/** The deployment's keyring: the configured file, else the local one (created on first use). */
export function stagingKeyring(configuredFile: string | undefined, stateDir = STATE_DIR): Keyring {
  return loadKeyring(configuredFile ?? path.join(stateDir, 'keys.json'), {
    createIfMissing: !configuredFile,
  });
}
