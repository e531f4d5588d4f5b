import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WdsyncConfig } from '../../src/config/config';
import { buildDeps } from '../../src/deps';
import { createWorkdayClient } from '../../src/workday/client';
import { parseWorkdayConfig } from '../../src/workday/config';
import { startWorkers } from '../../src/worker';
import { createHarness, type Harness, sinkRows } from '../helpers/harness';
import { makeTestPki, startTlsProxy, type TestPki, type TlsProxy } from '../helpers/tls';

const WORKERS = 300;
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!);
const oneLine = (r: { code: number; stderr: string }, re: RegExp) => {
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0]!, re);
};

/**
 * Temporal over TLS and mTLS, and Workday over HTTPS with a private CA and a client certificate:
 * real TLS, terminated by nginx in front of the dev server and the simulator, with a test CA.
 */
describe('TLS to Temporal and Workday (nginx TLS proxies, test CA)', () => {
  let h: Harness;
  let pki: TestPki;
  let other: TestPki;
  let temporalTls: TlsProxy;
  let temporalMtls: TlsProxy;
  let workdayMtls: TlsProxy;
  let httpsEndpoint: string;
  const proxies: TlsProxy[] = [];

  before(async () => {
    h = await createHarness({ workers: WORKERS });
    pki = makeTestPki(path.join(h.dir, 'pki'), 'wdsync-test-ca', 'temporal.test');
    other = makeTestPki(path.join(h.dir, 'pki-other'), 'another-ca', 'temporal.test');
    const proxy = (upstream: string, extra: { clientCa?: string; h2?: boolean }) =>
      startTlsProxy({ dir: h.dir, upstream, cert: pki.serverCert, key: pki.serverKey, ...extra }).then(
        (p) => {
          proxies.push(p);
          return p;
        },
      );
    temporalTls = await proxy(h.server.address, { h2: true });
    temporalMtls = await proxy(h.server.address, { h2: true, clientCa: pki.ca });
    const sim = new URL(h.sim.endpoint);
    workdayMtls = await proxy(sim.host, { clientCa: pki.ca });
    httpsEndpoint = `https://127.0.0.1:${workdayMtls.port}${sim.pathname}`;
  });
  after(async () => {
    for (const p of proxies) await p.close();
    await h?.close();
  });

  const tlsEnv = (address: string, extra: Record<string, string> = {}) => ({
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TLS_CA: pki.ca,
    TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
    ...extra,
  });

  test('the CLI reaches Temporal through TLS with the CA and server name from config', async () => {
    const r = await h.cli(['runs', '--json'], tlsEnv(temporalTls.address));
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Array.isArray(JSON.parse(r.stdout.trim())));
  });

  test('a server certificate from an untrusted CA is one line naming TEMPORAL_TLS_CA', async () => {
    oneLine(
      await h.cli(['runs'], tlsEnv(temporalTls.address, { TEMPORAL_TLS_CA: other.ca })),
      /not trusted .*set TEMPORAL_TLS_CA/,
    );
  });

  test('TLS asked of a plain port says so', async () => {
    oneLine(await h.cli(['runs'], tlsEnv(h.server.address)), /did not answer TLS/);
  });

  test('mTLS: without a client certificate, or with one from another CA, the server refuses it, clearly', async () => {
    oneLine(
      await h.cli(['runs'], tlsEnv(temporalMtls.address)),
      /refused the client certificate \(none was sent\)/,
    );
    oneLine(
      await h.cli(
        ['runs'],
        tlsEnv(temporalMtls.address, {
          TEMPORAL_TLS_CERT: other.clientCert,
          TEMPORAL_TLS_KEY: other.clientKey,
        }),
      ),
      /refused the client certificate/,
    );
  });

  test('Workday over HTTPS: an untrusted certificate and a missing client certificate are config errors that name the setting', async () => {
    const asOf = {
      entryMoment: new Date().toISOString(),
      effectiveDate: new Date().toISOString().slice(0, 10),
    };
    const base = {
      endpoint: httpsEndpoint,
      username: h.sim.credentials.username,
      password: h.sim.credentials.password,
      timeoutMs: 10_000,
    };
    const untrusted = createWorkdayClient(parseWorkdayConfig(base));
    await assert.rejects(
      untrusted.getWorkersPage({ page: 1, count: 10, asOf }),
      (e: Error & { kind?: string }) => {
        assert.equal(e.kind, 'config');
        assert.match(e.message, /not trusted .*WORKDAY_CA_FILE/);
        return true;
      },
    );
    untrusted.close();
    const noClientCert = createWorkdayClient(parseWorkdayConfig({ ...base, caFile: pki.ca }));
    await assert.rejects(
      noClientCert.getWorkersPage({ page: 1, count: 10, asOf }),
      (e: Error & { kind?: string }) => {
        // TLS 1.3: the server resets after the handshake, which looks like any reset, so it stays
        // retryable, with the hint.
        assert.equal(e.kind, 'transient');
        assert.match(e.message, /ECONNRESET.*set WORKDAY_CLIENT_CERT_FILE and WORKDAY_CLIENT_KEY_FILE/);
        return true;
      },
    );
    noClientCert.close();
    const good = createWorkdayClient(
      parseWorkdayConfig({
        ...base,
        caFile: pki.ca,
        clientCertFile: pki.clientCert,
        clientKeyFile: pki.clientKey,
      }),
    );
    const page = await good.getWorkersPage({ page: 1, count: 10, asOf });
    assert.equal(page.records.length, 10);
    good.close();
  });

  test('a whole run over mTLS: worker and CLI to Temporal, worker to Workday over HTTPS with a client certificate', async () => {
    const temporal: WdsyncConfig['temporal'] = {
      ...h.cfg.temporal,
      address: temporalMtls.address,
      tls: {
        enabled: true,
        caFile: pki.ca,
        certFile: pki.clientCert,
        keyFile: pki.clientKey,
        serverName: 'temporal.test',
      },
    };
    const wrongCa = { ...h.cfg, temporal: { ...temporal, tls: { ...temporal.tls!, caFile: other.ca } } };
    const wrongDeps = await buildDeps(wrongCa);
    await assert.rejects(
      startWorkers({ cfg: wrongCa, deps: wrongDeps.activities }),
      /not trusted .*TEMPORAL_TLS_CA/,
    );
    await wrongDeps.close();

    const cfg: WdsyncConfig = {
      ...h.cfg,
      temporal,
      workday: {
        ...h.cfg.workday,
        endpoint: httpsEndpoint,
        caFile: pki.ca,
        clientCertFile: pki.clientCert,
        clientKeyFile: pki.clientKey,
      },
    };
    const deps = await buildDeps(cfg);
    const workers = await startWorkers({ cfg, deps: deps.activities });
    try {
      const r = await h.cli(
        ['start', '--page-size', '100', '--wait', '--json'],
        tlsEnv(temporalMtls.address, {
          TEMPORAL_TLS_CERT: pki.clientCert,
          TEMPORAL_TLS_KEY: pki.clientKey,
          // The run is pinned to the connection the workers serve: Workday through the proxy.
          WORKDAY_ENDPOINT: httpsEndpoint,
          WORKDAY_CA_FILE: pki.ca,
          WORKDAY_CLIENT_CERT_FILE: pki.clientCert,
          WORKDAY_CLIENT_KEY_FILE: pki.clientKey,
        }),
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(lastJson(r.stdout).status, 'COMPLETED');
      assert.equal([...(await sinkRows(h.schema)).values()].filter((x) => !x.removed).length, WORKERS);
    } finally {
      await workers.shutdown();
      await deps.close();
    }
  });
});
