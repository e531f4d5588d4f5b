import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { startDevServer } from '../../src/devserver/dev-server';
import { freePort } from '../../src/devserver/ports';

/** A listener on a free port, as another process would hold it; close() also drops its connections. */
async function squat() {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

test('a picked port taken before the dev server binds it: started again on fresh ports', {
  timeout: 120_000,
}, async () => {
  // Another process takes the port wdsync picked first, as a parallel test file did in CI.
  const squatter = await squat();
  const taken = squatter.port;
  const picked: number[] = [];
  const server = await startDevServer(
    { headless: true },
    {
      freePort: async () => {
        const p = picked.length === 0 ? taken : await freePort();
        picked.push(p);
        return p;
      },
    },
  ).finally(() => squatter.close());
  try {
    assert.equal(picked[0], taken);
    assert.notEqual(server.address, `127.0.0.1:${taken}`, 'it serves on a port it could bind');
    assert.ok(picked.length >= 3, 'the first attempt was given up and new ports picked');
  } finally {
    await server.stop();
  }
});

test('a port the caller chose is not changed: a taken one fails with what to check', {
  timeout: 120_000,
}, async () => {
  const squatter = await squat();
  const taken = squatter.port;
  try {
    await assert.rejects(
      startDevServer({ headless: true, port: taken }),
      /before it was ready \(is port 127\.0\.0\.1:\d+ taken\?\)/,
    );
  } finally {
    squatter.close();
  }
});
