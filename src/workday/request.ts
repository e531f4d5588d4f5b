import { z } from 'zod';
import { AsOf, isoDateTime } from '../domain/as-of';
import { WorkdayValidationError } from './errors';
import { escapeXml as x } from './xml';

export const BSVC_NS = 'urn:com.workday/bsvc';
const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const PASSWORD_TEXT =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText';

/**
 * xsd:dateTime without a zone, which Workday reads in the tenant's zone: the right form for
 * bounds on effective dates, which are tenant-local calendar days.
 */
const localDateTime = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/,
    'expected a tenant-local dateTime without a zone, e.g. 2024-05-01T00:00:00',
  )
  .refine((s) => !Number.isNaN(Date.parse(`${s}Z`)), 'not a real date and time');
export const WorkerRefType = z.enum(['WID', 'Employee_ID', 'Contingent_Worker_ID']);
export type WorkerRefType = z.infer<typeof WorkerRefType>;

export const ResponseGroup = z.object({
  includeReference: z.boolean().default(true),
  includePersonalInformation: z.boolean().default(true),
  includeEmploymentInformation: z.boolean().default(true),
  includeCompensation: z.boolean().default(true),
  includeOrganizations: z.boolean().default(true),
});
export type ResponseGroup = z.output<typeof ResponseGroup>;

export const GetWorkersRequest = z.object({
  /** 1-based, as Workday counts; Workday rejects page 0. */
  page: z.number().int().min(1, 'page starts at 1'),
  /** Workday's Response_Filter/Count bound. */
  count: z.number().int().min(1, 'count must be 1..999').max(999, 'count must be 1..999'),
  asOf: AsOf,
  /**
   * Delta windows: workers with a change entered in updatedFrom..updatedThrough, OR with a change
   * (entered by the as-of moment) effective in effectiveFrom..effectiveThrough. Sent as two
   * Transaction_Log_Criteria_Data, which Workday ORs; inside one Transaction_Date_Range_Data the
   * bounds would all apply to the same change, missing future-dated changes on the day they take
   * effect. Effective bounds may be zone-less (tenant-local).
   */
  transactionLog: z
    .object({
      updatedFrom: isoDateTime,
      updatedThrough: isoDateTime,
      effectiveFrom: z.union([isoDateTime, localDateTime]).optional(),
      effectiveThrough: z.union([isoDateTime, localDateTime]).optional(),
    })
    .refine(
      (t) => Date.parse(t.updatedFrom) <= Date.parse(t.updatedThrough),
      'updatedFrom must not be after updatedThrough',
    )
    .optional(),
  scope: z
    .object({
      workerRefs: z
        .array(z.object({ type: WorkerRefType, id: z.string().min(1) }))
        .min(1)
        .optional(),
      /** Without it, Workday faults on a reference that does not exist as of the snapshot. */
      skipNonExisting: z.boolean().optional(),
      excludeInactive: z.boolean().optional(),
      excludeEmployees: z.boolean().optional(),
      excludeContingent: z.boolean().optional(),
      /**
       * Supervisory organizations by Organization_Reference_ID. Workday has one
       * Include_Subordinate_Organizations flag for the whole list, so it is modelled once here.
       */
      organizations: z
        .object({ ids: z.array(z.string().min(1)).min(1), includeSubordinates: z.boolean() })
        .optional(),
    })
    .refine(
      (s) => !(s.excludeEmployees && s.excludeContingent),
      'excluding both employees and contingent workers selects nobody',
    )
    .optional(),
  responseGroup: ResponseGroup.default(ResponseGroup.parse({})),
});
export type GetWorkersRequestInput = z.input<typeof GetWorkersRequest>;
export type GetWorkersRequest = z.output<typeof GetWorkersRequest>;

/** How the envelope authenticates: a WS-Security header, or none when an OAuth Bearer token goes in HTTP. */
export type EnvelopeAuth = { kind: 'usernameToken'; username: string; password: string } | { kind: 'bearer' };

/** Validates a request; the error names each bad field (a programming or settings error, never retried). */
export function parseGetWorkersRequest(input: GetWorkersRequestInput): GetWorkersRequest {
  const r = GetWorkersRequest.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ message: i.message, xpath: i.path.join('.') || undefined }));
  throw new WorkdayValidationError(
    `Invalid Get_Workers request: ${issues.map((i) => (i.xpath ? `${i.xpath}: ${i.message}` : i.message)).join('; ')}. Fix the request; it was not sent.`,
    issues,
  );
}

