/**
 * The OData pieces the Dataverse simulator reads: the error envelope, entity paths
 * (`contacts(<guid>)`, `contacts(wd_workdayid='x')`), literals, and `$filter` with eq/ne/gt/lt,
 * and/or/not and parentheses, as Dataverse's Web API accepts them.
 */

export class ODataError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
  body(): unknown {
    return { error: { code: this.code, message: this.message } };
  }
}

export type Literal = string | number | boolean | null;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface EntityPath {
  set: string;
  /** Either the primary id or one alternate-key column and its value. */
  id?: string;
  key?: { column: string; value: Literal };
}

function literal(text: string): Literal {
  const t = text.trim();
  if (t.startsWith("'") && t.endsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
  if (t === 'null') return null;
  if (t === 'true' || t === 'false') return t === 'true';
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  throw new ODataError(400, '0x80060888', `Syntax error: the literal '${t}' is not valid.`);
}

/** `contacts`, `contacts(<guid>)` or `contacts(col='v')`; undefined when the path is not an entity path. */
export function entityPath(segment: string): EntityPath | undefined {
  const m = /^([a-z][a-z0-9_]*)(?:\((.*)\))?$/.exec(segment);
  if (!m) return undefined;
  const [, set, inner] = m;
  if (inner === undefined) return { set: set! };
  if (GUID.test(inner)) return { set: set!, id: inner.toLowerCase() };
  const kv = /^([a-z][a-z0-9_]*)=(.+)$/s.exec(inner);
  if (!kv || kv[2]!.includes("',"))
    throw new ODataError(
      400,
      '0x80060888',
      `Bad Request - Error in query syntax: the key '${inner}' is not valid.`,
    );
  return { set: set!, key: { column: kv[1]!, value: literal(kv[2]!) } };
}

type Token = { t: 'id' | 'lit' | 'op' | '(' | ')' | ','; v: string };

function tokens(text: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:('(?:[^']|'')*')|(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_.]*)|(\()|(\))|(,))/y;
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i]!)) {
      i++;
      continue;
    }
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) throw new ODataError(400, '0x80060888', `Syntax error at position ${i} in '${text}'.`);
    i = re.lastIndex;
    if (m[1] || m[2]) out.push({ t: 'lit', v: m[1] ?? m[2]! });
    else if (m[3]) {
      const w = m[3];
      if (['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'and', 'or', 'not'].includes(w)) out.push({ t: 'op', v: w });
      else if (['null', 'true', 'false'].includes(w)) out.push({ t: 'lit', v: w });
      else out.push({ t: 'id', v: w });
    } else if (m[4]) out.push({ t: '(', v: '(' });
    else if (m[5]) out.push({ t: ')', v: ')' });
    else out.push({ t: ',', v: ',' });
  }
  return out;
}

export type Predicate = (row: Record<string, unknown>) => boolean;

const compare = (a: unknown, b: Literal, op: string): boolean => {
  const x = typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() : (a ?? null);
  const y = typeof b === 'string' && typeof a === 'string' ? b.toLowerCase() : b;
  switch (op) {
    case 'eq':
      return x === y;
    case 'ne':
      return x !== y;
    case 'gt':
      return x !== null && y !== null && (x as never) > (y as never);
    case 'ge':
      return x !== null && y !== null && (x as never) >= (y as never);
    case 'lt':
      return x !== null && y !== null && (x as never) < (y as never);
    default:
      return x !== null && y !== null && (x as never) <= (y as never);
  }
};

/** Compiles a $filter; `column` checks (and normalizes) each column it names. */
export function parseFilter(text: string, column: (name: string) => string): Predicate {
  const ts = tokens(text);
  let i = 0;
  const peek = () => ts[i];
  const fail = (): never => {
    throw new ODataError(400, '0x80060888', `Syntax error in $filter '${text}'.`);
  };
  const next = () => ts[i++] ?? fail();
  function primary(): Predicate {
    const t = next();
    if (t.t === '(') {
      const p = or();
      if (next().t !== ')') fail();
      return p;
    }
    if (t.t === 'op' && t.v === 'not') {
      const p = primary();
      return (r) => !p(r);
    }
    if (t.t !== 'id') return fail();
    const col = column(t.v);
    const op = next();
    if (op.t !== 'op' || !['eq', 'ne', 'gt', 'ge', 'lt', 'le'].includes(op.v)) fail();
    const lit = next();
    if (lit.t !== 'lit') fail();
    const value = literal(lit.v);
    return (r) => compare(r[col], value, op.v);
  }
  function and(): Predicate {
    let p = primary();
    while (peek()?.t === 'op' && peek()!.v === 'and') {
      i++;
      const [a, b] = [p, primary()];
      p = (r) => a(r) && b(r);
    }
    return p;
  }
  function or(): Predicate {
    let p = and();
    while (peek()?.t === 'op' && peek()!.v === 'or') {
      i++;
      const [a, b] = [p, and()];
      p = (r) => a(r) || b(r);
    }
    return p;
  }
  const p = or();
  if (i !== ts.length) fail();
  return p;
}
