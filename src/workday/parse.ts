import type { DeadLetter } from '../domain/dead-letter';
import {
  type AnyWorkdayError,
  type HttpContext,
  WorkdayContractError,
  WorkdayTransientError,
  classifyFault,
  isWorkdayError,
  readFault,
} from './errors';
import { type MapResult, mapWorker, type RequestedSections } from './map';
import type { SchemaFamily } from './schema-family';
import type { NormalizedWorker } from '../domain/worker-record';
import { type BadChar, TreeBuilder, mayHoldNonXmlChars, replaceNonXmlChars, serialize } from './xml-tree';
import { createUtf8Decoder, INVALID_UTF8 } from './utf8';
import { localName } from './xml';
import { XmlDtdError, XmlLimitError, type XmlLimits, XmlTokenizer } from './xml-tokenizer';

/** What a Get_Workers response says about itself, plus what we counted. */
export interface ParsedPage {
  totalResults: number;
  totalPages: number;
  /** As reported. Some tenants echo Count here instead of the rows sent: use `rows`. */
  pageResultsReported: number | undefined;
  /** Response_Results/Page as reported. */
  pageReported: number | undefined;
  /** Worker elements actually present: records plus dead letters. */
  rows: number;
  records: NormalizedWorker[];
  deadLetters: DeadLetter[];
  /** Decompressed bytes parsed. */
  bytes: number;
}

export interface PageParserOptions {
  /** Called after each chunk with running totals (bytes parsed, Worker elements seen). */
  onProgress?(bytes: number, workers: number): void;
  /** Used to classify a SOAP fault found in the body. */
  faultContext?: HttpContext;
  /**
   * The Count the request asked for: a Worker past it fails the page at once (WorkdayContractError),
   * so a body of endless valid Workers is never held or delivered.
   */
  maxRows?: number;
  /** The schema family the response is in (that of WORKDAY_VERSION); v31 when absent. */
  family?: SchemaFamily;
  /** The response groups the request asked for (every one when absent): the others are not read. */
  requested?: RequestedSections;
  /** Caps on text, attributes, depth and pending markup; DEFAULT_XML_LIMITS when absent. */
  xmlLimits?: Partial<XmlLimits>;
  /**
   * Takes each valid record as soon as its Worker element closes; the parser then keeps none
   * (`records` comes back empty), so a page streams to staging instead of being held.
   */
  onRecord?(record: NormalizedWorker): void;
}

export interface PageParser {
  write(chunk: Buffer | string): void;
  /** Finishes the document; throws a transient error if it was cut short. */
  end(): ParsedPage;
}

const RESULT_FIELDS = new Set(['Total_Results', 'Total_Pages', 'Page_Results', 'Page']);
const DEFAULT_FAULT_CONTEXT: HttpContext = { endpoint: 'Workday', authMode: 'password' };

/**
 * A streaming Get_Workers response parser: SAX events, with a small tree built for one Worker at a
 * time, mapped and dropped as soon as the element closes. Memory stays bounded by the largest
 * worker however big the page, and a bad worker becomes a dead letter without touching its page.
 */
