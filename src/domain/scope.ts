/** Which sections of a worker record a run fetches (Workday's Response_Group switches). */
export interface ResponseGroups {
  personal: boolean;
  employment: boolean;
  compensation: boolean;
  organizations: boolean;
}

/** Business-first filtering: which population a run covers. Part of the delta watermark key. */
export interface SyncScope {
  organizations?: { id: string; includeSubordinates: boolean }[];
  excludeEmployees?: boolean;
  excludeContingent?: boolean;
  activeOnly?: boolean;
  workerIds?: string[];
  responseGroups?: ResponseGroups;
}

/** Delta windows: Updated_* select by entry moment of a change, Effective_* by its effective date. */
export interface DeltaWindow {
  updatedFrom: string;
  updatedThrough: string;
  effectiveFrom?: string;
  effectiveThrough?: string;
}
