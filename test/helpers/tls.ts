import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, isListening } from '../../src/devserver/ports';

/** A test CA with a server certificate (for `serverName`) and a client certificate, by openssl. */
export interface TestPki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: 'pipe' });

function issue(dir: string, ca: string, name: string, cn: string, ext: string) {
  openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${cn}`,
    ],
    dir,
  );
  writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    ],
    dir,
  );
}

export function makeTestPki(dir: string, caName: string, serverName: string): TestPki {
  mkdirSync(dir, { recursive: true });
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${caName}.key`,
      '-out',
      `${caName}.crt`,
      '-days',
      '2',
      '-subj',
      `/CN=${caName}`,
    ],
    dir,
  );
  issue(
    dir,
    caName,
    `${caName}-server`,
    serverName,
    `subjectAltName=DNS:${serverName},IP:127.0.0.1\nextendedKeyUsage=serverAuth\n`,
  );
  issue(dir, caName, `${caName}-client`, 'wdsync worker', 'extendedKeyUsage=clientAuth\n');
  const f = (n: string) => path.join(dir, n);
  return {
    ca: f(`${caName}.crt`),
    serverCert: f(`${caName}-server.crt`),
    serverKey: f(`${caName}-server.key`),
    clientCert: f(`${caName}-client.crt`),
    clientKey: f(`${caName}-client.key`),
  };
}

export interface TlsProxy {
  port: number;
  address: string;
  close(): Promise<void>;
}

/**
 * A TLS-terminating TCP proxy (nginx's stream module, from Debian) in front of a plain port. With
 * `clientCa`, it demands a client certificate signed by that CA (mTLS). `h2` offers ALPN h2, which
 * gRPC clients require.
 */
export async function startTlsProxy(o: {
  dir: string;
  upstream: string;
  cert: string;
  key: string;
  clientCa?: string;
  h2?: boolean;
}): Promise<TlsProxy> {
  const port = await freePort();
  const name = `nginx-${port}`;
  const conf = path.join(o.dir, `${name}.conf`);
  writeFileSync(
    conf,
    `load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
pid ${path.join(o.dir, `${name}.pid`)};
error_log ${path.join(o.dir, `${name}.log`)};
events {}
stream {
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${o.cert};
    ssl_certificate_key ${o.key};
    ${o.h2 ? 'ssl_alpn h2;' : ''}
    ${o.clientCa ? `ssl_verify_client on;\n    ssl_client_certificate ${o.clientCa};` : ''}
    proxy_pass ${o.upstream};
  }
}
`,
  );
  const child: ChildProcess = spawn('nginx', ['-c', conf, '-p', o.dir], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await isListening('127.0.0.1', port)); i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}; see ${conf}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
