// The mapper reads each schema family from a small fixture (written by the simulator with
// fixtures/families/generate.ts) into the records the simulator holds; the fixtures themselves are
// valid against Workday's schema of their version where one is at hand.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import { parsePage } from '../../src/workday/parse';
import { familyOfVersion } from '../../src/workday/schema-family';
import { FAMILY_FIXTURES } from './fixtures/families/generate';
import { v31Xsd, validateWith, wsdlSkipReason, XSD, xsdSkipReason } from './xsd';

const DIR = path.join(__dirname, 'fixtures/families');
const fixture = (version: string) => readFileSync(path.join(DIR, `get-workers-${version}.xml`), 'utf8');
const expected: NormalizedWorker[] = JSON.parse(
  readFileSync(path.join(DIR, 'expected-records.json'), 'utf8'),
);
const body = (xml: string) => /<wd:Get_Workers_Response[\s\S]*<\/wd:Get_Workers_Response>/.exec(xml)![0];

describe('schema family fixtures', () => {
  for (const { version, family } of FAMILY_FIXTURES) {
    it(`${version} is read as ${family} into the simulator's records`, () => {
      assert.equal(familyOfVersion(version), family);
      const page = parsePage(fixture(version), { family });
      assert.deepEqual(page.deadLetters, []);
      const byWid = (a: NormalizedWorker, b: NormalizedWorker) => a.wid.localeCompare(b.wid);
      assert.equal(page.records.length, 3);
      assert.deepEqual([...page.records].sort(byWid), [...expected].sort(byWid));
    });
  }

  it('the fixtures are in their own family (the files differ where the schemas do)', () => {
    const v24 = fixture('v24.0');
    const v30 = fixture('v30.0');
    const v31 = fixture('v31.2');
    assert.ok(v24.includes('<wd:Employment_Data><wd:Position_Data') && !v24.includes('Worker_Job_Data'));
    assert.ok(v30.includes('<wd:Worker_Job_Data wd:Primary_Job="1">') && v30.includes('<wd:Area_Code>'));
    assert.ok(v31.includes('wd:Tenant_Formatted_Phone="') && !v31.includes('<wd:Area_Code>'));
    assert.ok(
      expected.some((r) => r.employment?.terminated) &&
        expected.some((r) => r.workerType === 'Contingent_Worker'),
    );
  });

  it('v30.0 fixture: valid against Workday v30.0 XSD', { skip: xsdSkipReason() }, () => {
    assert.equal(validateWith(body(fixture('v30.0')), XSD), '');
  });

  it('v31.2 fixture: valid against the schema in Workday v31.2 WSDL, and the v30.0 one is not', {
    skip: wsdlSkipReason(),
  }, () => {
    assert.equal(validateWith(body(fixture('v31.2')), v31Xsd()), '');
    assert.match(validateWith(body(fixture('v30.0')), v31Xsd()), /Area_Code|Formatted_Phone/);
  });
});
