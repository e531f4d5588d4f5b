// `wdsync target-simulator salesforce --json` as a real process: its first line is what a client
// (here jsforce) needs to log in; bad flags get one line and a non-zero exit.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { Connection } from 'jsforce';
import { createSalesforceSink, salesforceCredentials } from '../../src/sinks/salesforce';
import { loadMapping } from '../../src/mapping/mapping-file';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'wdsync.cjs');
const EXAMPLE = path.resolve(__dirname, '..', '..', 'examples', 'salesforce-contact.json');

async function firstLine(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'target-simulator', 'salesforce', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`exited ${code} before printing`)));
  });
  return { child, info: JSON.parse(line) as Record<string, string> };
}

describe('wdsync target-simulator salesforce', () => {
  it('prints loginUrl, clientId, clientSecret and adminUrl as its first line with --json', async () => {
    const { child, info } = await firstLine(['--port', '0', '--json']);
    try {
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

  it('--jwt-cert: the JWT bearer flow with a certificate made by openssl, as a connected app holds it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wdsync-jwt-'));
    const key = path.join(dir, 'server.key');
    const crt = path.join(dir, 'server.crt');
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        crt,
        '-days',
        '2',
        '-subj',
        '/CN=wdsync',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(made.status, 0, made.stderr);
    const { child, info } = await firstLine([
      '--port',
      '0',
      '--json',
      '--jwt-cert',
      crt,
      '--jwt-username',
      'int@acme.example',
    ]);
    try {
      const jwt = (username: string) =>
        createSalesforceSink({
          name: 'crm',
          mapping: loadMapping(EXAMPLE),
          credentials: salesforceCredentials(
            { loginUrl: info.loginUrl, clientId: info.clientId, username, privateKeyFile: key },
            {},
          ),
        });
      await jwt('int@acme.example').init();
      await assert.rejects(
        jwt('someone@acme.example').init(),
        /refused the JWT bearer login.*invalid assertion/,
      );
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
