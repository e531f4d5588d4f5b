import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'wdsync.cjs');
const { compiledIsCurrent, fingerprint } = require(path.join(ROOT, 'scripts', 'src-fingerprint.cjs')) as {
  compiledIsCurrent(root: string): boolean;
  fingerprint(dir: string): string;
};

const help = (env: Record<string, string>) => {
  const r = spawnSync(process.execPath, [BIN, '--help'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
};

/**
 * `wdsync` starts from JavaScript compiled at install (issue 17, item 7), and never from a dist/
 * older than src/: an edited checkout runs its TypeScript through tsx instead.
 */
describe('CLI start-up from compiled JavaScript', () => {
  test('npm install / npm test leave dist/ matching src/, and both start the same program', () => {
    assert.ok(compiledIsCurrent(ROOT), 'dist/ compiled from src/ as it is (npm test builds it when stale)');
    assert.equal(help({}), help({ WDSYNC_FROM_SOURCE: '1' }));
  });

  test('an edited, added or removed source file makes dist/ stale', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'wdsync-fp-'));
    try {
      mkdirSync(path.join(root, 'src', 'cli'), { recursive: true });
      mkdirSync(path.join(root, 'dist'));
      const file = path.join(root, 'src', 'cli', 'a.ts');
      writeFileSync(file, 'export const a = 1;\n');
      const stamp = () =>
        writeFileSync(path.join(root, 'dist', '.src-fingerprint'), fingerprint(path.join(root, 'src')));
      stamp();
      assert.ok(compiledIsCurrent(root));
      writeFileSync(file, 'export const a = 2;\n');
      utimesSync(file, new Date(), new Date(Date.now() + 5000));
      assert.ok(!compiledIsCurrent(root), 'an edit');
      stamp();
      writeFileSync(path.join(root, 'src', 'b.ts'), '');
      assert.ok(!compiledIsCurrent(root), 'a new file');
      stamp();
      rmSync(path.join(root, 'src', 'b.ts'));
      assert.ok(!compiledIsCurrent(root), 'a removed file');
      rmSync(path.join(root, 'dist', '.src-fingerprint'));
      assert.ok(!compiledIsCurrent(root), 'an unfinished build (no fingerprint yet)');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
