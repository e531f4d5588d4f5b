// `wdsync target-simulator salesforce --json` as a real process: its first line is what a client
// (here jsforce) needs to log in; bad flags get one line and a non-zero exit.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { Connection } from 'jsforce';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'wdsync.cjs');

describe('wdsync target-simulator salesforce', () => {
  it('prints loginUrl, clientId, clientSecret and adminUrl as its first line with --json', async () => {
    const child = spawn(process.execPath, [BIN, 'target-simulator', 'salesforce', '--port', '0', '--json'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const rl = createInterface({ input: child.stdout! });
        rl.once('line', resolve);
        child.once('exit', (code) => reject(new Error(`exited ${code} before printing`)));
      });
      const info = JSON.parse(line) as Record<string, string>;
      assert.deepEqual(Object.keys(info).slice(0, 4), ['loginUrl', 'clientId', 'clientSecret', 'adminUrl']);
      const conn = new Connection({
        oauth2: { loginUrl: info.loginUrl, clientId: info.clientId, clientSecret: info.clientSecret },
        version: '62.0',
      });
      await conn.authorize({ grant_type: 'client_credentials' });
      assert.equal((await conn.query('SELECT COUNT() FROM Contact')).totalSize, 0);
      const stats = (await (await fetch(`${info.adminUrl}/stats`)).json()) as { tokensIssued: number };
      assert.equal(stats.tokensIssued, 1);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('refuses a bad port with one line and a non-zero exit', () => {
    const r = spawnSync(process.execPath, [BIN, 'target-simulator', 'salesforce', '--port', 'x'], {
      encoding: 'utf8',
    });
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /--port must be a whole number/);
  });
});
