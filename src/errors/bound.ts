/**
 * Upstream text (Workday faults, sink and database errors) is untrusted: it can be megabytes long
 * and can quote a worker's name or email. Before it enters a failure, a webhook, an event, the
 * audit table or a log it goes through here (DESIGN.md, first invariant).
 */

/** About 1 KB: enough for any real fault message, far under Temporal's payload limits. */
export const MAX_ERROR_TEXT = 1024;

const EMAIL = /[^\s@<>"'(),;:]+@[^\s@<>"'(),;:]+\.[A-Za-z]{2,}/g;
/**
 * A quoted value with a space in it: how Workday faults quote what they refused ('Jane Doe' is
 * not a valid ID). Single-token quotes ('Employee_ID') stay; they name types, not people.
 */
const QUOTED_PHRASE = /(^|[\s(=:,])(['"])([^'"\n]{0,80}?\s[^'"\n]{0,80}?)\2(?=$|[\s).,;:])/g;
// C0/C1 controls, DEL, lone surrogates, bidi overrides: nothing a reader needs, some a terminal obeys.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uD800-\uDFFF]/gu;

// The same, but keeping line breaks and tabs: failure messages are sometimes laid out on lines.
const CONTROL_BUT_LINES =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uD800-\uDFFF]/gu;

function bound(text: string, max: number, collapse: boolean): string {
  // Cut first (with room), so a 2 MB fault costs a 2 KB regex pass, not a 2 MB one.
  const head = text.length > max * 2 ? text.slice(0, max * 2) : text;
  let clean = collapse
    ? head.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim().replace(QUOTED_PHRASE, '$1$2[redacted]$2')
    : head.replace(CONTROL_BUT_LINES, ' ');
  clean = clean.replace(EMAIL, '[email]');
  if (clean.length <= max && head.length === text.length) return clean;
  const note = ` … [${text.length} chars, cut]`;
  return clean.slice(0, Math.max(0, max - note.length)) + note;
}

/**
 * Upstream text as one line: whitespace collapsed, control characters dropped, quoted phrases
 * replaced with [redacted] and email addresses with [email], cut to `max` UTF-16 units with a note of how much was cut.
 */
export function boundText(text: string, max = MAX_ERROR_TEXT): string {
  return bound(text, max, true);
}

/**
 * An error message on its way into a failure, webhook or audit row: as boundText, but line breaks
 * are kept, so wdsync's own multi-line advice reads as written. Short clean messages are unchanged.
 */
export function boundMessage(text: string, max = MAX_ERROR_TEXT): string {
  return bound(text, max, false);
}
