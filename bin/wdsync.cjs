#!/usr/bin/env node
// Starts from dist/ (compiled by `npm install`, see scripts/build.cjs) while it matches src/;
// otherwise, in a checkout being edited, runs the TypeScript directly through tsx, as before.
const path = require('node:path');
const { compiledIsCurrent } = require('../scripts/src-fingerprint.cjs');

if (process.env.WDSYNC_FROM_SOURCE !== '1' && compiledIsCurrent(path.resolve(__dirname, '..'))) {
  require('../dist/client.js');
} else {
  require('tsx/cjs');
  require('../src/client.ts');
}
