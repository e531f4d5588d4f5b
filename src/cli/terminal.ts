/**
 * Worker data printed to a terminal: a dead letter's name or fragment can hold escape sequences
 * (ESC [ …, OSC …) that a terminal would obey, so they are shown as visible escapes instead.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_IN_CELL = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;

const visible = (c: string) => {
  const code = c.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** Control characters (but line breaks and tabs) as \xNN / \uNNNN. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, visible);
}

/** For one table cell or one line: line breaks and tabs escaped too. */
export function terminalSafeLine(text: string): string {
  return text.replace(UNSAFE_IN_CELL, visible);
}

/** JSON.stringify escapes C0 controls; this also escapes DEL, C1 controls and bidi overrides. */
export function terminalSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
