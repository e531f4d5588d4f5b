import { createHash } from 'node:crypto';
import { MAPPING_VERSION, type NormalizedWorker } from '../domain/worker-record';

/** JSON with object keys sorted at every level and undefined members dropped, so equal data hashes equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  }
  const entries = Object.keys(value as Record<string, unknown>)
    .sort()
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/**
 * The content hash sinks compare to skip unchanged records. MAPPING_VERSION is part of it, so a
 * mapping change rewrites every record once.
 */
export function contentHash(record: NormalizedWorker, mappingVersion: number = MAPPING_VERSION): string {
  return createHash('sha256')
    .update(`wdsync/v${mappingVersion}\n`)
    .update(canonicalJson(record))
    .digest('hex');
}
