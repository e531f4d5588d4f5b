import { chmodSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Everything wdsync writes holds worker data or secrets (staged pages, sink files, the embedded
 * database, Temporal's state), so it is owner-only whatever the process umask.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Owner-only from here on for every file and directory this process creates (CLI entry). */
export function restrictUmask(): void {
  process.umask(0o077);
}

/** mkdir -p with owner-only modes for the directories it creates. */
export function mkdirPrivate(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Takes group and other permissions off a tree wdsync owns: for tools that pick their own file
 * modes (PGlite writes its files 0666, ignoring the umask).
 */
export function tightenTree(root: string): void {
  const fix = (p: string, isDir: boolean) => {
    const mode = statSync(p).mode & 0o777;
    if (mode & 0o077) chmodSync(p, isDir ? mode & 0o700 : mode & 0o600);
  };
  fix(root, true);
  for (const e of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (e.isSymbolicLink()) continue;
    fix(path.join(e.parentPath, e.name), e.isDirectory());
  }
}

/** Owner-only for one file, if it exists. */
export function restrictFile(file: string): void {
  if (existsSync(file)) chmodSync(file, statSync(file).mode & 0o600);
}

/**
 * Owner-only for a directory that may have been made by something other than wdsync (`npm test`
 * installing the Temporal CLI into .wdsync/, say), if it exists and this user owns it. Its contents
 * stay as they are: the directory alone already keeps other users out.
 */
export function restrictDir(dir: string): void {
  if (!existsSync(dir)) return;
  const st = statSync(dir);
  if (st.uid === process.getuid?.() && st.mode & 0o077) chmodSync(dir, st.mode & 0o700);
}
