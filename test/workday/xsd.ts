// Validates XML against Workday's published schemas with xmllint, when they are available here:
// the v30.0 XSD as published, and the schema inside the v31.2 WSDL, extracted at test time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const SHARED = path.resolve(__dirname, '../../../shared/workday');
export const XSD = path.join(SHARED, 'Human_Resources_v30.0.xsd');
export const WSDL_V31_2 = path.join(SHARED, 'Human_Resources_v31.2.wsdl');

const hasXmllint = () => spawnSync('xmllint', ['--version']).status === 0;

function skipReason(file: string, what: string): string | undefined {
  if (!existsSync(file)) return `${what} not found at ${file}`;
  if (!hasXmllint()) return 'xmllint not installed (Debian: libxml2-utils)';
  return undefined;
}

export const xsdSkipReason = () => skipReason(XSD, 'Workday XSD');
export const wsdlSkipReason = () => skipReason(WSDL_V31_2, 'Workday v31.2 WSDL');

const tmp = () => mkdtempSync(path.join(tmpdir(), 'wdsync-xsd-'));

/**
 * The xsd:schema element of a WSDL as a standalone schema file. Its type references use prefixes
 * declared on wsdl:definitions, so those declarations are copied onto the schema element.
 */
export function schemaFromWsdl(wsdl: string, dir = tmp()): string {
  const root = /<wsdl:definitions\b[^>]*>/.exec(wsdl)?.[0];
  const start = wsdl.indexOf('<xsd:schema');
  const end = wsdl.indexOf('</xsd:schema>');
  if (!root || start < 0 || end < 0) throw new Error('no wsdl:definitions/wsdl:types/xsd:schema in the WSDL');
  const open = wsdl.indexOf('>', start);
  const own = wsdl.slice(start, open);
  const decls = [...root.matchAll(/\sxmlns:([\w.-]+)="[^"]*"/g)]
    .filter((m) => !own.includes(`xmlns:${m[1]}=`))
    .map((m) => m[0])
    .join('');
  const file = path.join(dir, 'schema.xsd');
  writeFileSync(file, `<xsd:schema${decls}${wsdl.slice(start + '<xsd:schema'.length, end)}</xsd:schema>`);
  return file;
}

let v31Schema: string | undefined;
/** Workday's v31.2 schema, extracted once per process from the WSDL in ../shared/workday. */
export function v31Xsd(): string {
  v31Schema ??= schemaFromWsdl(readFileSync(WSDL_V31_2, 'utf8'));
  return v31Schema;
}

/** Returns xmllint's complaints against `xsd`, or '' when the document validates. */
export function validateWith(xml: string, xsd: string): string {
  const file = path.join(tmp(), 'doc.xml');
  writeFileSync(file, xml);
  const r = spawnSync('xmllint', ['--noout', '--schema', xsd, file], { encoding: 'utf8' });
  return r.status === 0 ? '' : r.stderr;
}

/** Returns xmllint's complaints against the v30.0 XSD, or '' when the document validates. */
export function validateAgainstXsd(xml: string): string {
  return validateWith(xml, XSD);
}
