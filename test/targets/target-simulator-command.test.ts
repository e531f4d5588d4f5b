// `wdsync target-simulator zendesk|dynamics --json` as real processes: the first line is one JSON
// object whose `env` is all the sink needs (the sink built from those variables alone passes its
// start-up checks against the simulator); bad flags get one line and a non-zero exit.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { loadMapping } from '../../src/mapping/mapping-file';
import { createDataverseSink, dataverseCredentials } from '../../src/sinks/dynamics';
import { createZendeskSink, zendeskCredentials } from '../../src/sinks/zendesk';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'wdsync.cjs');

async function firstLine(
  args: string[],
): Promise<{ info: { adminUrl: string; env: Record<string, string> }; stop: () => void }> {
  const child = spawn(process.execPath, [BIN, 'target-simulator', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`exited ${code} before printing`)));
  });
  return { info: JSON.parse(line), stop: () => child.kill('SIGTERM') };
}

describe('wdsync target-simulator zendesk|dynamics', () => {
  it('zendesk --json prints adminUrl and the env the Zendesk sink runs on', async () => {
    const { info, stop } = await firstLine(['zendesk', '--port', '0', '--json']);
    try {
      assert.deepEqual(Object.keys(info.env).sort(), ['ZENDESK_API_TOKEN', 'ZENDESK_EMAIL', 'ZENDESK_URL']);
      const sink = createZendeskSink({
        name: 'desk',
        mapping: loadMapping(path.join(ROOT, 'examples', 'zendesk-user.json'), 'zendesk'),
        credentials: zendeskCredentials({}, info.env),
      });
      await sink.init();
      const stats = (await (await fetch(`${info.adminUrl}/stats`)).json()) as {
        byRoute: Record<string, number>;
      };
      assert.equal(stats.byRoute.user_fields, 1);
    } finally {
      stop();
    }
  });

  it('dynamics --json prints adminUrl and the env the Dataverse sink runs on', async () => {
    const { info, stop } = await firstLine(['dynamics', '--port', '0', '--json']);
    try {
      assert.deepEqual(Object.keys(info.env).sort(), [
        'DATAVERSE_AUTHORITY',
        'DATAVERSE_CLIENT_ID',
        'DATAVERSE_CLIENT_SECRET',
        'DATAVERSE_TENANT_ID',
        'DATAVERSE_URL',
      ]);
      const sink = createDataverseSink({
        name: 'dataverse',
        mapping: loadMapping(path.join(ROOT, 'examples', 'dynamics-contact.json'), 'dynamics'),
        credentials: dataverseCredentials({}, info.env),
      });
      await sink.init();
      const stats = (await (await fetch(`${info.adminUrl}/stats`)).json()) as { tokensIssued: number };
      assert.equal(stats.tokensIssued, 1);
    } finally {
      stop();
    }
  });

  it('refuses a bad port with one line and a non-zero exit', () => {
    for (const target of ['zendesk', 'dynamics']) {
      const r = spawnSync(process.execPath, [BIN, 'target-simulator', target, '--port', '70000'], {
        encoding: 'utf8',
      });
      assert.notEqual(r.status, 0);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.match(r.stderr, /--port must be a whole number/);
    }
  });
});
