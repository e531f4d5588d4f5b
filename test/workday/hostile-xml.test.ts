/**
 * A hostile Get_Workers body through the real parser (issue 21, items 3, 4, 5 and 8; issue 12
 * item 7): each shape is refused with a clear, typed error, or costs one record, never the page,
 * the process, or time quadratic in its size.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPageParser, parsePage } from '../../src/workday/parse';
import { createUtf8Decoder, INVALID_UTF8 } from '../../src/workday/utf8';
import { type XNode, serialize } from '../../src/workday/xml-tree';
import { XmlLimitError, XmlTokenizer } from '../../src/workday/xml-tokenizer';
import { envelopeXml, syntheticWorker, workerXml } from './fixtures/worker-xml';

const page = (workers: string[], count = 999, totalResults = workers.length) =>
  envelopeXml({ workers, page: 1, count, totalResults });

const contract = (pattern: RegExp) => (e: unknown) => {
  const err = e as { kind?: string; message?: string };
  assert.equal(err.kind, 'contract', `a contract violation, got ${err.kind}: ${err.message}`);
  assert.match(err.message ?? '', pattern);
  return true;
};

/** Feeds a document in 256 KB chunks, as the transport does. */
function feed(parser: ReturnType<typeof createPageParser>, xml: string, chunk = 256 * 1024) {
  for (let i = 0; i < xml.length; i += chunk) parser.write(xml.slice(i, i + chunk));
  return parser.end();
}

