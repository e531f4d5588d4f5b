#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `npx wdsync` needs no build step.
require('tsx/cjs');
require('../src/client.ts');