const bool = (b: boolean) => (b ? 'true' : 'false');
const el = (name: string, body: string) => `<bsvc:${name}>${body}</bsvc:${name}>`;
const opt = (name: string, v: boolean | undefined) => (v === undefined ? '' : el(name, bool(v)));
const ref = (name: string, type: string, id: string) =>
  `<bsvc:${name}><bsvc:ID bsvc:type="${x(type)}">${x(id)}</bsvc:ID></bsvc:${name}>`;

/**
 * The Get_Workers_Request SOAP 1.1 envelope. Children follow the XSD's sequence order
 * (Request_References, Request_Criteria, Response_Filter, Response_Group), as strict servers require.
 */
export function buildGetWorkersEnvelope(
  input: GetWorkersRequestInput,
  auth: EnvelopeAuth,
  version: string,
): string {
  const req = parseGetWorkersRequest(input);
  let body = '';

  const scope = req.scope;
  if (scope?.workerRefs) {
    const skip =
      scope.skipNonExisting === undefined
        ? ''
        : ` bsvc:Skip_Non_Existing_Instances="${bool(scope.skipNonExisting)}"`;
    body += `<bsvc:Request_References${skip}>${scope.workerRefs.map((r) => ref('Worker_Reference', r.type, r.id)).join('')}</bsvc:Request_References>`;
  }

  let criteria = '';
  if (req.transactionLog) {
    const t = req.transactionLog;
    criteria += el(
      'Transaction_Log_Criteria_Data',
      el(
        'Transaction_Date_Range_Data',
        el('Updated_From', x(t.updatedFrom)) + el('Updated_Through', x(t.updatedThrough)),
      ),
    );
    if (t.effectiveFrom || t.effectiveThrough) {
      criteria += el(
        'Transaction_Log_Criteria_Data',
        el(
          'Transaction_Date_Range_Data',
          (t.effectiveFrom ? el('Effective_From', x(t.effectiveFrom)) : '') +
            (t.effectiveThrough ? el('Effective_Through', x(t.effectiveThrough)) : ''),
        ),
      );
    }
  }
  if (scope?.organizations) {
    criteria += scope.organizations.ids
      .map((id) => ref('Organization_Reference', 'Organization_Reference_ID', id))
      .join('');
    criteria += el('Include_Subordinate_Organizations', bool(scope.organizations.includeSubordinates));
  }
  criteria += opt('Exclude_Inactive_Workers', scope?.excludeInactive);
  criteria += opt('Exclude_Employees', scope?.excludeEmployees);
  criteria += opt('Exclude_Contingent_Workers', scope?.excludeContingent);
  if (criteria) body += el('Request_Criteria', criteria);

  body += el(
    'Response_Filter',
    el('As_Of_Effective_Date', req.asOf.effectiveDate) +
      el('As_Of_Entry_DateTime', x(req.asOf.entryMoment)) +
      el('Page', String(req.page)) +
      el('Count', String(req.count)),
  );

  const g = req.responseGroup;
  body += el(
    'Response_Group',
    el('Include_Reference', bool(g.includeReference)) +
      el('Include_Personal_Information', bool(g.includePersonalInformation)) +
      el('Include_Employment_Information', bool(g.includeEmploymentInformation)) +
      el('Include_Compensation', bool(g.includeCompensation)) +
      el('Include_Organizations', bool(g.includeOrganizations)),
  );

  const header =
    auth.kind === 'usernameToken'
      ? '<soapenv:Header>' +
        `<wsse:Security xmlns:wsse="${WSSE_NS}" soapenv:mustUnderstand="1">` +
        '<wsse:UsernameToken>' +
        `<wsse:Username>${x(auth.username)}</wsse:Username>` +
        `<wsse:Password Type="${PASSWORD_TEXT}">${x(auth.password)}</wsse:Password>` +
        '</wsse:UsernameToken></wsse:Security></soapenv:Header>'
      : '';

  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<soapenv:Envelope xmlns:soapenv="${SOAP_ENV_NS}" xmlns:bsvc="${BSVC_NS}">` +
    header +
    `<soapenv:Body><bsvc:Get_Workers_Request bsvc:version="${x(version)}">${body}</bsvc:Get_Workers_Request></soapenv:Body>` +
    '</soapenv:Envelope>'
  );
}
