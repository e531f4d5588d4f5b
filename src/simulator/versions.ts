/**
 * Workday answers in the schema of the version a request asks for. The simulator renders three
 * families of Get_Workers shapes; versions inside a family differ only in elements it never sends.
 * - `v2x`: Position_Data sits directly in Employment_Data (no Worker_Job_Data wrapper).
 * - `v30`: Worker_Job_Data wrappers, Phone_Data with an Area_Code element and Formatted_Phone
 *   (Human_Resources v30.0 XSD).
 * - `v31`: phone formats and Area_Code as Phone_Data attributes, Eligible_for_Hire_Reference in
 *   place of Not_Eligible_for_Hire (the schema in the v31.2 WSDL; later versions keep both).
 */
export type SchemaFamily = 'v2x' | 'v30' | 'v31';

export const SCHEMA_FAMILIES: readonly SchemaFamily[] = ['v2x', 'v30', 'v31'];

/** `version` looks like v31.2 or v31; anything unreadable gets the newest family. */
export function schemaFamily(version: string): SchemaFamily {
  const major = Number(/^v(\d+)/.exec(version)?.[1]);
  if (!Number.isInteger(major)) return 'v31';
  if (major < 30) return 'v2x';
  return major === 30 ? 'v30' : 'v31';
}
