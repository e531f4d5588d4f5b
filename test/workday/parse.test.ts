import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { WorkdayTransientError, WorkdayValidationError } from '../../src/workday/errors';
import { createPageParser, parsePage } from '../../src/workday/parse';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import { parseTree } from '../../src/workday/xml-tree';
import { envelopeXml, responseXml, syntheticWorker, workerXml } from './fixtures/worker-xml';
import { validateAgainstXsd, xsdSkipReason } from './xsd';

// Hand-written from the v30.0 XSD, so it is read as a v30 response.
const handWritten = readFileSync(path.join(__dirname, 'fixtures/get-workers-page.xml'));

/** Feeds a body in small, odd-sized chunks, so element and UTF-8 boundaries fall mid-chunk. */
function parseChunked(xml: Buffer, size = 37) {
  const p = createPageParser({ family: 'v30' });
  for (let i = 0; i < xml.length; i += size) p.write(xml.subarray(i, i + size));
  return p.end();
}

describe('streaming Get_Workers parser', () => {
  it('with onRecord, hands each valid record on as its Worker closes and keeps none', () => {
    const xml = Buffer.from(
      envelopeXml({
        workers: [1, 2, 3].map((i) => workerXml(syntheticWorker(i))),
        page: 1,
        count: 3,
        totalResults: 3,
      }),
    );
    const seen: string[] = [];
    const p = createPageParser({ onRecord: (r) => seen.push(r.workerId) });
    const firstWorkerEnds = xml.indexOf('</wd:Worker>') + '</wd:Worker>'.length;
    p.write(xml.subarray(0, firstWorkerEnds));
    assert.deepEqual(seen, [syntheticWorker(1).workerId], 'the first record left before the body ended');
    p.write(xml.subarray(firstWorkerEnds));
    const page = p.end();
    assert.deepEqual(
      seen,
      [1, 2, 3].map((i) => syntheticWorker(i).workerId),
    );
    assert.deepEqual(page.records, [], 'nothing held');
    assert.equal(page.rows, 3);
  });

  it('maps a hand-written page with a non-wd prefix', () => {
    const page = parseChunked(handWritten);
    assert.equal(page.totalResults, 5);
    assert.equal(page.totalPages, 3);
    assert.equal(page.pageResultsReported, 2);
    assert.equal(page.pageReported, 2);
    assert.equal(page.rows, 2);
    assert.deepEqual(page.deadLetters, []);
    assert.equal(page.bytes, handWritten.length);
    const [logan, ren] = page.records;
    const expected: NormalizedWorker = {
      wid: '3aa5550b7fe348b98d7b5741afc65534',
      workerId: '21001',
      workerType: 'Employee',
      descriptor: 'Logan McNeil',
      userId: 'lmcneil',
      personal: {
        legalName: { formatted: 'Logan E. McNeil', first: 'Logan', last: 'McNeil' },
        preferredName: { formatted: 'Lo McNeil', first: 'Lo', last: 'McNeil' },
        workEmail: 'lmcneil@acme.example',
        homeEmail: 'logan@home.example',
        phone: '+1 415 555-0100',
        address: {
          lines: ['42 Elm St', 'Apt 7'],
          city: 'San Francisco',
          region: 'California',
          postalCode: '94105',
          country: 'US',
        },
      },
      employment: {
        positionId: 'P-00042',
        positionTitle: 'Chief Human Resources Officer',
        businessTitle: 'CHRO & VP People',
        workerTypeId: 'Regular',
        jobProfileId: 'JP-CHRO',
        jobProfileName: 'Chief HR Officer',
        locationId: 'SF-HQ',
        locationName: 'San Francisco HQ',
        // The worker manages SUP-HR; their own manager is the one a level up.
        managerWid: '0c0ffee0c0ffee0c0ffee0c0ffee0c0f',
        active: true,
        hireDate: '2015-03-02',
        terminated: false,
      },
      compensation: { amount: 245000.5, currency: 'USD', frequency: 'Annual' },
      organizations: {
        supervisoryOrgId: 'SUP-HR',
        supervisoryOrgName: 'Human Resources',
        costCenterId: 'CC-100',
        companyId: 'GMS',
      },
    };
    assert.deepEqual(logan, expected);
    assert.deepEqual(ren, {
      wid: 'b7e1c2d3e4f5a6b7c8d9e0f1a2b3c4d5',
      workerId: 'C-0007',
      workerType: 'Contingent_Worker',
      descriptor: 'Ren Ito',
      personal: { legalName: { formatted: 'Ren Ito', first: 'Ren', last: 'Ito' } },
      employment: {
        positionId: 'P-C-7',
        positionTitle: 'Contractor',
        workerTypeId: 'Contractor',
        active: false,
        hireDate: '2022-01-10',
        terminated: true,
        terminationDate: '2023-12-31',
      },
    });
  });

  it('the hand-written fixture is valid against the Workday XSD', { skip: xsdSkipReason() }, () => {
    const s = handWritten.toString();
    const start = s.indexOf('<ns1:Get_Workers_Response');
    const end = s.indexOf('</ns1:Get_Workers_Response>') + '</ns1:Get_Workers_Response>'.length;
    assert.equal(validateAgainstXsd(s.slice(start, end)), '');
  });

  it('gives the same records for any chunking', () => {
    const whole = parsePage(handWritten, { family: 'v30' });
    for (const size of [1, 7, 4096]) assert.deepEqual(parseChunked(handWritten, size).records, whole.records);
  });

  it('reads a default-namespace response', () => {
    const workers = [0, 1, 2].map((i) => workerXml(syntheticWorker(i), '', 'b:'));
    const xml = envelopeXml({ workers, page: 1, count: 3, totalResults: 3, style: 'default-namespace' });
    const prefixed = envelopeXml({
      workers: [0, 1, 2].map((i) => workerXml(syntheticWorker(i))),
      page: 1,
      count: 3,
      totalResults: 3,
    });
    const a = parsePage(xml);
    assert.equal(a.rows, 3);
    assert.deepEqual(a.deadLetters, []);
    assert.deepEqual(a.records, parsePage(prefixed).records);
  });

  it('generated fixtures are valid against the Workday XSD', { skip: xsdSkipReason() }, () => {
    const workers = [0, 9, 23].map((i) => workerXml(syntheticWorker(i)));
    assert.equal(validateAgainstXsd(responseXml({ workers, page: 1, count: 3, totalResults: 3 })), '');
    const dflt = [0, 9].map((i) => workerXml(syntheticWorker(i), '', 'b:'));
    assert.equal(
      validateAgainstXsd(
        responseXml({ workers: dflt, page: 1, count: 2, totalResults: 2, style: 'default-namespace' }),
      ),
      '',
    );
  });

  it('counts rows instead of trusting Page_Results', () => {
    const workers = [0, 1].map((i) => workerXml(syntheticWorker(i)));
    const page = parsePage(
      envelopeXml({ workers, page: 3, count: 999, totalResults: 2000, pageResults: 999 }),
    );
    assert.equal(page.pageResultsReported, 999);
    assert.equal(page.rows, 2);
    assert.equal(page.records.length, 2);
  });

  it('dead-letters an invalid record with its reason and fragment, and keeps the rest', () => {
    const bad = { ...syntheticWorker(1), wid: 'not-a-wid' };
    const badStatus = {
      ...syntheticWorker(2),
      status: { active: 'yes', hireDate: '2020-01-01', terminated: '0' },
    };
    const badAmount = {
      ...syntheticWorker(3),
      compensation: { amount: '12,000', currency: 'USD', frequency: 'Annual' },
    };
    const badCurrency = {
      ...syntheticWorker(4),
      compensation: { amount: '10', currency: 'DOLLARS', frequency: 'Annual' },
    };
    const workers = [syntheticWorker(0), bad, badStatus, badAmount, badCurrency, syntheticWorker(5)].map(
      (w) => workerXml(w),
    );
    const page = parseChunked(
      Buffer.from(envelopeXml({ workers, page: 1, count: 6, totalResults: 6 })),
      1000,
    );
    assert.equal(page.rows, 6);
    assert.deepEqual(
      page.records.map((r) => r.workerId),
      ['100000', '100005'],
    );
    assert.equal(page.deadLetters.length, 4);
    const [d1, d2, d3, d4] = page.deadLetters;
    assert.equal(d1!.wid, 'not-a-wid');
    assert.equal(d1!.workerId, '100001');
    assert.match(d1!.reason, /wid: WID must be 32 hex characters/);
    assert.match(
      d2!.reason,
      /Worker_Status_Data\/Active: expected a boolean \(1\/0\/true\/false\), got "yes"/,
    );
    assert.match(d3!.reason, /Amount: expected a decimal amount, got "12,000"/);
    assert.match(d4!.reason, /compensation\.currency/);
    // The fragment is the worker's own XML, standalone (namespace declarations carried over).
    const fragment = parseTree(d1!.fragment);
    assert.equal(fragment.qname, 'wd:Worker');
    assert.equal(fragment.attrs['xmlns:wd'], 'urn:com.workday/bsvc');
    assert.match(d1!.fragment, /<wd:ID wd:type="WID">not-a-wid<\/wd:ID>/);
  });

  it('dead-letters a worker without a WID or with a missing required section', () => {
    const noStatus = workerXml({ ...syntheticWorker(7), status: undefined });
    const noWid = workerXml(syntheticWorker(8)).replace(/<wd:ID wd:type="WID">[0-9a-f]+<\/wd:ID>/, '');
    const page = parsePage(
      envelopeXml({
        workers: [noStatus, noWid, workerXml(syntheticWorker(9))],
        page: 1,
        count: 3,
        totalResults: 3,
      }),
    );
    assert.equal(page.records.length, 1);
    assert.match(page.deadLetters[0]!.reason, /Employment_Data has no Worker_Status_Data/);
    assert.match(page.deadLetters[1]!.reason, /no ID of type WID/);
    assert.equal(page.deadLetters[1]!.workerId, '100008');
  });

  it('treats a body cut mid-stream as a transient (retryable) error', () => {
    const xml = Buffer.from(
      envelopeXml({
        workers: [0, 1, 2].map((i) => workerXml(syntheticWorker(i))),
        page: 1,
        count: 3,
        totalResults: 3,
      }),
    );
    for (const cut of [10, 300, Math.floor(xml.length / 2), xml.length - 5]) {
      assert.throws(
        () => parseChunked(xml.subarray(0, cut), 64),
        (err: unknown) => {
          assert.ok(err instanceof WorkdayTransientError, String(err));
          assert.equal(err.kind, 'transient');
          assert.equal(err.reason, 'truncated');
          assert.match(err.message, /ended before the SOAP envelope closed/);
          return true;
        },
      );
    }
  });

  it('treats garbage as malformed (transient)', () => {
    assert.throws(
      () => parsePage('<env:Envelope><a></b></env:Envelope>'),
      (err: unknown) => {
        assert.ok(err instanceof WorkdayTransientError);
        assert.equal(err.reason, 'malformed');
        return true;
      },
    );
  });

  it('reports a SOAP fault found in a 200 body by its kind', () => {
    const fault =
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault>' +
      '<faultcode>SOAP-ENV:Client.validationError</faultcode><faultstring>Validation error occurred. Invalid page number</faultstring>' +
      '<detail><wd:Validation_Fault xmlns:wd="urn:com.workday/bsvc"><wd:Validation_Error><wd:Message>Invalid page number</wd:Message>' +
      '<wd:Xpath>/ns0:Get_Workers_Request[1]/ns0:Response_Filter[1]/ns0:Page[1]</wd:Xpath></wd:Validation_Error></wd:Validation_Fault></detail>' +
      '</soapenv:Fault></soapenv:Body></soapenv:Envelope>';
    assert.throws(
      () => parsePage(fault),
      (err: unknown) => err instanceof WorkdayValidationError && /Page\[1\]/.test(err.message),
    );
  });

  it('reports progress while streaming', () => {
    const xml = Buffer.from(
      envelopeXml({
        workers: [0, 1, 2, 3].map((i) => workerXml(syntheticWorker(i))),
        page: 1,
        count: 4,
        totalResults: 4,
      }),
    );
    const seen: [number, number][] = [];
    const p = createPageParser({ onProgress: (b, w) => seen.push([b, w]) });
    for (let i = 0; i < xml.length; i += 4096) p.write(xml.subarray(i, i + 4096));
    p.end();
    assert.ok(seen.length > 2);
    assert.deepEqual(seen[seen.length - 1], [xml.length, 4]);
    assert.ok(seen.every(([b], i) => i === 0 || b > seen[i - 1]![0]));
  });

  it('an empty page past the last one is not an error', () => {
    const page = parsePage(envelopeXml({ workers: [], page: 9, count: 100, totalResults: 250 }));
    assert.equal(page.rows, 0);
    assert.equal(page.totalPages, 3);
  });
});
