// Parsing benchmark (issue 6, scenario 4): MB/s on one core of wdsync's streaming Get_Workers
// parse + map + validate, next to the `soap` package's own response parsing (WSDL.xmlToObject, what
// a soap client runs on every response) of the very same bytes.
//
//   npx tsx bench/parse-bench.ts [--workers 999] [--runs 5] [--source auto|simulator|fixture]
//                                [--wsdl path] [--json] [--out bench/results/parse.json]
//
// The page comes from the simulator when src/simulator is available (a real 999-worker response,
// with the simulator's own WSDL), else from the test fixture generator with Workday's published WSDL
// (../shared/workday). Both parsers get the whole body in memory, so only parsing is measured.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as soap from 'soap';
import { compareParsers, soapParserFromUrl, type XmlToObject } from '../src/bench/parse';
import { envelopeXml, syntheticWorker, workerXml } from '../test/workday/fixtures/worker-xml';

interface Args {
  workers: number;
  runs: number;
  source: 'auto' | 'simulator' | 'fixture';
  wsdl?: string;
  json: boolean;
  out?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { workers: 999, runs: 5, source: 'auto', json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--workers') args.workers = Number(next());
    else if (a === '--runs') args.runs = Number(next());
    else if (a === '--source') args.source = next() as Args['source'];
    else if (a === '--wsdl') args.wsdl = next();
    else if (a === '--json') args.json = true;
    else if (a === '--out') args.out = next();
    else throw new Error(`unknown argument ${a}; see the header of bench/parse-bench.ts`);
  }
  if (!Number.isInteger(args.workers) || args.workers < 1 || args.workers > 999)
    throw new Error('--workers must be 1..999');
  if (!Number.isInteger(args.runs) || args.runs < 1) throw new Error('--runs must be a positive integer');
  return args;
}

interface Page {
  source: string;
  body: Buffer;
  wsdl: () => Promise<XmlToObject>;
  close(): Promise<void>;
}

const SHARED_WSDL = path.resolve(__dirname, '../../shared/workday/Human_Resources_v31.2.wsdl');

async function wsdlFromFile(file: string) {
  if (!existsSync(file))
    throw new Error(`WSDL not found at ${file}; pass --wsdl <path to a Human_Resources WSDL>`);
  const wsdl = new soap.WSDL(readFileSync(file, 'utf8'), `file://${file}`, {});
  await new Promise<void>((resolve, reject) =>
    wsdl.onReady((err?: Error) => (err ? reject(err) : resolve())),
  );
  return wsdl as unknown as XmlToObject;
}

async function fromSimulator(args: Args): Promise<Page | undefined> {
  const entry = path.resolve(__dirname, '../src/simulator/index.ts');
  if (!existsSync(entry)) return undefined;
  const sim = await import(entry);
  if (typeof sim.startSimulator !== 'function') return undefined;
  const s = await sim.startSimulator({ workers: Math.max(args.workers, 1000), seed: 42, port: 0 });
  try {
    const { createWorkdayClient } = await import('../src/workday/client');
    const { parseWorkdayConfig } = await import('../src/workday/config');
    const client = createWorkdayClient(
      parseWorkdayConfig({
        endpoint: s.endpoint,
        username: s.credentials.username,
        password: s.credentials.password,
      }),
    );
    const chunks: Buffer[] = [];
    const now = new Date();
    await client.getWorkersPage(
      {
        page: 1,
        count: args.workers,
        asOf: { entryMoment: now.toISOString(), effectiveDate: now.toISOString().slice(0, 10) },
      },
      { onRawChunk: (c) => chunks.push(c) },
    );
    client.close();
    return {
      source: `simulator (${s.endpoint})`,
      body: Buffer.concat(chunks),
      wsdl: () => soapParserFromUrl(`${s.endpoint}?wsdl`),
      close: async () => s.close(),
    };
  } catch (err) {
    await s.close();
    throw err;
  }
}

function fromFixture(args: Args): Page {
  const workers = Array.from({ length: args.workers }, (_, i) => workerXml(syntheticWorker(i)));
  return {
    source: 'generated fixture (test/workday/fixtures/worker-xml.ts)',
    body: Buffer.from(
      envelopeXml({ workers, page: 1, count: args.workers, totalResults: args.workers * 10 }),
    ),
    wsdl: () => wsdlFromFile(args.wsdl ?? SHARED_WSDL),
    close: async () => {},
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let page: Page | undefined;
  if (args.source !== 'fixture') {
    try {
      page = await fromSimulator(args);
    } catch (err) {
      if (args.source === 'simulator') throw err;
      console.error(
        `simulator unavailable (${(err as Error).message.split('\n')[0]}); using a generated page`,
      );
    }
    if (!page && args.source === 'simulator')
      throw new Error('src/simulator/index.ts does not export startSimulator yet');
  }
  page ??= fromFixture(args);

  try {
    const body = page.body;
    const cmp = compareParsers(body, await page.wsdl(), args.runs);
    const { wdsync, soap: soapPkg } = cmp;

    const result = {
      benchmark: 'parse',
      at: new Date().toISOString(),
      node: process.version,
      source: page.source,
      pageBytes: body.length,
      workers: cmp.workers,
      records: cmp.records,
      deadLetters: cmp.deadLetters,
      wdsync,
      soap: soapPkg,
      ratio: cmp.ratio,
      target: cmp.target,
    };

    if (args.out) {
      mkdirSync(path.dirname(args.out), { recursive: true });
      writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
    }
    if (args.json) {
      console.log(JSON.stringify(result));
      return;
    }
    const f = (n: number) => n.toFixed(1).padStart(8);
    console.log(
      `page: ${(body.length / 1e6).toFixed(2)} MB, ${cmp.workers} workers (${cmp.deadLetters} dead letters) from ${page.source}`,
    );
    console.log('parser                                  MB/s (wall)  MB/s (CPU)  ms/page');
    console.log(
      `wdsync streaming parse+map+validate    ${f(wdsync.mbPerSecWall)}    ${f(wdsync.mbPerSecCpu)}  ${f(wdsync.msPerPage)}`,
    );
    console.log(
      `soap WSDL.xmlToObject                  ${f(soapPkg.mbPerSecWall)}    ${f(soapPkg.mbPerSecCpu)}  ${f(soapPkg.msPerPage)}`,
    );
    console.log(
      `ratio (CPU MB/s): ${result.ratio.toFixed(1)}x  (target ≥ ${result.target}x) ${result.ratio >= result.target ? 'OK' : 'MISSED'}`,
    );
  } finally {
    await page.close();
  }
}

main().catch((err) => {
  console.error(`parse-bench: ${(err as Error).message}`);
  process.exit(1);
});
