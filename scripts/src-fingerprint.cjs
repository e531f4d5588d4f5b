// What dist/ was compiled from: every .ts file under src/ by path, size and modification time, and
// every directory by modification time. Stat only, no reads. bin/wdsync.cjs checks it on every
// start, so the check costs one stat per file and directory (about 260), no readdir, no hashing:
// an edit in place changes the file's mtime, and a file added, removed or renamed (editors that
// save by renaming too) changes its directory's, which is only then listed again.
const { readdirSync, readFileSync, statSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const MANIFEST = '.src-manifest.json';

/** { dirs: { rel: mtimeMs }, files: { rel: [size, mtimeMs] } } of the .ts files under `src`. */
function snapshot(src) {
  const dirs = {};
  const files = {};
  const walk = (dir) => {
    dirs[path.relative(src, dir)] = statSync(dir).mtimeMs;
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) {
        const st = statSync(p);
        files[path.relative(src, p)] = [st.size, st.mtimeMs];
      }
    }
  };
  walk(src);
  return { dirs, files };
}

const sameSnapshot = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** Records that dist/ under `root` holds src/ as `snap` shows it (the build writes this last). */
function writeManifest(root, snap) {
  writeFileSync(path.join(root, 'dist', MANIFEST), JSON.stringify(snap));
}

/** True when dist/ under `root` was compiled from src/ as it is now. */
function compiledIsCurrent(root) {
  const src = path.join(root, 'src');
  try {
    const built = JSON.parse(readFileSync(path.join(root, 'dist', MANIFEST), 'utf8'));
    for (const [rel, [size, mtimeMs]] of Object.entries(built.files)) {
      const st = statSync(path.join(src, rel));
      if (st.size !== size || st.mtimeMs !== mtimeMs) return false;
    }
    const listed = Object.entries(built.dirs).every(
      ([rel, mtimeMs]) => statSync(path.join(src, rel)).mtimeMs === mtimeMs,
    );
    // A directory changed (a file came or went, or an editor's swap file did): list the tree again.
    if (!listed) return sameSnapshot(Object.keys(snapshot(src).files), Object.keys(built.files));
    return true;
  } catch {
    // No manifest (a build that did not finish), or a file or directory gone.
    return false;
  }
}

module.exports = { snapshot, sameSnapshot, writeManifest, compiledIsCurrent };
