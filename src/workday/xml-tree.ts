import { escapeXml, localName } from './xml';
import { XmlTokenizer } from './xml-tokenizer';

/**
 * A small element tree: the parser builds one per Worker (never per page) so mapping can look
 * around freely while memory stays bounded by the largest single worker.
 */
export interface XNode {
  /** Local name, prefix stripped: Workday clients and proxies use any prefix, or a default namespace. */
  name: string;
  /** Qualified name as sent, kept only to re-serialize the fragment for dead letters. */
  qname: string;
  /** Attributes by qualified name, as sent. */
  attrs: Record<string, string>;
  children: XNode[];
  text: string;
}

export function child(node: XNode, name: string): XNode | undefined {
  for (const c of node.children) if (c.name === name) return c;
  return undefined;
}

export function children(node: XNode, name: string): XNode[] {
  return node.children.filter((c) => c.name === name);
}

/** Follows a path of local names, taking the first match at each step. */
export function path(node: XNode | undefined, ...names: string[]): XNode | undefined {
  let cur = node;
  for (const n of names) {
    if (!cur) return undefined;
    cur = child(cur, n);
  }
  return cur;
}

/** Trimmed text content of a leaf, or undefined when the element is absent or empty. */
export function text(node: XNode | undefined): string | undefined {
  if (!node) return undefined;
  const t = node.text.trim();
  return t === '' ? undefined : t;
}

/** An attribute by local name, whatever prefix (or none) it was sent with. */
export function attr(node: XNode | undefined, name: string): string | undefined {
  if (!node) return undefined;
  const direct = node.attrs[name];
  if (direct !== undefined) return direct;
  for (const k in node.attrs) if (localName(k) === name && !k.startsWith('xmlns')) return node.attrs[k];
  return undefined;
}

/**
 * The ID of a Workday reference (…_Reference with ID children typed by a type attribute).
 * Without `type`, the first ID that is not a WID, since WIDs are opaque to downstream readers.
 */
export function refId(ref: XNode | undefined, type?: string): string | undefined {
  if (!ref) return undefined;
  let fallback: string | undefined;
  for (const id of ref.children) {
    if (id.name !== 'ID') continue;
    const t = attr(id, 'type');
    if (type ? t === type : t !== 'WID') return text(id);
    if (!type && fallback === undefined) fallback = text(id);
  }
  return type ? undefined : fallback;
}

/**
 * Re-serializes a node with its original prefixes; namespace declarations of ancestors are added
 * by the caller. Iterative, so a deeply nested dead letter cannot overflow the stack.
 */
export function serialize(node: XNode, extraAttrs: Record<string, string> = {}): string {
  const out: string[] = [];
  // A string on the work stack is a closing tag still to write.
  const work: (XNode | string)[] = [node];
  let extra: Record<string, string> | undefined = extraAttrs;
  while (work.length > 0) {
    const n = work.pop()!;
    if (typeof n === 'string') {
      out.push(n);
      continue;
    }
    out.push('<', n.qname);
    for (const [k, v] of Object.entries(extra ? { ...extra, ...n.attrs } : n.attrs))
      out.push(' ', k, '="', escapeXml(v), '"');
    extra = undefined;
    if (n.children.length === 0 && n.text === '') {
      out.push('/>');
      continue;
    }
    out.push('>');
    if (n.children.length === 0) {
      out.push(escapeXml(n.text), '</', n.qname, '>');
      continue;
    }
    work.push(`</${n.qname}>`);
    for (let i = n.children.length - 1; i >= 0; i--) work.push(n.children[i]!);
  }
  return out.join('');
}

/**
 * Characters XML 1.0 does not allow (C0 controls but tab, LF, CR; U+FFFE, U+FFFF; lone
 * surrogates). PostgreSQL refuses NUL in text and jsonb and lone surrogates in jsonb, so a record
 * holding one could never be stored.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const NOT_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/gu;

/** The text with every character XML does not allow replaced by U+FFFD. */
export function replaceNonXmlChars(s: string): string {
  return NOT_XML_CHAR.test(s) ? s.replace(NOT_XML_CHARS, '\uFFFD') : s;
}

/** Where a tree first holds a character XML does not allow: an element path and the code unit. */
export interface BadChar {
  path: string;
  code: string;
}

// The same set less the surrogates, without the `u` flag: a plain class over code units is several
// times faster, and `isWellFormed` finds lone surrogates.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const NOT_XML_UNIT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/**
 * Whether raw text may hold a character XML does not allow. Character references to one are
 * reported by the tokenizer (XmlHandler.nonXmlReference) instead.
 */
export function mayHoldNonXmlChars(s: string): boolean {
  return NOT_XML_UNIT.test(s) || !s.isWellFormed();
}

function badCharIn(s: string): string | undefined {
  const m = NOT_XML_CHAR.exec(s);
  return m ? `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` : undefined;
}

/** Builds XNodes from start/text/end events. */
export class TreeBuilder {
  private readonly stack: XNode[] = [];
  root: XNode | undefined;
  /** The first character XML does not allow, if any: the record holding it is a dead letter. */
  badChar: BadChar | undefined;
  /**
   * Whether closing nodes are checked for such characters. A streaming caller that screens its
   * input (mayHoldNonXmlChars) turns this on before the first suspect chunk reaches the tokenizer:
   * every node holding a character of that chunk closes after it.
   */
  checking = true;

  open(qname: string, attrs: Record<string, string>): void {
    const node: XNode = { name: localName(qname), qname, attrs, children: [], text: '' };
    const parent = this.stack[this.stack.length - 1];
    if (parent) parent.children.push(node);
    else this.root = node;
    this.stack.push(node);
  }

  text(t: string): void {
    const top = this.stack[this.stack.length - 1];
    if (top) top.text += t;
  }

  /** Returns true when the root element has just closed. */
  close(): boolean {
    const node = this.stack.pop();
    if (node && this.checking && !this.badChar) this.checkChars(node);
    // Mixed content never carries data in Workday responses; drop the whitespace between elements.
    if (node && node.children.length > 0) node.text = '';
    return this.stack.length === 0;
  }

  get depth(): number {
    return this.stack.length;
  }

  private checkChars(node: XNode): void {
    let code = badCharIn(node.text) ?? badCharIn(node.qname);
    let where = replaceNonXmlChars(node.name);
    for (const k in node.attrs) {
      if (code) break;
      code = badCharIn(node.attrs[k]!) ?? badCharIn(k);
      where = `${replaceNonXmlChars(node.name)}/@${replaceNonXmlChars(localName(k))}`;
    }
    if (code)
      this.badChar = { path: [...this.stack.map((n) => replaceNonXmlChars(n.name)), where].join('/'), code };
  }
}

/** Parses a small, complete document (fault bodies, fixtures) into a tree. Throws on malformed XML. */
export function parseTree(xml: string): XNode {
  const builder = new TreeBuilder();
  const tokenizer = new XmlTokenizer({
    open: (name, attrs) => builder.open(name, attrs),
    text: (t) => builder.text(t),
    close: () => builder.close(),
  });
  tokenizer.write(xml);
  tokenizer.end();
  if (!builder.root || !tokenizer.complete) throw new Error('incomplete XML document');
  return builder.root;
}
