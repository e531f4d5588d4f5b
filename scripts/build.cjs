#!/usr/bin/env node
// Compiles src/**/*.ts to dist/ (CommonJS, one file per module, no bundling) with esbuild, so the
// `wdsync` command starts from JavaScript instead of transpiling TypeScript on every start. Run
// by `npm install` (postinstall); bin/wdsync.cjs uses dist/ only while it matches src/ (see
// src-fingerprint.cjs), so an edited checkout never runs stale code. Commands load their
// implementation when they run (src/cli/*-command.ts), so no bundling is needed for a fast --help.
const { readdirSync, rmSync, existsSync, mkdirSync } = require('node:fs');
const path = require('node:path');
const { sameSnapshot, snapshot, writeManifest } = require('./src-fingerprint.cjs');

const root = path.resolve(__dirname, '..');
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');

// The Docker image runs `npm install` before it copies src/ in, and builds explicitly after.
if (!existsSync(src)) process.exit(0);

function tsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

const started = Date.now();
const before = snapshot(src);
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true, mode: 0o755 });
require('esbuild').buildSync({
  entryPoints: tsFiles(src),
  outdir: dist,
  outbase: src,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // Error and class names show in messages and typed failures.
  keepNames: true,
  sourcemap: 'inline',
  logLevel: 'warning',
});
// Written last and only if src/ did not change while building: its presence means dist/ is whole.
if (sameSnapshot(snapshot(src), before)) writeManifest(root, before);
if (!process.env.npm_lifecycle_event || process.env.WDSYNC_BUILD_VERBOSE)
  console.error(`wdsync: compiled src/ to dist/ in ${Date.now() - started} ms`);
