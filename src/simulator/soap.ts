import { esc, GROUP_ELEMENTS, type RequestedGroups } from './render';
import type { ParsedGetWorkers } from './request';

/**
 * Envelopes the simulator answers with. Faults copy Workday's shape: HTTP 500, SOAP-ENV prefix,
 * faultcode Client.authenticationError / Client.validationError / Server.processingError, and a
 * wd:Validation_Fault or wd:Processing_Fault in the detail. Throttling is a processing fault whose
 * text says "throttled", with no Retry-After, because that is how Workday reports it.
 */

const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';

function faultEnvelope(code: string, str: string, detail: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP_ENV}"><SOAP-ENV:Body>` +
    `<SOAP-ENV:Fault xmlns:wd="urn:com.workday/bsvc"><faultcode>${code}</faultcode><faultstring>${esc(str)}</faultstring>` +
    `${detail}</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>`
  );
}

export function authFault(): string {
  return faultEnvelope('SOAP-ENV:Client.authenticationError', 'invalid username or password', '');
}

export function validationFault(message: string, detail: string, xpath: string): string {
  return faultEnvelope(
    'SOAP-ENV:Client.validationError',
    `Validation error occurred. ${message}`,
    `<detail><wd:Validation_Fault><wd:Validation_Error><wd:Message>${esc(message)}</wd:Message>` +
      `<wd:Detail_Message>${esc(detail)}</wd:Detail_Message><wd:Xpath>${esc(xpath)}</wd:Xpath>` +
      '</wd:Validation_Error></wd:Validation_Fault></detail>',
  );
}

export function processingFault(detail: string): string {
  return faultEnvelope(
    'SOAP-ENV:Server.processingError',
    `Processing error occurred. ${detail}`,
    `<detail><wd:Processing_Fault><wd:Detail_Message>${esc(detail)}</wd:Detail_Message></wd:Processing_Fault></detail>`,
  );
}

/**
 * Workday's refusal of a response over its size limit. Its exact words are not published; this
 * says what such a fault says: the response is too large, the limit, and what to ask for instead.
 */
export function responseTooLargeFault(maxBytes: number): string {
  return processingFault(
    `The response is too large to return: it is over the limit of ${maxBytes} bytes for one web service response. Request fewer workers per page (a smaller Count in the Response_Filter) or fewer Response_Group elements.`,
  );
}

export function throttleFault(tenant: string, why: string): string {
  return processingFault(
    `The request was throttled: ${why} for tenant ${tenant}. Please retry the request later.`,
  );
}

export interface ResponseHead {
  version: string;
  req: ParsedGetWorkers;
  asOfEffective: string;
  asOfEntry: string;
  transactionLog: {
    updatedFrom?: string;
    updatedThrough?: string;
    effectiveFrom?: string;
    effectiveThrough?: string;
  }[];
  total: number;
  totalPages: number;
  pageResults: number;
}

const b01 = (b: boolean) => (b ? '1' : '0');
const el = (n: string, v: string) => `<wd:${n}>${v}</wd:${n}>`;

function groupsXml(g: RequestedGroups): string {
  return GROUP_ELEMENTS.map(([k, n]) => el(n, b01(g[k]))).join('');
}

/** Everything before the first Worker: envelope, echoes of the request, Response_Results. */
export function responseHead(h: ResponseHead): string {
  const r = h.req;
  let s =
    `<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="${SOAP_ENV}" xmlns:xsd="http://www.w3.org/2001/XMLSchema">` +
    `<env:Body><wd:Get_Workers_Response xmlns:wd="urn:com.workday/bsvc" wd:version="${esc(h.version)}">`;
  if (r.echo.references && r.references) {
    s += `<wd:Request_References wd:Skip_Non_Existing_Instances="${b01(r.skipNonExisting)}">`;
    for (const ref of r.references)
      s += `<wd:Worker_Reference><wd:ID wd:type="${esc(ref.type)}">${esc(ref.id)}</wd:ID></wd:Worker_Reference>`;
    s += '</wd:Request_References>';
  }
  if (r.echo.criteria) {
    s += '<wd:Request_Criteria>';
    for (const t of h.transactionLog) {
      s += '<wd:Transaction_Log_Criteria_Data><wd:Transaction_Date_Range_Data>';
      if (t.updatedFrom) s += el('Updated_From', t.updatedFrom);
      if (t.updatedThrough) s += el('Updated_Through', t.updatedThrough);
      if (t.effectiveFrom) s += el('Effective_From', t.effectiveFrom);
      if (t.effectiveThrough) s += el('Effective_Through', t.effectiveThrough);
      s += '</wd:Transaction_Date_Range_Data></wd:Transaction_Log_Criteria_Data>';
    }
    for (const o of r.organizations)
      s += `<wd:Organization_Reference><wd:ID wd:type="${esc(o.type)}">${esc(o.id)}</wd:ID></wd:Organization_Reference>`;
    if (r.organizations.length) s += el('Include_Subordinate_Organizations', b01(r.includeSubordinates));
    s += el('Exclude_Inactive_Workers', b01(r.excludeInactive));
    s += el('Exclude_Employees', b01(r.excludeEmployees));
    s += el('Exclude_Contingent_Workers', b01(r.excludeContingent));
    s += '</wd:Request_Criteria>';
  }
  s += `<wd:Response_Filter>${el('As_Of_Effective_Date', h.asOfEffective)}${el('As_Of_Entry_DateTime', h.asOfEntry)}`;
  s += `${el('Page', String(r.page))}${el('Count', String(r.count))}</wd:Response_Filter>`;
  s += `<wd:Response_Group>${groupsXml(r.groups)}</wd:Response_Group>`;
  s += `<wd:Response_Results>${el('Total_Results', String(h.total))}${el('Total_Pages', String(h.totalPages))}`;
  s += `${el('Page_Results', String(h.pageResults))}${el('Page', String(r.page))}</wd:Response_Results>`;
  return `${s}<wd:Response_Data>`;
}

export const RESPONSE_TAIL = '</wd:Response_Data></wd:Get_Workers_Response></env:Body></env:Envelope>';
