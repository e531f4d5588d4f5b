import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkdayValidationError } from '../../src/workday/errors';
import { type GetWorkersRequestInput, buildGetWorkersEnvelope } from '../../src/workday/request';
import { parseTree, path, text, attr, type XNode } from '../../src/workday/xml-tree';
import { validateAgainstXsd, xsdSkipReason } from './xsd';

const asOf = { entryMoment: '2024-05-01T12:00:00.000Z', effectiveDate: '2024-05-01' };
const wsse = { kind: 'usernameToken' as const, username: 'isu_wdsync@acme', password: 'p<&>"\'w' };

function requestElement(envelope: string): XNode {
  const root = parseTree(envelope);
  const req = path(root, 'Body', 'Get_Workers_Request');
  assert.ok(req, 'Body/Get_Workers_Request present');
  return req;
}

/** The request element cut out of the envelope with its namespace declaration, for xmllint. */
function standalone(envelope: string): string {
  const start = envelope.indexOf('<bsvc:Get_Workers_Request');
  const end = envelope.indexOf('</bsvc:Get_Workers_Request>') + '</bsvc:Get_Workers_Request>'.length;
  return envelope
    .slice(start, end)
    .replace('<bsvc:Get_Workers_Request ', '<bsvc:Get_Workers_Request xmlns:bsvc="urn:com.workday/bsvc" ');
}

