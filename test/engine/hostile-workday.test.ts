/**
 * A hostile Workday over real HTTP, against a real Temporal dev server, real PostgreSQL and the
 * real Workday client (issue 21, items 3 to 6 and 8). The server is a few lines of node:http
 * started here; which lie it tells is set before each run. What it proves:
 * - a page with endless valid Workers past its Count fails at once (WorkdayContractViolation,
 *   one attempt), nothing of it reaches a sink, and the worker process lives on;
 * - a gzip bomb (1 MB on the wire, 1 GB inflated) fails its page under the default cap;
 * - a raw NUL and a lone surrogate cost their two records (dead letters with a reason), the
 *   other eight are delivered to PostgreSQL and the JSONL file;
 * - a 1.8 MB fault quoting a worker reaches history, the webhook, pages.error and `audit run`
 *   bounded to about 1 KB, without the name or the email;
 * - a DTD fails its page on the first attempt;
 * - `start --wait --json` prints one JSON object for a run that fails outright.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import { buildDeps, type Deps } from '../../src/deps';
import { MAX_ERROR_TEXT } from '../../src/errors/bound';
import { startSync } from '../../src/runs/start';
import { startWorkers, type WorkerHandle } from '../../src/worker';
import { hugeFault } from '../helpers/hostile';
import { createHarness, type Harness, sinkRows } from '../helpers/harness';
import { historyText } from '../helpers/history';
import { startWebhookReceiver } from '../helpers/webhook-receiver';
import { envelopeXml, syntheticWorker, workerXml } from '../workday/fixtures/worker-xml';

type Mode = 'good' | 'flood' | 'bomb' | 'badchars' | 'fault' | 'fault200' | 'dtd' | 'liar';

const TOTAL = 10;
const people = Array.from({ length: TOTAL }, (_, i) => syntheticWorker(i + 1));
const xmlOf = (count: number, totalResults = TOTAL) =>
  envelopeXml({ workers: people.slice(0, count).map((w) => workerXml(w)), page: 1, count, totalResults });

/**
 * 1 GB of small, well-formed elements inside the Body as 1,024 gzip members of 1 MB each: about
 * 1 MB on the wire, and no text node or markup long enough to trip the tokenizer's own caps.
 */
function gzipBomb(): Buffer {
  const head = zlib.gzipSync(
    '<?xml version="1.0"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body>',
  );
  const member = zlib.gzipSync(`<a>${'x'.repeat(1017)}</a>`.repeat(1024), { level: 9 });
  return Buffer.concat([head, ...Array.from({ length: 1024 }, () => member)]);
}

