import path from 'node:path';

/** A path wdsync built from an id would land outside the directory it belongs in. */
export class PathOutsideRootError extends Error {
  override name = 'PathOutsideRootError';
}

/**
 * `root` joined with `parts`, resolved, and refused unless strictly inside `root`: ids end up in
 * file names, and an id such as "." or ".." must never address the root itself or its parent
 * (which staging cleanup and sink finalize then delete).
 */
export function inside(root: string, ...parts: string[]): string {
  const base = path.resolve(root);
  const target = path.resolve(base, ...parts);
  const rel = path.relative(base, target);
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    // JSON.stringify keeps control characters of a hostile id out of logs.
    throw new PathOutsideRootError(
      `refusing path ${JSON.stringify(parts.join(path.sep).slice(0, 200))}: it resolves outside ${base}`,
    );
  }
  return target;
}
