import path from 'node:path';
import type { Command } from 'commander';
import { STATE_DIR } from '../devserver/temporal-binary';
import { action } from './action';

/** The key file a command acts on: --file, else the configured one, else the local default. */
const keyFile = (configured: string | undefined, flag: string | undefined) =>
  flag ?? configured ?? path.join(STATE_DIR, 'keys.json');

export function registerKeysCommands(program: Command) {
  const keys = program
    .command('keys')
    .description('the encryption keyring of staged pages (AES-256-GCM; ids, never key material)');
  keys
    .command('list')
    .description('key ids in the key file, and which one encrypts new pages')
    .option('--file <path>', 'the key file (default: WDSYNC_KEY_FILE, else .wdsync/keys.json)')
    .option('--json', 'print one JSON object')
    .action(
      action(async (cfg, o: { file?: string; json?: boolean }) => {
        const file = keyFile(cfg.encryption.keyFile, o.file);
        const { loadKeyring }: typeof import('../crypto/keyring') = require('../crypto/keyring');
        const ring = loadKeyring(file);
        if (o.json) return console.log(JSON.stringify({ file, active: ring.activeId, ids: ring.ids() }));
        console.log(`key file ${file}`);
        for (const id of ring.ids())
          console.log(`  ${id}${id === ring.activeId ? '  (active: encrypts new pages)' : ''}`);
      }),
    );
  keys
    .command('add')
    .description(
      'add a new random key and make it the active one; older keys stay, so pages staged under them still decrypt',
    )
    .option(
      '--file <path>',
      'the key file (default: WDSYNC_KEY_FILE, else .wdsync/keys.json); created with mode 0600',
    )
    .action(
      action(async (cfg, o: { file?: string }) => {
        const file = keyFile(cfg.encryption.keyFile, o.file);
        const { addKey }: typeof import('../crypto/keyring') = require('../crypto/keyring');
        const { id, ids } = addKey(file);
        console.log(
          `added key ${id} to ${file} (active); the file holds ${ids.length} key(s). Restart workers to use it.`,
        );
      }),
    );
}
