import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import type { TLSConfig } from '@temporalio/client';
import type { WdsyncConfig } from '../config/config';

type TemporalSettings = WdsyncConfig['temporal'];

export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

function readPem(file: string, setting: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(
      `cannot read ${setting} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/**
 * What both the client (CLI) and the worker's native connection need to reach Temporal: TLS from
 * files (read now, so a bad path fails at start with the setting's name) and the API key.
 */
export function temporalConnectionOptions(t: TemporalSettings): TemporalConnectionOptions {
  const apiKey = t.apiKey?.reveal();
  const wantTls = t.tls ? t.tls.enabled : apiKey !== undefined;
  if (!wantTls) return { address: t.address, apiKey };
  const c = t.tls;
  return {
    address: t.address,
    apiKey,
    tls: {
      serverNameOverride: c?.serverName,
      serverRootCACertificate: c?.caFile ? readPem(c.caFile, 'TEMPORAL_TLS_CA') : undefined,
      clientCertPair:
        c?.certFile && c.keyFile
          ? { crt: readPem(c.certFile, 'TEMPORAL_TLS_CERT'), key: readPem(c.keyFile, 'TEMPORAL_TLS_KEY') }
          : undefined,
    },
  };
}

/**
 * gRPC reports a failed handshake as a bare "failed to connect before the deadline". This repeats
 * the handshake with Node's TLS and the same settings, to say what is wrong: an untrusted or
 * misnamed server certificate, or a client certificate the server refused.
 */
export async function diagnoseTemporalTls(
  o: TemporalConnectionOptions,
  timeoutMs = 5000,
): Promise<string | undefined> {
  if (!o.tls) return undefined;
  const [host, portText] = splitAddress(o.address);
  const pair = o.tls.clientCertPair;
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port: Number(portText),
      servername: o.tls?.serverNameOverride ?? (isIp(host) ? undefined : host),
      ca: buf(o.tls?.serverRootCACertificate),
      cert: buf(pair?.crt),
      key: buf(pair?.key),
      ALPNProtocols: ['h2'],
    });
    const done = (msg: string | undefined) => {
      socket.destroy();
      resolve(msg);
    };
    socket.setTimeout(timeoutMs, () => done(`no TLS handshake with ${o.address} within ${timeoutMs} ms`));
    socket.once('secureConnect', () => {
      // Under TLS 1.3 a server checks the client certificate after the handshake and just closes
      // the connection when it refuses it; a server that accepts it answers the HTTP/2 preface.
      socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
      socket.once('data', () => done(undefined));
      socket.once('close', () => done(clientCertRefused(o)));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => done(explainTlsError(err, o)));
  });
}

function explainTlsError(err: NodeJS.ErrnoException, o: TemporalConnectionOptions): string {
  const code = err.code ?? '';
  const name = o.tls?.serverNameOverride;
  if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code)) {
    return `Temporal's certificate at ${o.address} is not trusted (${code}): set TEMPORAL_TLS_CA to the CA that signed it`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `Temporal's certificate at ${o.address} is not for ${name ?? 'that host'}: set TEMPORAL_TLS_SERVER_NAME to a name in the certificate`;
  }
  if (
    /alert (certificate required|bad certificate|unknown ca|certificate unknown)|alert number 11[56]|alert number 4[28]/i.test(
      err.message,
    )
  ) {
    return `Temporal at ${o.address} refused the client certificate (${o.tls?.clientCertPair ? 'not signed by a CA it trusts' : 'none was sent'}): set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY to a certificate the server accepts`;
  }
  if (/wrong version number|packet length too long|ECONNRESET/i.test(`${code} ${err.message}`)) {
    return `${o.address} did not answer TLS: it may be a plain (non-TLS) port; unset TEMPORAL_TLS or use the TLS port`;
  }
  return `TLS handshake with Temporal at ${o.address} failed: ${err.message}`;
}

const clientCertRefused = (o: TemporalConnectionOptions) =>
  `Temporal at ${o.address} refused the client certificate (${o.tls?.clientCertPair ? 'not one it accepts' : 'none was sent'}): set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY to a certificate signed by a CA the server trusts`;

const buf = (b: Uint8Array | undefined) => (b ? Buffer.from(b) : undefined);
const isIp = (h: string) => /^[\d.]+$/.test(h) || h.includes(':');

function splitAddress(address: string): [string, string] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), address.slice(i + 1)];
}
