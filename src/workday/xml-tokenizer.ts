/**
 * A streaming XML tokenizer for SOAP responses, written for speed: it scans with indexOf and
 * sticky regexes instead of a character-at-a-time state machine, which makes it several times
 * faster than general SAX parsers on the large Get_Workers pages that bound a sync's throughput
 * (measured in bench/parse-bench.ts).
 *
 * It checks what a response consumer relies on (tags nest and match, attribute syntax, entity
 * and character references, one root element) and rejects DTDs, which SOAP forbids. It does not
 * check name characters or resolve namespaces: callers work with local names.
 *
 * A hostile answer must not cost unbounded memory or CPU: text is handed on as it arrives (so a
 * huge text node is linear, not rescanned per chunk), and a text node, an attribute, the nesting
 * depth and any unterminated markup have caps (XmlLimits).
 */
export interface XmlHandler {
  open(qname: string, attrs: Record<string, string>): void;
  close(qname: string): void;
  /** Character data, entities decoded; may arrive in several pieces for one text node. */
  text(text: string): void;
  /**
   * A character reference to a character XML does not allow (&#0;, &#xD800;), decoded as sent:
   * called before the text or start tag holding it is reported.
   */
  nonXmlReference?(): void;
}

export class XmlSyntaxError extends Error {
  override readonly name: string = 'XmlSyntaxError';
}

/** A DTD or markup declaration: never a glitch of the wire, so never worth fetching again. */
export class XmlDtdError extends XmlSyntaxError {
  override readonly name = 'XmlDtdError';
}

/** The document went past one of the tokenizer's caps (XmlLimits). */
export class XmlLimitError extends XmlSyntaxError {
  override readonly name = 'XmlLimitError';
}

export interface XmlLimits {
  /** Longest text node (pieces and CDATA joined), in characters. */
  maxTextChars: number;
  /** Longest attribute value, in characters. */
  maxAttrChars: number;
  /** Deepest element nesting. */
  maxDepth: number;
  /** Longest unterminated markup (tag, comment, CDATA, processing instruction) held while waiting for its end. */
  maxPendingChars: number;
}

/**
 * Workday's values are short: names, ids, dates, descriptors. The largest real ones (a base64
 * worker photo) are a few hundred KB, and the XSD nests about 20 levels.
 */
export const DEFAULT_XML_LIMITS: XmlLimits = {
  maxTextChars: 8 * 1024 * 1024,
  maxAttrChars: 1024 * 1024,
  maxDepth: 256,
  maxPendingChars: 8 * 1024 * 1024,
};

const NO_ATTRS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NAME = /[^\s/>]+/y;
const ATTR = /([^\s=/>]+)[ \t\r\n]*=[ \t\r\n]*(?:"([^"<]*)"|'([^'<]*)')/y;
const ENTITY = /&(?:(lt|gt|amp|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+));|&/g;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Code points a character reference may not name in XML 1.0 (the Char production). */
const isNonXmlCodePoint = (cp: number) =>
  (cp < 0x20 && cp !== 9 && cp !== 10 && cp !== 13) ||
  (cp >= 0xd800 && cp <= 0xdfff) ||
  cp === 0xfffe ||
  cp === 0xffff;

function decode(s: string, onNonXml?: () => void): string {
  return s.replace(
    ENTITY,
    (m, named: string | undefined, dec: string | undefined, hex: string | undefined) => {
      if (named) return NAMED[named]!;
      if (dec !== undefined || hex !== undefined) {
        const cp = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex!, 16);
        // NUL and lone surrogates are decoded as sent: the record holding one is dead-lettered
        // (see TreeBuilder), instead of failing the whole page here.
        if (cp > 0x10ffff) throw new XmlSyntaxError(`invalid character reference ${m}`);
        if (isNonXmlCodePoint(cp)) onNonXml?.();
        return String.fromCodePoint(cp);
      }
      throw new XmlSyntaxError('unescaped "&" (or an unknown entity) in character data');
    },
  );
}

