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

/** Re-serializes a node with its original prefixes; namespace declarations of ancestors are added by the caller. */
export function serialize(node: XNode, extraAttrs: Record<string, string> = {}): string {
  const out: string[] = [];
  const write = (n: XNode, extra: Record<string, string>) => {
    out.push('<', n.qname);
    for (const [k, v] of Object.entries({ ...extra, ...n.attrs })) out.push(' ', k, '="', escapeXml(v), '"');
    if (n.children.length === 0 && n.text === '') {
      out.push('/>');
      return;
    }
    out.push('>');
    if (n.children.length === 0) out.push(escapeXml(n.text));
    else for (const c of n.children) write(c, {});
    out.push('</', n.qname, '>');
  };
  write(node, extraAttrs);
  return out.join('');
}

/** Builds XNodes from start/text/end events. */
export class TreeBuilder {
  private readonly stack: XNode[] = [];
  root: XNode | undefined;

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
    // Mixed content never carries data in Workday responses; drop the whitespace between elements.
    if (node && node.children.length > 0) node.text = '';
    return this.stack.length === 0;
  }

  get depth(): number {
    return this.stack.length;
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