function startHostileWorkday() {
  let mode: Mode = 'good';
  const pageRequests: Record<string, number> = {};
  const bomb = gzipBomb();
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts).toString();
      const count = Number(/<(?:[\w-]+:)?Count>(\d+)</.exec(body)?.[1] ?? 0);
      const send = (status: number, xml: string | Buffer, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'Content-Type': 'text/xml; charset=utf-8', ...headers });
        res.end(xml);
      };
      // The one-row count request of every run is answered truthfully (but for the liar).
      if (count === 1) return send(200, xmlOf(1, mode === 'liar' ? 99_999_999_999 : TOTAL));
      pageRequests[mode] = (pageRequests[mode] ?? 0) + 1;
      switch (mode) {
        case 'flood': {
          // Valid Workers for ever (well, 200,000), until the client hangs up.
          res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' });
          const full = xmlOf(TOTAL);
          const cut = full.indexOf('</wd:Response_Data>');
          res.write(full.slice(0, cut));
          const batch = Array.from({ length: 100 }, (_, i) => workerXml(syntheticWorker(1000 + i))).join('');
          let sent = 0;
          const pump = () => {
            while (sent < 2000 && !res.destroyed) {
              sent++;
              if (!res.write(batch)) return res.once('drain', pump);
            }
            res.end(full.slice(cut));
          };
          res.on('close', () => {
            sent = Number.POSITIVE_INFINITY;
          });
          return pump();
        }
        case 'bomb':
          return send(200, bomb, { 'Content-Encoding': 'gzip' });
        case 'badchars': {
          const rows = people.map((w, i) =>
            i === 2
              ? workerXml({ ...w, first: 'Ev\u0000e' })
              : i === 6
                ? workerXml({ ...w, last: 'SURROGATE' }).replace('SURROGATE', 'X&#xD800;Y')
                : workerXml(w),
          );
          return send(200, envelopeXml({ workers: rows, page: 1, count, totalResults: TOTAL }));
        }
        case 'fault':
          // Workday's own way: HTTP 500. Under the 1 MB wdsync reads of an error body.
          return send(500, hugeFault(900_000));
        case 'fault200':
          // A proxy's way: a fault inside HTTP 200, read by the streaming page parser.
          return send(200, hugeFault());
        case 'dtd':
          return send(200, `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]>${xmlOf(TOTAL)}`);
        default:
          return send(200, xmlOf(count));
      }
    });
  });
  return new Promise<{
    endpoint: string;
    setMode(m: Mode): void;
    pageRequests: Record<string, number>;
    close(): void;
  }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ccx/service/acme/Human_Resources/v44.0`,
        setMode: (m) => {
          mode = m;
        },
        pageRequests,
        close: () => {
          server.closeAllConnections();
          server.close();
        },
      }),
    ),
  );
}

describe('a hostile Workday over HTTP (real Temporal, real PostgreSQL)', { timeout: 400_000 }, () => {
  let h: Harness;
  let deps: Deps;
  let workers: WorkerHandle;
  let wd: Awaited<ReturnType<typeof startHostileWorkday>>;
  let hook: Awaited<ReturnType<typeof startWebhookReceiver>>;

  before(async () => {
    wd = await startHostileWorkday();
    hook = await startWebhookReceiver();
    h = await createHarness({
      workers: 1,
      config: {
        workday: { endpoint: wd.endpoint, username: 'isu_wdsync@acme', password: 'wdsync' },
        notify: { webhookUrl: hook.url },
      },
    });
    deps = await buildDeps(h.cfg);
    workers = await startWorkers({ cfg: h.cfg, deps: deps.activities });
  });
  after(async () => {
    await workers?.shutdown().catch(() => {});
    await deps?.close().catch(() => {});
    await h?.close();
    hook?.close();
    wd?.close();
  });

  /** One run of one page against the current lie; a short retry policy so a regression ends quickly. */
  async function run(mode: Mode) {
    wd.setMode(mode);
    const runId = `${mode}-${Date.now()}`;
    const { handle } = await startSync(h.client, h.cfg, {
      runId,
      pageSize: TOTAL,
      recovery: { passes: 0, cooldownSeconds: 1 },
      tuning: { workdayInitialIntervalMs: 200, workdayMaximumAttempts: 3 },
    });
    return { runId, summary: await handle.result() };
  }

  async function pageFailure(runId: string) {
    const pages = await deps.audit.runPages(runId);
    const row = pages.find((p) => p.page === 1);
    assert.ok(row, `page 1 of ${runId} is recorded`);
    return row;
  }

  test('more Workers than Count: the page fails at once, no sink sees any of it', async () => {
    const before = (await sinkRows(h.schema)).size;
    const { runId, summary } = await run('flood');
    assert.equal(summary.status, 'COMPLETED_WITH_FAILURES');
    assert.deepEqual(summary.failedPages, [1]);
    assert.equal(wd.pageRequests.flood, 1, 'not retried');
    const row = await pageFailure(runId);
    assert.equal(row.status, 'failed');
    assert.match(row.error ?? '', /WorkdayContractViolation: .*more than 10 Worker elements/);
    assert.equal((await sinkRows(h.schema)).size, before);
  });

  test('a gzip bomb fails its page under the default cap', async () => {
    const { runId, summary } = await run('bomb');
    assert.deepEqual(summary.failedPages, [1]);
    assert.equal(wd.pageRequests.bomb, 1, 'not retried');
    const row = await pageFailure(runId);
    assert.match(
      row.error ?? '',
      /larger than 134217728 bytes once decompressed.*WORKDAY_MAX_RESPONSE_BYTES/,
    );
  });

  test('a NUL and a lone surrogate dead-letter two records; the other eight are delivered', async () => {
    const { runId, summary } = await run('badchars');
    assert.equal(summary.status, 'COMPLETED', JSON.stringify(summary));
    assert.equal(summary.workersFetched, TOTAL);
    assert.equal(summary.deadLettered, 2);
    const letters = await deps.audit.listDeadLetters({ runId });
    assert.deepEqual(
      letters.map((l) => l.workerId).sort(),
      [people[2]!.workerId, people[6]!.workerId].sort(),
    );
    for (const l of letters) assert.match(l.reason, /holds the character U\+(0000|D800)/);
    const rows = await sinkRows(h.schema);
    for (const [i, w] of people.entries()) {
      const row = rows.get(w.wid);
      if (i === 2 || i === 6) assert.equal(row, undefined, `dead letter ${i + 1} is not in PostgreSQL`);
      else assert.ok(row, `worker ${i + 1} in PostgreSQL`);
    }
    const jsonl = readFileSync(path.join(h.dir, 'jsonl', 'workers.jsonl'), 'utf8');
    assert.equal(jsonl.trim().split('\n').length, 8);
    assert.doesNotMatch(jsonl, /\\u0000|\\ud800/i);
  });

  for (const mode of ['fault', 'fault200'] as const)
    test(`a ${mode === 'fault' ? '900 KB fault (HTTP 500)' : '1.8 MB fault (HTTP 200)'} quoting a worker is bounded and stripped everywhere it goes`, async () => {
      const { runId, summary } = await run(mode);
      assert.deepEqual(summary.failedPages, [1]);
      const clean = (text: string, what: string) => {
        assert.ok(!text.includes('Jane Doe'), `${what} quotes the name`);
        assert.ok(!text.includes('jane.doe@example.com'), `${what} holds the email`);
      };
      const row = await pageFailure(runId);
      assert.ok((row.error ?? '').length <= MAX_ERROR_TEXT, `pages.error is ${row.error?.length} chars`);
      assert.match(row.error ?? '', /WorkdayValidationError: .*Employee_ID/);
      clean(row.error ?? '', 'pages.error');
      for (const id of [runId, `${runId}/page-1`]) {
        const history = await h.client.workflow.getHandle(id).fetchHistory();
        const text = historyText(history);
        clean(text, `history of ${id}`);
        assert.ok(text.length < 200_000, `history of ${id} is ${text.length} chars`);
      }
      const event = await (async () => {
        for (let i = 0; i < 100; i++) {
          const e = hook.events.find((x) => x.type === 'page.failed' && x.runId === runId);
          if (e) return e;
          await new Promise((r) => setTimeout(r, 100));
        }
        return undefined;
      })();
      assert.ok(event, 'a page.failed webhook');
      assert.ok(String(event.error).length <= MAX_ERROR_TEXT);
      clean(JSON.stringify(event), 'webhook');
      const audit = await h.cli(['audit', 'run', runId]);
      assert.equal(audit.code, 0, audit.stderr);
      clean(audit.stdout, '`audit run`');
      assert.ok(audit.stdout.length < 20_000, `audit run printed ${audit.stdout.length} chars`);
    });

  test('a DTD fails its page on the first attempt', async () => {
    const { runId, summary } = await run('dtd');
    assert.deepEqual(summary.failedPages, [1]);
    assert.equal(wd.pageRequests.dtd, 1, 'a DTD is not retried');
    assert.match((await pageFailure(runId)).error ?? '', /WorkdayContractViolation: .*DTD/);
  });

  test('`start --wait --json` prints one JSON object for a run that fails outright', async () => {
    wd.setMode('liar');
    const r = await h.cli([
      'start',
      '--run-id',
      `liar-cli-${Date.now()}`,
      '--page-size',
      '999',
      '--wait',
      '--json',
    ]);
    assert.equal(r.code, 2, r.stderr);
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    assert.equal(last.status, 'FAILED');
    assert.match(last.error, /Total_Results 99999999999/);
  });

  test('the worker process survived all of it: a good run completes', async () => {
    const { summary } = await run('good');
    assert.equal(summary.status, 'COMPLETED');
    assert.equal(summary.workersFetched, TOTAL);
  });
});
