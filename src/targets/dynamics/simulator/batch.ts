import { randomUUID } from 'node:crypto';
import { ODataError } from './odata';

/**
 * The OData $batch wire format as Dataverse reads and writes it: a multipart/mixed body of
 * `application/http` parts, each one HTTP request; a part that is itself multipart/mixed is a
 * changeset (all or nothing, Content-ID per request). The answer mirrors it with
 * `batchresponse_` and `changesetresponse_` boundaries.
 */

export interface BatchRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  contentId?: string;
}

export type BatchItem =
  | { kind: 'request'; request: BatchRequest }
  | { kind: 'changeset'; requests: BatchRequest[] };

export interface BatchAnswer {
  status: number;
  headers: Record<string, string>;
  body?: string;
  contentId?: string;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  412: 'Precondition Failed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

export const boundaryOf = (contentType: string | undefined): string | undefined =>
  /boundary=("?)([^";]+)\1/i.exec(contentType ?? '')?.[2];

function headerBlock(text: string): [Record<string, string>, string] {
  const m = /\r?\n\r?\n/.exec(text);
  const head = m ? text.slice(0, m.index) : text;
  const rest = m ? text.slice(m.index + m[0].length) : '';
  const headers: Record<string, string> = {};
  for (const line of head.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return [headers, rest];
}

function parts(body: string, boundary: string): string[] {
  const delim = `--${boundary}`;
  const out: string[] = [];
  const pieces = body.split(delim);
  // pieces[0] is the preamble; a piece starting with "--" is the close delimiter.
  for (const p of pieces.slice(1)) {
    if (p.startsWith('--')) break;
    out.push(p.replace(/^\r?\n/, ''));
  }
  return out;
}

function request(part: string): BatchRequest {
  const [outer, http] = headerBlock(part);
  const lineEnd = http.search(/\r?\n/);
  const line = (lineEnd < 0 ? http : http.slice(0, lineEnd)).trim();
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(line);
  if (!m)
    throw new ODataError(400, '0x80060891', `The batch request line '${line.slice(0, 80)}' is not valid.`);
  const [headers, body] = headerBlock(http.slice(lineEnd).replace(/^\r?\n/, ''));
  return {
    method: m[1]!,
    url: m[2]!,
    headers,
    body: body.replace(/\r?\n$/, '').trim(),
    contentId: outer['content-id'],
  };
}

export function parseBatch(body: string, boundary: string): BatchItem[] {
  return parts(body, boundary).map((p): BatchItem => {
    const [headers, rest] = headerBlock(p);
    const inner = boundaryOf(headers['content-type']);
    if (inner && /multipart\/mixed/i.test(headers['content-type'] ?? ''))
      return { kind: 'changeset', requests: parts(rest, inner).map(request) };
    return { kind: 'request', request: request(p) };
  });
}

function answer(a: BatchAnswer): string {
  const lines = ['Content-Type: application/http', 'Content-Transfer-Encoding: binary'];
  if (a.contentId) lines.push(`Content-ID: ${a.contentId}`);
  lines.push('', `HTTP/1.1 ${a.status} ${STATUS_TEXT[a.status] ?? 'Error'}`);
  for (const [k, v] of Object.entries(a.headers)) lines.push(`${k}: ${v}`);
  lines.push('', a.body ?? '');
  return lines.join('\r\n');
}

/** Each item's answers: a request's one, or a changeset's (several, or one error for all). */
export function formatBatch(items: (BatchAnswer | { changeset: BatchAnswer[] })[]): {
  contentType: string;
  body: string;
} {
  const b = `batchresponse_${randomUUID()}`;
  const out: string[] = [];
  for (const item of items) {
    out.push(`--${b}`);
    if ('changeset' in item) {
      const c = `changesetresponse_${randomUUID()}`;
      out.push(`Content-Type: multipart/mixed; boundary=${c}`, '');
      for (const a of item.changeset) out.push(`--${c}`, answer(a));
      out.push(`--${c}--`);
    } else out.push(answer(item));
  }
  out.push(`--${b}--`, '');
  return { contentType: `multipart/mixed; boundary=${b}`, body: out.join('\r\n') };
}
