// What the simulator sends validates against Workday's published schema (and its own WSDL's).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type SimulatorHandle, startSimulator } from '../../src/simulator';
import { schemaXml } from '../../src/simulator/wsdl';
import { getWorkers, NO_LATENCY } from './helpers';

const WORKDAY_XSD = path.resolve(__dirname, '../../../shared/workday/Human_Resources_v30.0.xsd');
const hasXmllint = spawnSync('xmllint', ['--version']).status === 0;
const skip = hasXmllint ? undefined : 'xmllint (libxml2-utils) is not installed';

const ALL_GROUPS =
  '<wd:Include_Reference>1</wd:Include_Reference><wd:Include_Personal_Information>true</wd:Include_Personal_Information>' +
  '<wd:Include_Employment_Information>1</wd:Include_Employment_Information><wd:Include_Compensation>1</wd:Include_Compensation>' +
  '<wd:Include_Organizations>1</wd:Include_Organizations><wd:Include_Roles>1</wd:Include_Roles>' +
  '<wd:Include_Management_Chain_Data>1</wd:Include_Management_Chain_Data><wd:Include_Transaction_Log_Data>1</wd:Include_Transaction_Log_Data>';

describe('schema validity (xmllint)', { skip }, () => {
  let sim: SimulatorHandle;
  let dir: string;
  let ownXsd: string;
  before(async () => {
    // Small tenant so the page holds org heads (Role_Data), terminated workers and future hires.
    sim = await startSimulator({ workers: 400, seed: 5, faults: NO_LATENCY });
    sim.admin.churn(200);
    dir = mkdtempSync(path.join(os.tmpdir(), 'wdsim-xsd-'));
    ownXsd = path.join(dir, 'own.xsd');
    writeFileSync(ownXsd, schemaXml());
  });
  after(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function validate(xml: string, xsd: string) {
    const m = /<wd:Get_Workers_Response[\s\S]*<\/wd:Get_Workers_Response>/.exec(xml);
    assert.ok(m, 'a Get_Workers_Response element');
    const file = path.join(dir, `page-${Math.random().toString(36).slice(2)}.xml`);
    writeFileSync(file, m[0]);
    const r = spawnSync('xmllint', ['--noout', '--schema', xsd, file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr.split('\n').slice(0, 5).join('\n'));
  }

  const pages: [string, Parameters<typeof getWorkers>[1]][] = [
    ['default response groups', { count: 400 }],
    [
      'all response groups, with criteria echoed',
      {
        count: 400,
        group: ALL_GROUPS,
        before:
          '<wd:Request_Criteria><wd:Transaction_Log_Criteria_Data><wd:Transaction_Date_Range_Data><wd:Updated_From>2000-01-01T00:00:00Z</wd:Updated_From>' +
          '<wd:Updated_Through>2100-01-01T00:00:00Z</wd:Updated_Through></wd:Transaction_Date_Range_Data></wd:Transaction_Log_Criteria_Data>' +
          '<wd:Organization_Reference><wd:ID wd:type="Organization_Reference_ID">SUP-000000</wd:ID></wd:Organization_Reference>' +
          '<wd:Include_Subordinate_Organizations>1</wd:Include_Subordinate_Organizations></wd:Request_Criteria>',
      },
    ],
    [
      'references echoed (skip non-existing)',
      {
        before:
          '<wd:Request_References wd:Skip_Non_Existing_Instances="1"><wd:Worker_Reference><wd:ID wd:type="Employee_ID">100001</wd:ID></wd:Worker_Reference>' +
          '<wd:Worker_Reference><wd:ID wd:type="Contingent_Worker_ID">C100001</wd:ID></wd:Worker_Reference></wd:Request_References>',
      },
    ],
    ['an empty page past the last one', { page: 99, count: 10 }],
  ];
  for (const [name, opts] of pages) {
    it(`${name}: Workday's XSD`, {
      skip: existsSync(WORKDAY_XSD) ? undefined : `${WORKDAY_XSD} not found`,
    }, async () => {
      const r = await getWorkers(sim, opts);
      assert.equal(r.status, 200);
      validate(r.text, WORKDAY_XSD);
    });
    it(`${name}: the simulator's own WSDL schema`, async () => {
      validate((await getWorkers(sim, opts)).text, ownXsd);
    });
  }

  it('the all-groups page really carries every section', async () => {
    const r = await getWorkers(sim, { count: 400, group: ALL_GROUPS });
    for (const el of [
      'Personal_Data',
      'Employment_Data',
      'Compensation_Data',
      'Organization_Data',
      'Organization_Role',
      'Management_Chain_Data',
      'Transaction_Log_Entry',
      'Termination_Date',
      '<wd:Active>0',
    ]) {
      assert.ok(r.text.includes(el), `${el} present`);
    }
  });

  it('the validator catches an element out of order (the test can fail)', async () => {
    const r = await getWorkers(sim, { count: 2 });
    const broken = r.text.replace(
      /(<wd:Worker_Descriptor>[^<]*<\/wd:Worker_Descriptor>)(<wd:Worker_Reference[\s\S]*?<\/wd:Worker_Reference>)?/,
      '$2$1',
    );
    const swapped = broken.replace(
      /(<wd:Worker_Reference[\s\S]*?<\/wd:Worker_Reference>)(<wd:Worker_Descriptor>[^<]*<\/wd:Worker_Descriptor>)/,
      '$2$1',
    );
    assert.throws(() => validate(swapped, ownXsd));
  });
});
