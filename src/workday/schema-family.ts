/**
 * Workday answers in the schema of the version asked for (WORKDAY_VERSION), so the mapper reads
 * the Get_Workers shape of that version's family:
 * - `v2x` (before v30): Employment_Data holds Position_Data itself, no Worker_Job_Data;
 * - `v30`: Worker_Job_Data, Phone_Data's Formatted_Phone and Area_Code element;
 * - `v31` (v31 and later): Phone_Data's Tenant_Formatted_Phone and Area_Code attributes.
 */
export type SchemaFamily = 'v2x' | 'v30' | 'v31';

export function familyOfVersion(version: string): SchemaFamily {
  const m = /^v(\d+)/.exec(version);
  if (!m) throw new Error(`not a Workday version: "${version}" (expected e.g. v44.0)`);
  const major = Number(m[1]);
  return major < 30 ? 'v2x' : major === 30 ? 'v30' : 'v31';
}
