import { SaxesParser } from 'saxes';
import { DEFAULT_GROUPS, GROUP_ELEMENTS, type RequestedGroups } from './render';

/**
 * Reads a SOAP 1.1 Get_Workers request the way Workday does: namespaces matter, prefixes do not
 * (any prefix or a default namespace), booleans may be 1/0/true/false, As_Of_Effective_Date may be
 * a date or a dateTime, and a missing Page means page 1. Problems become ValidationFault, which
 * the server answers in Workday's wd:Validation_Fault format.
 */

export const BSVC = 'urn:com.workday/bsvc';
export const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';

export class ValidationFault extends Error {
  constructor(
    message: string,
    readonly xpath: string,
    readonly detail: string = message,
  ) {
    super(message);
  }
}

export interface XEl {
  local: string;
  uri: string;
  attrs: Record<string, string>;
  children: XEl[];
  text: string;
}

export function parseXml(xml: string): XEl {
  const parser = new SaxesParser({ xmlns: true, position: false });
  const stack: XEl[] = [];
  let root: XEl | undefined;
  parser.on('error', (e) => {
    throw e;
  });
  parser.on('opentag', (tag) => {
    const attrs: Record<string, string> = {};
    for (const a of Object.values(tag.attributes)) {
      if (typeof a === 'object' && a.prefix !== 'xmlns' && a.name !== 'xmlns') attrs[a.local] = a.value;
    }
    const el: XEl = { local: tag.local ?? tag.name, uri: tag.uri ?? '', attrs, children: [], text: '' };
    if (stack.length) stack[stack.length - 1].children.push(el);
    else root = el;
    stack.push(el);
  });
  parser.on('text', (t) => {
    if (stack.length) stack[stack.length - 1].text += t;
  });
  parser.on('cdata', (t) => {
    if (stack.length) stack[stack.length - 1].text += t;
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  parser.write(xml).close();
  if (!root) throw new Error('empty document');
  return root;
}

const kids = (el: XEl | undefined, local: string, uri?: string) =>
  el ? el.children.filter((c) => c.local === local && (uri === undefined || c.uri === uri)) : [];
const kid = (el: XEl | undefined, local: string, uri?: string) => kids(el, local, uri)[0];

export interface TransactionWindowRaw {
  updatedFrom?: string;
  updatedThrough?: string;
  effectiveFrom?: string;
  effectiveThrough?: string;
}

export interface ParsedGetWorkers {
  version?: string;
  page: number;
  count: number;
  asOfEntry?: string;
  asOfEffective?: string;
  references?: { type: string; id: string; xpath: string }[];
  skipNonExisting: boolean;
  excludeInactive: boolean;
  excludeEmployees: boolean;
  excludeContingent: boolean;
  organizations: { type: string; id: string; xpath: string }[];
  includeSubordinates: boolean;
  transactionLog: (TransactionWindowRaw & { xpath: string })[];
  groups: RequestedGroups;
  /** True when the request set at least one Response_Group value. */
  groupsGiven: boolean;
  /** Which sections the request carried, so the response echoes the same. */
  echo: { references: boolean; criteria: boolean; group: boolean };
}

export interface ParsedEnvelope {
  /** Local name of the Body's first element (the operation). */
  operation: string;
  usernameToken?: { username: string; password: string };
  request?: ParsedGetWorkers;
  /** A Get_Workers request Workday would reject; reported after authentication, as Workday does. */
  requestError?: ValidationFault;
}

const ROOT = '/bsvc:Get_Workers_Request[1]';

export function parseBool(value: string, xpath: string): boolean {
  switch (value.trim()) {
    case '1':
    case 'true':
      return true;
    case '0':
    case 'false':
      return false;
    default:
      throw new ValidationFault(
        `Invalid boolean value: '${value.trim()}'`,
        xpath,
        `'${value.trim()}' is not a valid boolean (1, 0, true or false)`,
      );
  }
}

function parseCount(el: XEl, xpath: string, what: string): number {
  const v = el.text.trim();
  if (!/^\+?\d+(\.0*)?$/.test(v))
    throw new ValidationFault(
      `Invalid value for ${what}: '${v}'`,
      xpath,
      `${what} must be a whole number, got '${v}'`,
    );
  return Number.parseInt(v.replace('+', ''), 10);
}

/** Parses the envelope; throws ValidationFault for anything Workday would reject, Error for bad XML. */
export function parseEnvelope(xml: string): ParsedEnvelope {
  let root: XEl;
  try {
    root = parseXml(xml);
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    throw new ValidationFault(
      'Invalid request: the request is not well-formed XML',
      '/',
      `XML parse error: ${msg}`,
    );
  }
  if (root.local !== 'Envelope' || root.uri !== SOAP_ENV) {
    throw new ValidationFault(
      'Invalid request: expected a SOAP 1.1 Envelope',
      '/',
      `The root element is {${root.uri}}${root.local}, not a SOAP 1.1 Envelope`,
    );
  }
  const header = kid(root, 'Header', SOAP_ENV);
  const token = kid(kid(header, 'Security', WSSE), 'UsernameToken', WSSE);
  const usernameToken = token
    ? {
        username: kid(token, 'Username', WSSE)?.text.trim() ?? '',
        password: kid(token, 'Password', WSSE)?.text ?? '',
      }
    : undefined;
  const body = kid(root, 'Body', SOAP_ENV);
  const op = body?.children[0];
  if (!op)
    throw new ValidationFault(
      'Invalid request: the SOAP Body is empty',
      '/',
      'The SOAP Body has no request element',
    );
  if (op.local !== 'Get_Workers_Request' || op.uri !== BSVC) return { operation: op.local, usernameToken };
  try {
    return { operation: op.local, usernameToken, request: parseGetWorkers(op) };
  } catch (e) {
    if (e instanceof ValidationFault) return { operation: op.local, usernameToken, requestError: e };
    throw e;
  }
}

function parseGetWorkers(op: XEl): ParsedGetWorkers {
  const req: ParsedGetWorkers = {
    version: op.attrs.version,
    page: 1,
    count: 100,
    skipNonExisting: false,
    excludeInactive: false,
    excludeEmployees: false,
    excludeContingent: false,
    organizations: [],
    includeSubordinates: false,
    transactionLog: [],
    groups: { ...DEFAULT_GROUPS },
    groupsGiven: false,
    echo: { references: false, criteria: false, group: false },
  };

  const refs = kid(op, 'Request_References', BSVC);
  if (refs) {
    req.echo.references = true;
    const xp = `${ROOT}/bsvc:Request_References[1]`;
    const skip = refs.attrs.Skip_Non_Existing_Instances;
    if (skip !== undefined) req.skipNonExisting = parseBool(skip, `${xp}/@bsvc:Skip_Non_Existing_Instances`);
    req.references = [];
    kids(refs, 'Worker_Reference', BSVC).forEach((w, i) => {
      kids(w, 'ID', BSVC).forEach((id, j) => {
        req.references!.push({
          type: id.attrs.type ?? '',
          id: id.text.trim(),
          xpath: `${xp}/bsvc:Worker_Reference[${i + 1}]/bsvc:ID[${j + 1}]`,
        });
      });
    });
  }

  const crit = kid(op, 'Request_Criteria', BSVC);
  if (crit) {
    req.echo.criteria = true;
    const xp = `${ROOT}/bsvc:Request_Criteria[1]`;
    kids(crit, 'Transaction_Log_Criteria_Data', BSVC).forEach((t, i) => {
      const range = kid(t, 'Transaction_Date_Range_Data', BSVC);
      const rxp = `${xp}/bsvc:Transaction_Log_Criteria_Data[${i + 1}]/bsvc:Transaction_Date_Range_Data[1]`;
      const get = (n: string) => kid(range, n, BSVC)?.text.trim();
      req.transactionLog.push({
        updatedFrom: get('Updated_From'),
        updatedThrough: get('Updated_Through'),
        effectiveFrom: get('Effective_From'),
        effectiveThrough: get('Effective_Through'),
        xpath: rxp,
      });
    });
    kids(crit, 'Organization_Reference', BSVC).forEach((o, i) => {
      kids(o, 'ID', BSVC).forEach((id, j) => {
        req.organizations.push({
          type: id.attrs.type ?? '',
          id: id.text.trim(),
          xpath: `${xp}/bsvc:Organization_Reference[${i + 1}]/bsvc:ID[${j + 1}]`,
        });
      });
    });
    const flag = (name: string) => {
      const el = kid(crit, name, BSVC);
      return el ? parseBool(el.text, `${xp}/bsvc:${name}[1]`) : false;
    };
    req.includeSubordinates = flag('Include_Subordinate_Organizations');
    req.excludeInactive = flag('Exclude_Inactive_Workers');
    req.excludeEmployees = flag('Exclude_Employees');
    req.excludeContingent = flag('Exclude_Contingent_Workers');
  }

  const filter = kid(op, 'Response_Filter', BSVC);
  if (filter) {
    const xp = `${ROOT}/bsvc:Response_Filter[1]`;
    const page = kid(filter, 'Page', BSVC);
    if (page) {
      req.page = parseCount(page, `${xp}/bsvc:Page[1]`, 'Page');
      if (req.page === 0)
        throw new ValidationFault(
          'Page number cannot be zero',
          `${xp}/bsvc:Page[1]`,
          'Page number cannot be zero. The first page is Page 1.',
        );
    }
    const count = kid(filter, 'Count', BSVC);
    if (count) {
      req.count = parseCount(count, `${xp}/bsvc:Count[1]`, 'Count');
      if (req.count < 1 || req.count > 999) {
        throw new ValidationFault(
          `Invalid Count: ${req.count}. Count must be between 1 and 999`,
          `${xp}/bsvc:Count[1]`,
          `The number of objects per page (Count) must be between 1 and 999; ${req.count} was requested.`,
        );
      }
    }
    req.asOfEffective = kid(filter, 'As_Of_Effective_Date', BSVC)?.text.trim();
    req.asOfEntry = kid(filter, 'As_Of_Entry_DateTime', BSVC)?.text.trim();
  }

  const group = kid(op, 'Response_Group', BSVC);
  if (group) {
    req.echo.group = true;
    const given: Partial<RequestedGroups> = {};
    for (const [key, name] of GROUP_ELEMENTS) {
      const el = kid(group, name, BSVC);
      if (el) given[key] = parseBool(el.text, `${ROOT}/bsvc:Response_Group[1]/bsvc:${name}[1]`);
    }
    if (Object.keys(given).length > 0) {
      req.groupsGiven = true;
      req.groups = {
        reference: false,
        personal: false,
        employment: false,
        compensation: false,
        organizations: false,
        roles: false,
        managementChain: false,
        transactionLog: false,
        ...given,
      };
    }
  }
  return req;
}