describe('hostile Get_Workers bodies', () => {
  test('more Workers than Count: refused as they arrive, before the body ends', () => {
    const workers = Array.from({ length: 30 }, (_, i) => workerXml(syntheticWorker(i + 1)));
    const parser = createPageParser({ maxRows: 10 });
    const xml = page(workers, 10);
    let written = 0;
    assert.throws(
      () => {
        for (let i = 0; i < xml.length; i += 1024) {
          parser.write(xml.slice(i, i + 1024));
          written += 1024;
        }
      },
      contract(/more than 10 Worker elements.*Count 10/),
    );
    assert.ok(written < xml.length * 0.6, `stopped early: ${written} of ${xml.length} chars read`);
    // Exactly Count is fine.
    assert.equal(parsePage(page(workers.slice(0, 10), 10), { maxRows: 10 }).records.length, 10);
  });

  test('a DTD is a permanent fault, not a transient one', () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE env:Envelope [<!ENTITY x SYSTEM "file:///etc/passwd">]>${page([])}`;
    assert.throws(() => parsePage(xml), contract(/DTD/));
  });

  test('a raw NUL or a lone surrogate costs its record only, with a clear reason', () => {
    const good = [1, 2, 3, 4].map((i) => workerXml(syntheticWorker(i)));
    const nul = workerXml({ ...syntheticWorker(5), first: 'Ev\u0000e' });
    const surrogate = workerXml({ ...syntheticWorker(6), last: 'SURROGATE' }).replace(
      'SURROGATE',
      'X&#xD800;Y',
    );
    const zero = workerXml({ ...syntheticWorker(7), first: 'ZERO' }).replace('ZERO', 'a&#0;b');
    const body = Buffer.from(page([good[0]!, nul, good[1]!, surrogate, good[2]!, zero, good[3]!]));
    // Whole, and in chunks: the parser checks characters only once a chunk (or a character
    // reference) may hold a bad one, so each must be found however the page is cut.
    for (const size of [1, 7, 1000, 4096]) {
      const p = createPageParser();
      for (let i = 0; i < body.length; i += size) p.write(body.subarray(i, i + size));
      const r = p.end();
      assert.deepEqual(
        r.deadLetters.map((l) => [l.workerId, l.reason.match(/U\+[0-9A-F]{4}/)?.[0]]),
        [
          [syntheticWorker(5).workerId, 'U+0000'],
          [syntheticWorker(6).workerId, 'U+D800'],
          [syntheticWorker(7).workerId, 'U+0000'],
        ],
        `chunks of ${size}`,
      );
      assert.equal(r.records.length, 4, `chunks of ${size}`);
    }
    const r = parsePage(body);
    assert.equal(r.rows, 7);
    assert.deepEqual(
      r.records.map((x) => x.workerId),
      [1, 2, 3, 4].map((i) => syntheticWorker(i).workerId),
    );
    assert.equal(r.deadLetters.length, 3);
    const [a, b, c] = r.deadLetters;
    assert.equal(a!.workerId, syntheticWorker(5).workerId);
    assert.match(a!.reason, /First_Name holds the character U\+0000/);
    assert.match(b!.reason, /holds the character U\+D800/);
    assert.match(c!.reason, /U\+0000/);
    for (const l of r.deadLetters) {
      // What is stored is storable: PostgreSQL refuses NUL and lone surrogates.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what is checked for
      assert.doesNotMatch(l.fragment, /[\u0000\uD800-\uDFFF]/u);
      assert.doesNotMatch(JSON.stringify(l), /\\u0000|\\ud8/i);
      assert.match(l.fragment, /\uFFFD/);
    }
  });

  test('bytes that are not UTF-8 cost their record only; real characters split across chunks, and a real U+FFFD, arrive intact', () => {
    const marker = (i: number, first: string) => workerXml({ ...syntheticWorker(i), first });
    const xml = page([
      marker(1, 'Ren\u00e9e \u{1F600}'),
      marker(2, 'BAD1'),
      marker(3, 'Kept \uFFFD as sent'),
      marker(4, 'BAD2'),
      marker(5, 'BAD3'),
      marker(6, '\u4e2d\u6587'),
    ]);
    const bad: Record<string, number[]> = {
      BAD1: [0x41, 0xc3, 0x28, 0x42], // a lead byte without its continuation
      BAD2: [0xc0, 0xaf, 0xff], // an overlong '/' and a byte UTF-8 never uses
      BAD3: [0xed, 0xa0, 0x80], // a surrogate encoded as if it were a character
    };
    // Every place the name appears (legal, formatted, reporting name) gets the same bytes.
    const body = Buffer.concat(
      xml.split(/(BAD[123])/).map((part) => (bad[part] ? Buffer.from(bad[part]) : Buffer.from(part))),
    );
    for (const size of [1, 7, 4096, body.length]) {
      const parser = createPageParser();
      for (let i = 0; i < body.length; i += size) parser.write(body.subarray(i, i + size));
      const r = parser.end();
      assert.equal(r.rows, 6, `chunks of ${size}`);
      assert.deepEqual(
        r.records.map((x) => x.personal?.legalName?.first),
        ['Ren\u00e9e \u{1F600}', 'Kept \uFFFD as sent', '\u4e2d\u6587'],
        `chunks of ${size}: valid text decoded whole`,
      );
      assert.deepEqual(
        r.deadLetters.map((l) => l.workerId),
        [2, 4, 5].map((i) => syntheticWorker(i).workerId),
      );
      for (const l of r.deadLetters) {
        assert.match(l.reason, /holds bytes that are not valid UTF-8/);
        assert.doesNotMatch(l.fragment, /\uFFFE/);
      }
    }
  });

  test('the decoder: a character split over chunks waits for its end; one never finished is not UTF-8', () => {
    const d = createUtf8Decoder();
    const euro = Buffer.from('\u20ac');
    assert.equal(d.write(Buffer.concat([Buffer.from('a'), euro.subarray(0, 1)])), 'a');
    assert.equal(d.write(euro.subarray(1, 2)), '');
    assert.equal(d.write(Buffer.concat([euro.subarray(2), Buffer.from('b')])), '\u20acb');
    assert.equal(d.write(euro.subarray(0, 2)), '');
    assert.equal(d.end(), `${INVALID_UTF8}${INVALID_UTF8}`);
    assert.equal(
      createUtf8Decoder().write(Buffer.from([0x80, 0x41])),
      `${INVALID_UTF8}A`,
      'a stray continuation byte',
    );
  });

  test('a text node of 50 MB costs linear time; the default cap refuses it', () => {
    const big = 'x'.repeat(50 * 1024 * 1024);
    let seen = 0;
    const t = new XmlTokenizer(
      { open() {}, close() {}, text: (s) => (seen += s.length) },
      { maxTextChars: 64 * 1024 * 1024 },
    );
    const started = Date.now();
    t.write('<a>');
    for (let i = 0; i < big.length; i += 256 * 1024) t.write(big.slice(i, i + 256 * 1024));
    t.write('</a>');
    const ms = Date.now() - started;
    assert.equal(seen, big.length);
    // Quadratic rescanning took 18 s here; linear is well under a second.
    assert.ok(ms < 4000, `${ms} ms for 50 MB of text`);
    const xml = page([`<wd:Worker><wd:Note>${big}</wd:Note></wd:Worker>`]);
    assert.throws(() => feed(createPageParser(), xml), contract(/text node longer than 8388608/));
  });

  test('text handed on as it arrives is the same text, however the chunks split entities and CR LF', () => {
    const doc = '<a>one\r\ntwo &amp; three &#x263A;&#65;\rfour&lt;</a>';
    const textOf = (chunk: number) => {
      let out = '';
      const t = new XmlTokenizer({ open() {}, close() {}, text: (s) => (out += s) });
      for (let i = 0; i < doc.length; i += chunk) t.write(doc.slice(i, i + chunk));
      t.end();
      return out;
    };
    for (let size = 1; size <= doc.length; size++)
      assert.equal(textOf(size), 'one\ntwo & three \u263AA\nfour<', `chunk ${size}`);
  });

  test('a huge attribute, deep nesting and unterminated markup hit their caps', () => {
    const attr = page([
      workerXml(syntheticWorker(1)).replace('<wd:Worker>', `<wd:Worker x="${'a'.repeat(2 << 20)}">`),
    ]);
    assert.throws(() => feed(createPageParser(), attr), contract(/attribute longer than 1048576/));
    const deep = page([`<wd:Worker>${'<wd:x>'.repeat(20_000)}${'</wd:x>'.repeat(20_000)}</wd:Worker>`]);
    assert.throws(() => feed(createPageParser(), deep), contract(/nested deeper than 256/));
    const comment = `${page([]).slice(0, 200)}<!-- ${' '.repeat(20 << 20)}`;
    assert.throws(() => feed(createPageParser(), comment), contract(/without its end/));
    // The tokenizer's own error type, for callers outside the page parser.
    assert.throws(
      () => new XmlTokenizer({ open() {}, close() {}, text() {} }, { maxDepth: 3 }).write('<a><b><c><d>'),
      XmlLimitError,
    );
  });

  test('a deeply nested dead letter serializes without overflowing the stack', () => {
    const root: XNode = { name: 'Worker', qname: 'wd:Worker', attrs: {}, children: [], text: '' };
    let cur = root;
    for (let i = 0; i < 100_000; i++) {
      const next: XNode = { name: 'x', qname: 'wd:x', attrs: {}, children: [], text: '' };
      cur.children.push(next);
      cur = next;
    }
    cur.text = 'leaf';
    const xml = serialize(root, { 'xmlns:wd': 'urn:com.workday/bsvc' });
    assert.ok(xml.startsWith('<wd:Worker xmlns:wd="urn:com.workday/bsvc"><wd:x><wd:x>'), xml.slice(0, 100));
    assert.ok(xml.includes('<wd:x>leaf</wd:x></wd:x>'));
    assert.ok(xml.endsWith('</wd:x></wd:x></wd:Worker>'), xml.slice(-100));
    assert.equal(xml.split('<wd:x>').length - 1, 100_000);
    assert.equal(xml.split('</wd:x>').length - 1, 100_000);
    // Under the depth cap, a nested, unmappable worker is a dead letter and the page is delivered.
    const nested = `<wd:Worker>${'<wd:x>'.repeat(200)}${'</wd:x>'.repeat(200)}</wd:Worker>`;
    const r = parsePage(page([workerXml(syntheticWorker(1)), nested]));
    assert.equal(r.records.length, 1);
    assert.equal(r.deadLetters.length, 1);
    assert.match(r.deadLetters[0]!.fragment, /^<wd:Worker xmlns:env=/);
  });
});
