import type { Command } from 'commander';
import { action } from './action';
import { intArg } from './errors';

export function registerCodecServerCommand(program: Command) {
  program
    .command('codec-server')
    .description(
      "decode wdsync's encrypted Temporal payloads for the Web UI (its remote codec endpoint), with the deployment's key file",
    )
    .option('--port <port>', 'port to listen on', intArg('--port', 1, 65535), 8888)
    .option(
      '--host <host>',
      'address to listen on (keep it on loopback unless behind an authenticating proxy)',
      '127.0.0.1',
    )
    .option('--origin <url...>', 'Web UI origin(s) allowed to call it', [
      'http://localhost:8233',
      'http://127.0.0.1:8233',
    ])
    .addHelpText(
      'after',
      `
Point the Web UI at it: \`temporal server start-dev --ui-codec-endpoint http://127.0.0.1:8888\`, or the
UI's "Codec Server" setting (in the data encoder menu). It needs the same WDSYNC_KEY_FILE as the workers.`,
    )
    .action(
      action(async (cfg, o: { port: number; host: string; origin: string[] }) => {
        const { createCipher }: typeof import('../crypto/cipher') = require('../crypto/cipher');
        const { stagingKeyring }: typeof import('../crypto/keyring') = require('../crypto/keyring');
        const {
          createEncryptionCodec,
        }: typeof import('../crypto/payload-codec') = require('../crypto/payload-codec');
        const {
          startCodecServer,
        }: typeof import('../temporal/codec-server') = require('../temporal/codec-server');
        const codec = createEncryptionCodec(createCipher(stagingKeyring(cfg.encryption.keyFile)));
        const server = await startCodecServer({
          codec,
          port: o.port,
          host: o.host,
          origins: o.origin,
          log: (l) => process.stderr.write(`${l}\n`),
        });
        console.log(`wdsync codec server at ${server.url} (for ${o.origin.join(', ')}); Ctrl+C to stop`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await server.close();
      }),
    );
}
