#!/usr/bin/env node
// `npm test`: makes sure the Temporal CLI and the other prerequisites (xmllint, Chromium,
// PostgreSQL) are there, then runs every test file with node's test runner (through tsx). Extra
// arguments are test files or name filters passed through to node.
require('tsx/cjs');
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const path = require('node:path');
const { findTemporalBinary } = require('../src/devserver/temporal-binary.ts');
const { ensureTestPrerequisites } = require('./test-prerequisites.cjs');

const problems = ensureTestPrerequisites();
if (problems.length) {
  for (const p of problems) console.error(`npm test: ${p}`);
  process.exit(1);
}

process.env.WDSYNC_TEMPORAL_BIN = findTemporalBinary({ install: true });

// The tests start `wdsync` processes: from compiled JavaScript, as users do, so an edited src/ is
// compiled again first (about a second).
const { compiledIsCurrent } = require('./src-fingerprint.cjs');
if (!compiledIsCurrent(path.resolve(__dirname, '..'))) {
  const b = spawnSync(process.execPath, [path.join(__dirname, 'build.cjs')], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

function collect(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return collect(p);
    return name.endsWith('.test.ts') ? [p] : [];
  });
}
const args = process.argv.slice(2);
// Test files and directories of them (`npm test -- test/workflows`); the rest goes to node --test.
const isDir = (a) => !a.startsWith('-') && existsSync(a) && statSync(a).isDirectory();
const files = args.flatMap((a) => (a.endsWith('.ts') ? [a] : isDir(a) ? collect(a).sort() : []));
const rest = args.filter((a) => !a.endsWith('.ts') && !isDir(a));
const root = path.resolve(__dirname, '..');
const targets = files.length ? files : collect(path.join(root, 'test')).sort();
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...rest, ...targets],
  { stdio: 'inherit', cwd: root },
);
process.exit(r.status ?? 1);
