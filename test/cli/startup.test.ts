import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'wdsync.cjs');
const { compiledIsCurrent, snapshot, writeManifest } = require(
  path.join(ROOT, 'scripts', 'src-fingerprint.cjs'),
) as {
  compiledIsCurrent(root: string): boolean;
  snapshot(src: string): unknown;
  writeManifest(root: string, snap: unknown): void;
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
      const stamp = () => writeManifest(root, snapshot(path.join(root, 'src')));
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
      stamp();
      mkdirSync(path.join(root, 'src', 'new'));
      assert.ok(compiledIsCurrent(root), 'an empty new folder changes no code');
      writeFileSync(path.join(root, 'src', 'new', 'c.ts'), '');
      assert.ok(!compiledIsCurrent(root), 'a new file in a new folder');
      rmSync(path.join(root, 'src', 'new'), { recursive: true });
      stamp();
      // An editor's swap file changes the folder's mtime but no .ts file: still current.
      writeFileSync(path.join(root, 'src', 'cli', '.a.ts.swp'), 'x');
      assert.ok(compiledIsCurrent(root), "an editor's swap file");
      // Saving by writing a new file and renaming it over the old one (as many editors do).
      const tmp = path.join(root, 'src', 'cli', 'a.ts.tmp');
      writeFileSync(tmp, 'export const a = 3;\n');
      utimesSync(tmp, new Date(), new Date(Date.now() + 10_000));
      renameSync(tmp, file);
      assert.ok(!compiledIsCurrent(root), 'a save by rename');
      rmSync(path.join(root, 'dist', '.src-manifest.json'));
      assert.ok(!compiledIsCurrent(root), 'an unfinished build (no manifest yet)');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

/** The modules a `wdsync` process loaded (require.cache at exit), started as users start it. */
function modulesLoaded(args: string[]): string[] {
  const hook = path.join(mkdtempSync(path.join(os.tmpdir(), 'wdsync-mods-')), 'hook.cjs');
  writeFileSync(
    hook,
    "process.on('exit', () => process.stderr.write('\\nMODULES ' + JSON.stringify(Object.keys(require.cache)) + '\\n'));\n",
  );
  try {
    const r = spawnSync(process.execPath, ['-r', hook, BIN, ...args], {
      env: { ...process.env, WDSYNC_FROM_SOURCE: '' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const line = r.stderr.split('\n').find((l) => l.startsWith('MODULES '));
    assert.ok(line, r.stderr);
    return (JSON.parse(line.slice('MODULES '.length)) as string[]).filter((m) => m !== hook);
  } finally {
    rmSync(path.dirname(hook), { recursive: true, force: true });
  }
}

const packagesOf = (modules: string[]) =>
  [
    ...new Set(modules.flatMap((m) => /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(m)?.[1] ?? [])),
  ].sort();

/**
 * `--help` only defines commands: the Temporal SDK, pg, Kafka, jsforce, zod and the rest load when
 * a command runs (issue 17, item 7; it loaded about 1,200 modules before).
 */
describe('CLI start-up loads what --help needs', () => {
  for (const args of [['--help'], ['start', '--help'], ['worker', '--help'], ['bench', '--help']]) {
    test(`wdsync ${args.join(' ')}: commander and the command definitions only`, () => {
      const modules = modulesLoaded(args);
      assert.deepEqual(packagesOf(modules), ['commander']);
      assert.ok(modules.length < 100, `${modules.length} modules:\n${modules.join('\n')}`);
    });
  }

  test('a command still loads its implementation when it runs', () => {
    // `simulator --fault` with a bad type fails in the option parser, which loads the simulator's
    // options (and zod) on demand: the lazy require works from the compiled JavaScript.
    const r = spawnSync(process.execPath, [BIN, 'simulator', '--fault', 'type=bogus'], {
      env: { ...process.env, WDSYNC_FROM_SOURCE: '' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--fault: type must be one of processing, /);
  });
});