export function createPageParser(options: PageParserOptions = {}): PageParser {
  const decoder = createUtf8Decoder();
  // Local names of open elements outside the tree being captured.
  const stack: string[] = [];
  // Namespace declarations seen on ancestors, so a dead-letter fragment stands alone as XML.
  const nsDecls: Record<string, string> = {};
  const results: Record<string, string> = {};
  const records: NormalizedWorker[] = [];
  const deadLetters: DeadLetter[] = [];
  let capture: { kind: 'worker' | 'fault'; builder: TreeBuilder } | undefined;
  let rows = 0;
  let bytes = 0;
  let sawEnvelope = false;
  let envelopeClosed = false;
  let resultText: string | undefined;
  let fault: AnyWorkdayError | undefined;
  let parseError: Error | undefined;
  // Set for the rest of the page once a chunk may hold a character XML does not allow; until then
  // (every real page) the per-node character checks are skipped, the parse's largest cost after
  // tokenizing.
  let suspect = false;
  const suspectFromHere = () => {
    suspect = true;
    if (capture) capture.builder.checking = true;
  };
  const builder = () => {
    const b = new TreeBuilder();
    b.checking = suspect;
    return b;
  };

  const onOpen = (qname: string, attrs: Record<string, string>) => {
    if (capture) {
      capture.builder.open(qname, attrs);
      return;
    }
    const name = localName(qname);
    const parent = stack[stack.length - 1];
    if (attrs !== undefined)
      for (const k in attrs) if (k === 'xmlns' || k.startsWith('xmlns:')) nsDecls[k] = attrs[k]!;
    if (name === 'Worker' && parent === 'Response_Data') {
      capture = { kind: 'worker', builder: builder() };
      capture.builder.open(qname, attrs);
      return;
    }
    if (name === 'Fault' && parent === 'Body') {
      capture = { kind: 'fault', builder: builder() };
      capture.builder.open(qname, attrs);
      return;
    }
    if (stack.length === 0 && name === 'Envelope') sawEnvelope = true;
    if (parent === 'Response_Results' && RESULT_FIELDS.has(name)) resultText = '';
    stack.push(name);
  };

  const onText = (t: string) => {
    if (capture) capture.builder.text(t);
    else if (resultText !== undefined) resultText += t;
  };

  const onClose = () => {
    if (capture) {
      if (!capture.builder.close()) return;
      const root = capture.builder.root!;
      if (capture.kind === 'fault') {
        fault = classifyFault(readFault(root), options.faultContext ?? DEFAULT_FAULT_CONTEXT);
      } else {
        rows++;
        if (options.maxRows !== undefined && rows > options.maxRows) {
          throw new WorkdayContractError(
            `Workday sent more than ${options.maxRows} Worker elements on a page that asked for Count ${options.maxRows}, so the page was refused and nothing of it delivered. A proxy or a broken tenant may be answering; check WORKDAY_ENDPOINT.`,
          );
        }
        const bad = capture.builder.badChar;
        const r = mapWorker(root, options.family, options.requested);
        if (bad) deadLetters.push(badCharLetter(r, bad, serialize(root, nsDecls)));
        else if (r.ok) {
          if (options.onRecord) options.onRecord(r.record);
          else records.push(r.record);
        } else
          deadLetters.push({
            wid: r.wid,
            workerId: r.workerId,
            reason: r.reason,
            fragment: serialize(root, nsDecls),
          });
      }
      capture = undefined;
      return;
    }
    const name = stack.pop();
    if (resultText !== undefined && name) {
      results[name] = resultText.trim();
      resultText = undefined;
    }
    if (stack.length === 0 && name === 'Envelope') envelopeClosed = true;
  };

  const tokenizer = new XmlTokenizer(
    { open: onOpen, text: onText, close: onClose, nonXmlReference: suspectFromHere },
    options.xmlLimits,
  );

  const feed = (s: string) => {
    if (parseError || s === '') return;
    if (!suspect && mayHoldNonXmlChars(s)) suspectFromHere();
    try {
      tokenizer.write(s);
    } catch (err) {
      parseError = err as Error;
    }
  };

  return {
    write(chunk) {
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      feed(typeof chunk === 'string' ? chunk : decoder.write(chunk));
      if (parseError && !fault) throw parseFailure(parseError, bytes);
      options.onProgress?.(bytes, rows);
    },
    end() {
      feed(decoder.end());
      if (!parseError && envelopeClosed) {
        try {
          tokenizer.end();
        } catch (err) {
          parseError = err as Error;
        }
      }
      if (fault) throw fault;
      if (parseError) throw parseFailure(parseError, bytes);
      if (!envelopeClosed) {
        throw new WorkdayTransientError(
          `Workday's response ended before the SOAP envelope closed (${bytes} bytes, ${rows} workers received): the connection was cut mid-body. The page will be fetched again.`,
          'truncated',
          { detail: sawEnvelope ? 'envelope not closed' : 'no SOAP envelope' },
        );
      }
      const num = (k: string) => {
        const v = results[k];
        if (v === undefined || v === '') return undefined;
        const n = Number(v);
        return Number.isInteger(n) && n >= 0 ? n : undefined;
      };
      const totalResults = num('Total_Results');
      const totalPages = num('Total_Pages');
      if (totalResults === undefined || totalPages === undefined) {
        throw new WorkdayTransientError(
          'Workday returned a Get_Workers response without Response_Results/Total_Results and Total_Pages; the page will be fetched again.',
          'malformed',
        );
      }
      return {
        totalResults,
        totalPages,
        pageResultsReported: num('Page_Results'),
        pageReported: num('Page'),
        rows,
        records,
        deadLetters,
        bytes,
      };
    },
  };
}

/**
 * A record holding a character XML does not allow (a raw NUL, a lone surrogate from &#xD800;) is
 * a dead letter: PostgreSQL would refuse the whole batch. The letter itself is stored, so its
 * ids and fragment carry U+FFFD in place of those characters.
 */
const UNICODE_OF_INVALID = `U+${INVALID_UTF8.charCodeAt(0).toString(16).toUpperCase()}`;

function badCharLetter(r: MapResult, bad: BadChar, fragment: string): DeadLetter {
  const wid = r.ok ? r.record.wid : r.wid;
  const workerId = r.ok ? r.record.workerId : r.workerId;
  return {
    wid: wid === undefined ? undefined : replaceNonXmlChars(wid),
    workerId: workerId === undefined ? undefined : replaceNonXmlChars(workerId),
    reason:
      bad.code === UNICODE_OF_INVALID
        ? `${bad.path} holds bytes that are not valid UTF-8 (or the character U+FFFE), which cannot be stored faithfully (shown as U+FFFD in the fragment); correct the record in Workday`
        : `${bad.path} holds the character ${bad.code}, which XML does not allow and PostgreSQL cannot store (shown as U+FFFD in the fragment); correct the record in Workday`,
    fragment: replaceNonXmlChars(fragment),
  };
}

/** What a parse failure means for the page: refused for good (limits, DTD, too many rows) or fetched again. */
function parseFailure(err: Error, bytes: number): Error {
  if (isWorkdayError(err)) return err;
  if (err instanceof XmlDtdError) {
    return new WorkdayContractError(
      "Workday's response contains a DTD or markup declaration, which SOAP forbids and wdsync never processes; fetching it again will not change it. A proxy may be answering instead of Workday; check WORKDAY_ENDPOINT.",
      { detail: err.message },
    );
  }
  if (err instanceof XmlLimitError) {
    return new WorkdayContractError(
      `Workday's response has ${err.message} after ${bytes} bytes, past wdsync's XML limits, so the page was refused; no real Get_Workers page looks like this.`,
      { detail: err.message },
    );
  }
  return malformed(err, bytes);
}

function malformed(err: Error, bytes: number): WorkdayTransientError {
  return new WorkdayTransientError(
    `Workday's response is not well-formed XML after ${bytes} bytes (${err.message.split('\n')[0]}); the page will be fetched again.`,
    'malformed',
    { detail: err.message, cause: err },
  );
}

/** Parses a whole response held in memory (tests, replays from staging). */
export function parsePage(xml: Buffer | string, options: PageParserOptions = {}): ParsedPage {
  const p = createPageParser(options);
  p.write(xml);
  return p.end();
}
