// What dist/ was compiled from: every .ts file under src/ by path, size and modification time.
// Stat only, no reads: bin/wdsync.cjs computes it on every start (about 300 files).
const { readdirSync, readFileSync, statSync } = require('node:fs');
const path = require('node:path');
const { createHash } = require('node:crypto');

function fingerprint(src) {
  const h = createHash('sha256');
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) {
        const st = statSync(p);
        h.update(`${path.relative(src, p)}\0${st.size}\0${st.mtimeMs}\n`);
      }
    }
  };
  walk(src);
  return h.digest('hex');
}

/** True when dist/ under `root` was compiled from src/ as it is now. */
function compiledIsCurrent(root) {
  try {
    return (
      readFileSync(path.join(root, 'dist', '.src-fingerprint'), 'utf8') ===
      fingerprint(path.join(root, 'src'))
    );
  } catch {
    return false;
  }
}

module.exports = { fingerprint, compiledIsCurrent };
