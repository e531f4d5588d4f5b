import * as soap from 'soap';
import { createPageParser } from '../workday/parse';

/**
 * Parsing benchmark (issue 6, scenario 4), shared by `wdsync bench` and bench/parse-bench.ts:
 * MB/s on one core of wdsync's streaming Get_Workers parse + map + validate, next to the `soap`
 * package's own response parsing (WSDL.xmlToObject, what a soap client runs on every response) of
 * the very same bytes. Both get the whole body in memory, so only parsing is measured.
 */

export interface ParseMeasure {
  mbPerSecWall: number;
  /** MB per second of process CPU time: MB/s per core (parsing is single-threaded). */
  mbPerSecCpu: number;
  msPerPage: number;
  runs: number;
}

export interface ParseComparison {
  pageBytes: number;
  workers: number;
  records: number;
  deadLetters: number;
  wdsync: ParseMeasure;
  soap: ParseMeasure;
  /** wdsync MB/s per core over soap's. */
  ratio: number;
  target: number;
}

export interface XmlToObject {
  xmlToObject(xml: string): unknown;
}

/** Runs `fn` once to warm up, then `runs` times; MB/s over wall time and over process CPU time. */
export function measure(bytes: number, runs: number, fn: () => void): ParseMeasure {
  fn();
  (globalThis as { gc?: () => void }).gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) fn();
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const mb = (bytes * runs) / 1e6;
  return { mbPerSecWall: mb / wallS, mbPerSecCpu: mb / cpuS, msPerPage: (wallS * 1000) / runs, runs };
}

/** The soap package's parser for a service, from its WSDL URL (e.g. `${endpoint}?wsdl`). */
export async function soapParserFromUrl(wsdlUrl: string): Promise<XmlToObject> {
  const c = await soap.createClientAsync(wsdlUrl);
  return c.wsdl as unknown as XmlToObject;
}

/** Measures both parsers on one response body. soap is slow, so it runs a third as often. */
export function compareParsers(body: Buffer, wsdl: XmlToObject, runs: number): ParseComparison {
  const xml = body.toString('utf8');
  const check = createPageParser();
  check.write(body);
  const parsed = check.end();

  const wdsync = measure(body.length, runs, () => {
    // Network-sized chunks, as the client sees them.
    const p = createPageParser();
    for (let i = 0; i < body.length; i += 65536) p.write(body.subarray(i, i + 65536));
    p.end();
  });
  const soapPkg = measure(body.length, Math.max(1, Math.ceil(runs / 3)), () => {
    wsdl.xmlToObject(xml);
  });
  return {
    pageBytes: body.length,
    workers: parsed.rows,
    records: parsed.records.length,
    deadLetters: parsed.deadLetters.length,
    wdsync,
    soap: soapPkg,
    ratio: wdsync.mbPerSecCpu / soapPkg.mbPerSecCpu,
    target: 5,
  };
}
