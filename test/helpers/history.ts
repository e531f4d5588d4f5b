/**
 * Workflow histories as text a test can search. `JSON.stringify(history)` is useless for that:
 * protobuf's toJSON base64-encodes payload bytes, so a worker's name in a payload never shows up.
 * This decodes every byte array (payload data and metadata) to UTF-8 and also keeps the plain
 * strings, so both payload contents and event attributes are searchable.
 */
export function historyTexts(value: unknown, out: string[] = [], seen = new Set<object>()): string[] {
  if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (typeof value === 'string') out.push(value);
  else if (value && typeof value === 'object') {
    if (seen.has(value)) return out;
    seen.add(value);
    for (const v of Array.isArray(value) ? value : Object.values(value)) historyTexts(v, out, seen);
  }
  return out;
}

/** All of a history's decoded payloads and strings, joined by newlines. */
export function historyText(history: unknown): string {
  return historyTexts(history).join('\n');
}
