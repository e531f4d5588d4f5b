// Validates XML against Workday's published XSD with xmllint, when both are available here.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const XSD = path.resolve(__dirname, '../../../shared/workday/Human_Resources_v30.0.xsd');

export function xsdSkipReason(): string | undefined {
  if (!existsSync(XSD)) return `Workday XSD not found at ${XSD}`;
  if (spawnSync('xmllint', ['--version']).status !== 0)
    return 'xmllint not installed (Debian: libxml2-utils)';
  return undefined;
}

/** Returns xmllint's complaints, or '' when the document validates. */
export function validateAgainstXsd(xml: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'wdsync-xsd-')), 'doc.xml');
  writeFileSync(file, xml);
  const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
  return r.status === 0 ? '' : r.stderr;
}
