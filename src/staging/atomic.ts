import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../paths/private';

/**
 * Writes a file so readers see the old content or the new one, never a torn one, even across a
 * crash: temp file in the same directory, fsync, rename over the target, fsync the directory.
 */
export async function writeFileAtomic(
  file: string,
  data: Buffer | string | Iterable<Buffer | string> | AsyncIterable<Buffer | string>,
): Promise<number> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'w', PRIVATE_FILE_MODE);
  let bytes = 0;
  try {
    const parts = typeof data === 'string' || Buffer.isBuffer(data) ? [data] : data;
    // Chunks are written as they come, so a streamed snapshot never sits in memory whole.
    for await (const part of parts) {
      const buf = typeof part === 'string' ? Buffer.from(part) : part;
      await handle.write(buf);
      bytes += buf.length;
    }
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  await fs.rename(tmp, file);
  await fsyncDir(dir);
  return bytes;
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic there.
  } finally {
    await handle.close();
  }
}
