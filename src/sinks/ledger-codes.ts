import type { RecordAction } from './types';

/**
 * How a sink's ledger spells each record's action, one letter per record in page order: compact
 * for a 999-record page, and read back to report what an earlier attempt did.
 */
export const ACTION_CODE: Record<RecordAction, string> = { inserted: 'i', updated: 'u', unchanged: 'n' };
export const CODE_ACTION: Record<string, RecordAction> = { i: 'inserted', u: 'updated', n: 'unchanged' };
