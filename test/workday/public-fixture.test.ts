// A real Workday answer, not one the simulator wrote: the Get_Workers_Response (wd:version="v25.1")
// that treestryder/powershell_module_workdayapi keeps as its Pester mock, at
// https://github.com/treestryder/powershell_module_workdayapi/blob/6eb900eb37e98f5f97d2675cd988fc4c2920a7c0/source/tests/Invoke-WorkdayRequestHelper.psm1
// (first committed in 713b4cf, 2015-12-22; MIT, © 2019 Nathan Hartley). Its author anonymised it:
// every WID is zeros, the SSN is 000-00-0000, the worker is "Example Worker". The file holds the
// element exactly as published; Workday sends it inside a SOAP envelope, which the test adds.
// Its Response_Group echoes the request behind it: personal information only.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createWorkdayClient } from '../../src/workday/client';
import { parseWorkdayConfig } from '../../src/workday/config';
import { parsePage } from '../../src/workday/parse';
import { familyOfVersion } from '../../src/workday/schema-family';

const FRAGMENT = readFileSync(
  path.join(__dirname, 'fixtures/public/get-workers-v25.1-treestryder.xml'),
  'utf8',
);
const ANSWER = `<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body>${FRAGMENT}</env:Body></env:Envelope>`;
const PERSONAL_ONLY = {
  includeReference: true,
  includePersonalInformation: true,
  includeEmploymentInformation: false,
  includeCompensation: false,
  includeOrganizations: false,
};
const EXAMPLE_WORKER = {
  wid: '00000000000000000000000000000000',
  workerId: '1',
  workerType: 'Employee',
  descriptor: 'Example Worker (1)',
  userId: 'ExampleWorker@example.com',
  personal: {
    legalName: { formatted: 'Example Worker', first: 'Example', last: 'Worker' },
    preferredName: { formatted: 'Example Worker', first: 'Example', last: 'Worker' },
    workEmail: 'test@example.com',
    // v2x: the tenant's Formatted_Phone attribute, beside the Area_Code element
    phone: '+1 (517) 123-4567 x4321',
    address: {
      lines: ['3510 Capital City Blvd.'],
      city: 'Lansing',
      region: 'Michigan',
      postalCode: '48906',
      country: 'US',
    },
  },
};

describe('a real anonymised Workday v25.1 answer (public source)', () => {
  it('is read as the v2x family into the record it holds', () => {
    assert.equal(familyOfVersion('v25.1'), 'v2x');
    const page = parsePage(ANSWER, { family: 'v2x', requested: PERSONAL_ONLY });
    assert.equal(page.totalResults, 1);
    assert.deepEqual(page.deadLetters, []);
    assert.deepEqual(page.records, [EXAMPLE_WORKER]);
  });

  it('real v25.1 already wraps jobs in Worker_Job_Data, and its Employment_Data lacks the status the request left out', () => {
    // Both facts differ from the simulator's flat v2x shape; the v2x reader takes either.
    assert.match(FRAGMENT, /<wd:Employment_Data>\s*<wd:Worker_Job_Data wd:Primary_Job="1">/);
    assert.doesNotMatch(FRAGMENT, /Worker_Status_Data/);
    // Had the request asked for employment, an answer without Worker_Status_Data is an error to
    // look at, not a worker without employment: it goes to the dead letters, named.
    const asked = parsePage(ANSWER, { family: 'v2x' });
    assert.deepEqual(asked.records, []);
    assert.equal(asked.deadLetters[0]?.reason, 'Employment_Data has no Worker_Status_Data');
  });

  it('through the wdsync client, configured for v25.1, from an HTTP endpoint serving it', async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
        res.end(ANSWER);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const client = createWorkdayClient(
      parseWorkdayConfig({
        endpoint: `http://127.0.0.1:${port}/ccx/service/acme/Human_Resources/v25.1`,
        username: 'isu_wdsync@acme',
        password: 'wdsync',
        version: 'v25.1',
      }),
    );
    try {
      const r = await client.getWorkersPage({
        page: 1,
        count: 100,
        asOf: { entryMoment: '2016-01-01T12:00:00Z', effectiveDate: '2016-01-01' },
        responseGroup: PERSONAL_ONLY,
      });
      assert.deepEqual(r.deadLetters, []);
      assert.deepEqual(r.records, [EXAMPLE_WORKER]);
    } finally {
      client.close();
      server.close();
    }
  });
});
