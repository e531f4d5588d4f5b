import { isUtf8 } from 'node:buffer';

/**
 * What a byte sequence that is not UTF-8 decodes to: U+FFFE, a character XML does not allow, so
 * the record holding it becomes a dead letter like one holding a NUL (never stored). Node's own
 * decoders turn such bytes into U+FFFD, which is indistinguishable from a real U+FFFD in Workday
 * data and would be stored as if Workday had sent it.
 */
export const INVALID_UTF8 = '\uFFFE';

/** Bytes at the end of `buf` that start a character the buffer does not complete. */
function incompleteTail(buf: Buffer): number {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const b = buf[buf.length - back]!;
    if (b < 0x80) return 0;
    if (b >= 0xc0) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return need > back ? back : 0;
    }
  }
  return 0;
}

/** Length of the valid UTF-8 sequence at `i`, or 0 (RFC 3629: no overlongs, surrogates, > U+10FFFF). */
function sequenceAt(buf: Buffer, i: number): number {
  const b = buf[i]!;
  if (b < 0x80) return 1;
  let len: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) len = 2;
  else if (b >= 0xe0 && b <= 0xef) {
    len = 3;
    if (b === 0xe0) lo = 0xa0;
    if (b === 0xed) hi = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    len = 4;
    if (b === 0xf0) lo = 0x90;
    if (b === 0xf4) hi = 0x8f;
  } else return 0;
  if (i + len > buf.length) return 0;
  const second = buf[i + 1]!;
  if (second < lo || second > hi) return 0;
  for (let k = 2; k < len; k++) if ((buf[i + k]! & 0xc0) !== 0x80) return 0;
  return len;
}

function decodeMarkingInvalid(buf: Buffer): string {
  let out = '';
  let start = 0;
  let i = 0;
  while (i < buf.length) {
    const n = sequenceAt(buf, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += buf.toString('utf8', start, i) + INVALID_UTF8;
    i += 1;
    start = i;
  }
  return out + buf.toString('utf8', start, buf.length);
}

/**
 * A streaming UTF-8 decoder for response bodies: characters split across chunks are joined, and
 * every byte that is not part of valid UTF-8 becomes INVALID_UTF8. Valid chunks (all of them, in
 * practice) take Node's native check and decode.
 */
export function createUtf8Decoder() {
  let pending: Buffer | undefined;
  return {
    write(chunk: Buffer): string {
      const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      const tail = incompleteTail(buf);
      pending = tail ? Buffer.from(buf.subarray(buf.length - tail)) : undefined;
      const body = tail ? buf.subarray(0, buf.length - tail) : buf;
      return isUtf8(body) ? body.toString('utf8') : decodeMarkingInvalid(body);
    },
    /** Whatever is left is a character the body never finished. */
    end(): string {
      const rest = pending;
      pending = undefined;
      return rest ? INVALID_UTF8.repeat(rest.length) : '';
    },
  };
}