describe('Get_Workers request envelope', () => {
  it('is SOAP 1.1 with a PasswordText UsernameToken and bsvc:version', () => {
    const env = buildGetWorkersEnvelope({ page: 2, count: 999, asOf }, wsse, 'v44.0');
    const root = parseTree(env);
    assert.equal(root.qname, 'soapenv:Envelope');
    assert.equal(root.attrs['xmlns:soapenv'], 'http://schemas.xmlsoap.org/soap/envelope/');
    assert.equal(root.attrs['xmlns:bsvc'], 'urn:com.workday/bsvc');
    const token = path(root, 'Header', 'Security', 'UsernameToken');
    assert.equal(text(path(token, 'Username')), 'isu_wdsync@acme');
    const pw = path(token, 'Password');
    assert.equal(text(pw), 'p<&>"\'w', 'password escaped and round-trips');
    assert.match(attr(pw, 'Type') ?? '', /#PasswordText$/);
    const req = requestElement(env);
    assert.equal(attr(req, 'version'), 'v44.0');
    assert.deepEqual(
      req.children.map((c) => c.name),
      ['Response_Filter', 'Response_Group'],
    );
    const filter = path(req, 'Response_Filter')!;
    assert.deepEqual(
      filter.children.map((c) => [c.name, c.text]),
      [
        ['As_Of_Effective_Date', '2024-05-01'],
        ['As_Of_Entry_DateTime', '2024-05-01T12:00:00.000Z'],
        ['Page', '2'],
        ['Count', '999'],
      ],
    );
  });

  it('has no WS-Security header when a Bearer token authenticates', () => {
    const env = buildGetWorkersEnvelope({ page: 1, count: 10, asOf }, { kind: 'bearer' }, 'v44.0');
    assert.equal(path(parseTree(env), 'Header'), undefined);
    assert.doesNotMatch(env, /wsse|Password/);
  });

  it('pins the same as-of moment on every page', () => {
    for (let page = 1; page <= 5; page++) {
      const filter = path(
        requestElement(buildGetWorkersEnvelope({ page, count: 100, asOf }, wsse, 'v44.0')),
        'Response_Filter',
      )!;
      assert.equal(text(path(filter, 'As_Of_Entry_DateTime')), asOf.entryMoment);
      assert.equal(text(path(filter, 'As_Of_Effective_Date')), asOf.effectiveDate);
      assert.equal(text(path(filter, 'Page')), String(page));
    }
  });

  const full: GetWorkersRequestInput = {
    page: 3,
    count: 250,
    asOf: { entryMoment: '2024-05-01T05:00:00-07:00', effectiveDate: '2024-05-01' },
    transactionLog: {
      updatedFrom: '2024-04-30T00:00:00Z',
      updatedThrough: '2024-05-01T00:00:00Z',
      effectiveFrom: '2024-04-30T00:00:00Z',
      effectiveThrough: '2024-05-01T00:00:00Z',
    },
    scope: {
      workerRefs: [
        { type: 'Employee_ID', id: '21001' },
        { type: 'WID', id: '0123456789abcdef0123456789abcdef' },
      ],
      skipNonExisting: true,
      excludeInactive: true,
      excludeContingent: true,
      organizations: { ids: ['SUP-1', 'SUP-<2>'], includeSubordinates: true },
    },
    responseGroup: { includeCompensation: false },
  };

  it('puts every section in XSD order', () => {
    const req = requestElement(buildGetWorkersEnvelope(full, wsse, 'v44.0'));
    assert.deepEqual(
      req.children.map((c) => c.name),
      ['Request_References', 'Request_Criteria', 'Response_Filter', 'Response_Group'],
    );
    assert.equal(attr(path(req, 'Request_References'), 'Skip_Non_Existing_Instances'), 'true');
    assert.deepEqual(
      path(req, 'Request_Criteria')!.children.map((c) => c.name),
      [
        'Transaction_Log_Criteria_Data',
        'Transaction_Log_Criteria_Data',
        'Organization_Reference',
        'Organization_Reference',
        'Include_Subordinate_Organizations',
        'Exclude_Inactive_Workers',
        'Exclude_Contingent_Workers',
      ],
    );
    // Two criteria, which Workday ORs: changes entered in the Updated window, or taking effect
    // in the Effective window (one range would demand both of the same change).
    const ranges = path(req, 'Request_Criteria')!
      .children.filter((c) => c.name === 'Transaction_Log_Criteria_Data')
      .map((c) => c.children[0].children.map((d) => d.name));
    assert.deepEqual(ranges, [
      ['Updated_From', 'Updated_Through'],
      ['Effective_From', 'Effective_Through'],
    ]);
    const group = path(req, 'Response_Group')!;
    assert.deepEqual(
      group.children.map((c) => [c.name, c.text]),
      [
        ['Include_Reference', 'true'],
        ['Include_Personal_Information', 'true'],
        ['Include_Employment_Information', 'true'],
        ['Include_Compensation', 'false'],
        ['Include_Organizations', 'true'],
      ],
    );
  });

  it('validates against the Workday XSD', { skip: xsdSkipReason() }, () => {
    assert.equal(validateAgainstXsd(standalone(buildGetWorkersEnvelope(full, wsse, 'v44.0'))), '');
    assert.equal(
      validateAgainstXsd(
        standalone(buildGetWorkersEnvelope({ page: 1, count: 1, asOf }, { kind: 'bearer' }, 'v44.0')),
      ),
      '',
    );
  });

  it('refuses requests Workday would reject, before sending them', () => {
    const bad: [GetWorkersRequestInput, RegExp][] = [
      [{ page: 1, count: 0, asOf }, /count must be 1\.\.999/],
      [{ page: 1, count: 1000, asOf }, /count must be 1\.\.999/],
      [{ page: 0, count: 10, asOf }, /page starts at 1/],
      [{ page: 1.5, count: 10, asOf }, /page/],
      [
        { page: 1, count: 10, asOf: { entryMoment: '2024-05-01T12:00:00', effectiveDate: '2024-05-01' } },
        /asOf\.entryMoment: expected an ISO dateTime with a zone/,
      ],
      [
        { page: 1, count: 10, asOf: { entryMoment: '2024-05-01T12:00:00Z', effectiveDate: '2024-13-45' } },
        /asOf\.effectiveDate/,
      ],
      [{ page: 1, count: 10 } as unknown as GetWorkersRequestInput, /asOf/],
    ];
    for (const [input, message] of bad) {
      assert.throws(
        () => buildGetWorkersEnvelope(input, wsse, 'v44.0'),
        (err: unknown) => {
          assert.ok(err instanceof WorkdayValidationError);
          assert.equal(err.kind, 'validation');
          assert.match(err.message, message);
          return true;
        },
      );
    }
  });
});