const isSpace = (c: number) => c === 32 || c === 10 || c === 9 || c === 13;

/** Whether a failed attribute match at `i` may just be cut off by the end of the chunk. */
function attributeIncomplete(buf: string, i: number): boolean {
  const eq = buf.indexOf('=', i);
  if (eq < 0) return buf.indexOf('>', i) < 0;
  let j = eq + 1;
  while (j < buf.length && isSpace(buf.charCodeAt(j))) j++;
  if (j >= buf.length) return true;
  const quote = buf[j];
  if (quote !== '"' && quote !== "'") return false;
  return buf.indexOf(quote, j + 1) < 0 && buf.indexOf('<', j + 1) < 0;
}

/** Outcome of scanning a start tag: its end offset, or that more input is needed. */
const INCOMPLETE = -1;

/** A split entity reference is kept back when it started this close to the end (leading zeros are legal). */
const MAX_ENTITY = 64;

export class XmlTokenizer {
  private buf = '';
  private readonly stack: string[] = [];
  private rootClosed = false;
  private sawRoot = false;
  /** Characters of the current text node so far. */
  private textLen = 0;
  private readonly limits: XmlLimits;
  private readonly onNonXml = () => this.handler.nonXmlReference?.();

  constructor(
    private readonly handler: XmlHandler,
    limits: Partial<XmlLimits> = {},
  ) {
    this.limits = { ...DEFAULT_XML_LIMITS, ...limits };
  }

  /** Elements currently open. */
  get depth(): number {
    return this.stack.length;
  }

  /** True once the root element has closed: the document is complete. */
  get complete(): boolean {
    return this.rootClosed;
  }

  write(chunk: string): void {
    this.buf = this.buf.length > 0 ? this.buf + chunk : chunk;
    this.run();
  }

  /** Checks that nothing unparsed is left. Whether the document is complete is `complete`. */
  end(): void {
    if (this.rootClosed && this.buf.trim() !== '') throw new XmlSyntaxError('content after the root element');
  }

  private textAt(raw: string): void {
    if (this.stack.length === 0) {
      if (raw.trim() !== '') throw new XmlSyntaxError('text outside the root element');
      return;
    }
    this.countText(raw.length);
    let t = raw.indexOf('&') >= 0 ? decode(raw, this.onNonXml) : raw;
    if (t.indexOf('\r') >= 0) t = t.replace(/\r\n?/g, '\n');
    this.handler.text(t);
  }

  private countText(n: number): void {
    this.textLen += n;
    if (this.textLen > this.limits.maxTextChars)
      throw new XmlLimitError(`a text node longer than ${this.limits.maxTextChars} characters`);
  }

  /**
   * Text with no '<' after it yet: hand on all of it but a possibly split entity or CR LF, so the
   * buffer never grows with a long text node and each character is scanned once.
   */
  private partialText(buf: string, pos: number): number {
    let cut = buf.length;
    const amp = buf.lastIndexOf('&');
    if (amp >= pos && cut - amp < MAX_ENTITY && buf.indexOf(';', amp) < 0) cut = amp;
    if (cut > pos && buf.charCodeAt(cut - 1) === 13 /* \r */) cut--;
    if (cut > pos) this.textAt(buf.slice(pos, cut));
    return cut;
  }

