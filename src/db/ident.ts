/** Schema names are interpolated into SQL, so they are restricted to plain identifiers. */
const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

export const DEFAULT_SCHEMA = 'wdsync';

export function quoteSchema(schema: string): string {
  if (!IDENT.test(schema)) {
    throw new Error(
      `invalid schema name ${JSON.stringify(schema)}: use lowercase letters, digits and _ (at most 63)`,
    );
  }
  return `"${schema}"`;
}
