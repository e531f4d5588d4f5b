import { ApiError } from './errors';

/**
 * The part of SOQL a test needs to see what the org holds: SELECT fields or COUNT(), FROM one
 * object, WHERE comparisons with =, != or IN (...) joined by AND, ORDER BY one field, LIMIT. Anything else
 * is MALFORMED_QUERY, as Salesforce answers it.
 */

export type Literal = string | number | boolean | null;

export interface Condition {
  field: string;
  op: '=' | '!=' | 'IN';
  value: Literal | Literal[];
}

export interface SoqlQuery {
  count: boolean;
  fields: string[];
  object: string;
  where: Condition[];
  orderBy?: { field: string; desc: boolean };
  limit?: number;
}

const TOKEN =
  /\s*(?:('(?:[^'\\]|\\.)*')|(!=|=|,|\(|\))|([A-Za-z_][A-Za-z0-9_.]*)|(-?\d+(?:\.\d+)?(?:-\d{2}-\d{2})?))/y;

function tokenize(q: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < q.length) {
    if (/^\s*$/.test(q.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(q);
    if (!m) throw malformed(`unexpected token at position ${pos}: ${q.slice(pos, pos + 20)}`);
    out.push(m[1] ?? m[2] ?? m[3] ?? m[4]!);
    pos = TOKEN.lastIndex;
  }
  return out;
}

function malformed(detail: string): ApiError {
  return new ApiError(400, 'MALFORMED_QUERY', detail);
}

function literal(tok: string | undefined): Literal {
  if (tok === undefined) throw malformed('expected a value after the operator');
  if (tok.startsWith("'")) return tok.slice(1, -1).replace(/\\(.)/g, '$1');
  const low = tok.toLowerCase();
  if (low === 'true') return true;
  if (low === 'false') return false;
  if (low === 'null') return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(tok)) return tok;
  if (/^-?\d+(\.\d+)?$/.test(tok)) return Number(tok);
  throw malformed(`unexpected value ${tok}`);
}

export function parseSoql(q: string): SoqlQuery {
  const t = tokenize(q);
  let i = 0;
  const kw = (word: string) => t[i]?.toUpperCase() === word;
  const expect = (word: string) => {
    if (!kw(word)) throw malformed(`expected ${word} at "${t.slice(i, i + 3).join(' ') || 'end of query'}"`);
    i++;
  };
  expect('SELECT');
  let count = false;
  const fields: string[] = [];
  if (kw('COUNT') && t[i + 1] === '(' && t[i + 2] === ')') {
    count = true;
    i += 3;
  } else {
    for (;;) {
      const f = t[i++];
      if (!f || !/^[A-Za-z_]/.test(f) || f.toUpperCase() === 'FROM') throw malformed('expected a field name');
      fields.push(f);
      if (t[i] !== ',') break;
      i++;
    }
  }
  expect('FROM');
  const object = t[i++];
  if (!object) throw malformed('expected an object name after FROM');
  const where: Condition[] = [];
  if (kw('WHERE')) {
    i++;
    for (;;) {
      const field = t[i++];
      const op = t[i++];
      if (op?.toUpperCase() === 'IN' && field) {
        if (t[i++] !== '(') throw malformed('expected ( after IN');
        const values: Literal[] = [];
        for (;;) {
          values.push(literal(t[i++]));
          const sep = t[i++];
          if (sep === ')') break;
          if (sep !== ',') throw malformed('expected , or ) in the IN list');
        }
        where.push({ field, op: 'IN', value: values });
      } else {
        if (!field || (op !== '=' && op !== '!='))
          throw malformed('expected field = value, field != value or field IN (...)');
        where.push({ field, op, value: literal(t[i++]) });
      }
      if (!kw('AND')) break;
      i++;
    }
  }
  let orderBy: SoqlQuery['orderBy'];
  if (kw('ORDER')) {
    i++;
    expect('BY');
    const field = t[i++];
    if (!field) throw malformed('expected a field after ORDER BY');
    let desc = false;
    if (kw('ASC')) i++;
    else if (kw('DESC')) {
      desc = true;
      i++;
    }
    orderBy = { field, desc };
  }
  let limit: number | undefined;
  if (kw('LIMIT')) {
    i++;
    limit = Number(t[i++]);
    if (!Number.isInteger(limit) || limit < 0) throw malformed('LIMIT takes a whole number');
  }
  if (i < t.length) throw malformed(`unexpected token ${t[i]}`);
  return { count, fields, object, where, orderBy, limit };
}