  private run(): void {
    const buf = this.buf;
    const n = buf.length;
    let pos = 0;
    while (pos < n) {
      const lt = buf.indexOf('<', pos);
      if (lt < 0) {
        pos = this.partialText(buf, pos);
        break;
      }
      if (lt > pos) this.textAt(buf.slice(pos, lt));
      pos = lt;
      if (pos + 1 >= n) break;
      const c = buf.charCodeAt(pos + 1);
      if (c === 47 /* / */) {
        const gt = buf.indexOf('>', pos + 2);
        if (gt < 0) break;
        const name = buf.slice(pos + 2, gt).trimEnd();
        const open = this.stack.pop();
        if (open !== name)
          throw new XmlSyntaxError(open ? `</${name}> closes <${open}>` : `</${name}> closes nothing`);
        if (this.stack.length === 0) this.rootClosed = true;
        this.textLen = 0;
        this.handler.close(name);
        pos = gt + 1;
        continue;
      }
      if (c === 33 /* ! */) {
        if (buf.startsWith('<!--', pos)) {
          const e = buf.indexOf('-->', pos + 4);
          if (e < 0) break;
          pos = e + 3;
          continue;
        }
        if (buf.startsWith('<![CDATA[', pos)) {
          const e = buf.indexOf(']]>', pos + 9);
          if (e < 0) break;
          if (this.stack.length === 0) throw new XmlSyntaxError('CDATA outside the root element');
          this.countText(e - pos - 9);
          this.handler.text(buf.slice(pos + 9, e));
          pos = e + 3;
          continue;
        }
        if (n - pos < 9) break;
        throw new XmlDtdError('DTDs and markup declarations are not allowed in SOAP messages');
      }
      if (c === 63 /* ? */) {
        const e = buf.indexOf('?>', pos + 2);
        if (e < 0) break;
        pos = e + 2;
        continue;
      }
      const end = this.startTag(buf, pos);
      if (end === INCOMPLETE) break;
      pos = end;
    }
    this.buf = pos === 0 ? buf : buf.slice(pos);
    if (this.buf.length > this.limits.maxPendingChars) {
      throw new XmlLimitError(
        `markup of more than ${this.limits.maxPendingChars} characters without its end (an unterminated tag, comment or CDATA section)`,
      );
    }
  }

  /** Parses the start tag at `pos` and reports it; returns the offset after it. */
  private startTag(buf: string, pos: number): number {
    const n = buf.length;
    NAME.lastIndex = pos + 1;
    const m = NAME.exec(buf);
    if (!m) throw new XmlSyntaxError('"<" not followed by a tag name');
    const qname = m[0];
    let i = NAME.lastIndex;
    if (i >= n) return INCOMPLETE;
    let attrs = NO_ATTRS;
    for (;;) {
      while (i < n && isSpace(buf.charCodeAt(i))) i++;
      if (i >= n) return INCOMPLETE;
      const c = buf.charCodeAt(i);
      if (c === 62 /* > */) {
        this.opened(qname, attrs);
        return i + 1;
      }
      if (c === 47 /* / */) {
        if (i + 1 >= n) return INCOMPLETE;
        if (buf.charCodeAt(i + 1) !== 62) throw new XmlSyntaxError(`"/" inside <${qname}>`);
        this.opened(qname, attrs);
        this.stack.pop();
        if (this.stack.length === 0) this.rootClosed = true;
        this.textLen = 0;
        this.handler.close(qname);
        return i + 2;
      }
      ATTR.lastIndex = i;
      const a = ATTR.exec(buf);
      if (!a) {
        if (attributeIncomplete(buf, i)) return INCOMPLETE;
        throw new XmlSyntaxError(`malformed attribute in <${qname}>`);
      }
      if (attrs === NO_ATTRS) attrs = {};
      let v = a[2] ?? a[3]!;
      if (v.length > this.limits.maxAttrChars)
        throw new XmlLimitError(
          `an attribute longer than ${this.limits.maxAttrChars} characters in <${qname}>`,
        );
      if (v.indexOf('&') >= 0 || /[\t\n\r]/.test(v))
        v = decode(v.replace(/\r\n|[\t\n\r]/g, ' '), this.onNonXml);
      attrs[a[1]!] = v;
      i = ATTR.lastIndex;
    }
  }

  private opened(qname: string, attrs: Record<string, string>): void {
    if (this.stack.length === 0) {
      if (this.sawRoot) throw new XmlSyntaxError('more than one root element');
      this.sawRoot = true;
    }
    if (this.stack.length >= this.limits.maxDepth)
      throw new XmlLimitError(`elements nested deeper than ${this.limits.maxDepth} levels`);
    this.textLen = 0;
    this.stack.push(qname);
    this.handler.open(qname, attrs);
  }
}
