import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes, registered by `wdsync dev`; they make runs filterable in the Web UI. */
export const RUN_ID = defineSearchAttributeKey('WdsyncRunId', SearchAttributeType.KEYWORD);
export const MODE = defineSearchAttributeKey('WdsyncMode', SearchAttributeType.KEYWORD);
export const TENANT = defineSearchAttributeKey('WdsyncTenant', SearchAttributeType.KEYWORD);
export const STATE = defineSearchAttributeKey('WdsyncState', SearchAttributeType.KEYWORD);
/** The run's Workday connection (connectionKey): a tenant and its sandbox share WdsyncTenant. */
export const CONNECTION = defineSearchAttributeKey('WdsyncConnection', SearchAttributeType.KEYWORD);
export const PAGES_FAILED = defineSearchAttributeKey('WdsyncPagesFailed', SearchAttributeType.INT);

export const ALL_SEARCH_ATTRIBUTES = [RUN_ID, MODE, TENANT, STATE, PAGES_FAILED, CONNECTION];
