/**
 * A streaming XML tokenizer for SOAP responses, written for speed: it scans with indexOf and
 * sticky regexes instead of a character-at-a-time state machine, which makes it several times
 * faster than general SAX parsers on the large Get_Workers pages that bound a sync's throughput
 * (measured in bench/parse-bench.ts).
 *
 * It checks what a response consumer relies on (tags nest and match, attribute syntax, entity
 * and character references, one root element) and rejects DTDs, which SOAP forbids. It does not
 * check name characters or resolve namespaces: callers work with local names.
 */
export interface XmlHandler {
  open(qname: string, attrs: Record<string, string>): void;
  close(qname: string): void;
  /** Character data, entities decoded; may arrive in several pieces for one text node. */
  text(text: string): void;
}

export class XmlSyntaxError extends Error {
  override readonly name = 'XmlSyntaxError';
}

const NO_ATTRS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NAME = /[^\s/>]+/y;
const ATTR = /([^\s=/>]+)[ \t\r\n]*=[ \t\r\n]*(?:"([^"<]*)"|'([^'<]*)')/y;
const ENTITY = /&(?:(lt|gt|amp|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+));|&/g;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(
    ENTITY,
    (m, named: string | undefined, dec: string | undefined, hex: string | undefined) => {
      if (named) return NAMED[named]!;
      if (dec !== undefined || hex !== undefined) {
        const cp = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex!, 16);
        if (cp > 0x10ffff || cp === 0) throw new XmlSyntaxError(`invalid character reference ${m}`);
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

export class XmlTokenizer {
  private buf = '';
  private readonly stack: string[] = [];
  private rootClosed = false;
  private sawRoot = false;

  constructor(private readonly handler: XmlHandler) {}

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
    let t = raw.indexOf('&') >= 0 ? decode(raw) : raw;
    if (t.indexOf('\r') >= 0) t = t.replace(/\r\n?/g, '\n');
    this.handler.text(t);
  }

  private run(): void {
    const buf = this.buf;
    const n = buf.length;
    let pos = 0;
    while (pos < n) {
      const lt = buf.indexOf('<', pos);
      if (lt < 0) break; // Text runs on into the next chunk (an entity may be split): wait for '<'.
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
          this.handler.text(buf.slice(pos + 9, e));
          pos = e + 3;
          continue;
        }
        if (n - pos < 9) break;
        throw new XmlSyntaxError('DTDs and markup declarations are not allowed in SOAP messages');
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
      if (v.indexOf('&') >= 0 || /[\t\n\r]/.test(v)) v = decode(v.replace(/\r\n|[\t\n\r]/g, ' '));
      attrs[a[1]!] = v;
      i = ATTR.lastIndex;
    }
  }

  private opened(qname: string, attrs: Record<string, string>): void {
    if (this.stack.length === 0) {
      if (this.sawRoot) throw new XmlSyntaxError('more than one root element');
      this.sawRoot = true;
    }
    this.stack.push(qname);
    this.handler.open(qname, attrs);
  }
}
