import type { SimulatorHandle } from '../../src/simulator';

/** Builds Get_Workers envelopes the way different clients do (prefixes, default namespace, booleans). */
export interface EnvelopeOptions {
  username?: string;
  password?: string;
  /** Omit the WS-Security header entirely (for Bearer auth). */
  noSecurity?: boolean;
  /** Namespace prefix for urn:com.workday/bsvc; '' means a default namespace. */
  prefix?: string;
  page?: number | string;
  count?: number | string;
  asOfEntry?: string;
  asOfEffective?: string;
  /** Raw XML inserted before Response_Filter (Request_References / Request_Criteria). */
  before?: string;
  /** Raw Response_Group content. */
  group?: string;
  /** bsvc:version attribute on Get_Workers_Request (omitted when undefined). */
  version?: string;
}

export function envelope(sim: SimulatorHandle, o: EnvelopeOptions = {}): string {
  const p = o.prefix ?? 'bsvc';
  const q = (n: string) => (p ? `${p}:${n}` : n);
  const ns = p ? `xmlns:${p}="urn:com.workday/bsvc"` : 'xmlns="urn:com.workday/bsvc"';
  const el = (n: string, v: string | number | undefined) =>
    v === undefined ? '' : `<${q(n)}>${v}</${q(n)}>`;
  const security = o.noSecurity
    ? ''
    : '<soapenv:Header><wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" soapenv:mustUnderstand="1">' +
      `<wsse:UsernameToken><wsse:Username>${o.username ?? sim.credentials.username}</wsse:Username>` +
      '<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">' +
      `${o.password ?? sim.credentials.password}</wsse:Password></wsse:UsernameToken></wsse:Security></soapenv:Header>`;
  const filter =
    el('As_Of_Effective_Date', o.asOfEffective) +
    el('As_Of_Entry_DateTime', o.asOfEntry) +
    el('Page', o.page) +
    el('Count', o.count);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">${security}<soapenv:Body>` +
    `<${q('Get_Workers_Request')} ${ns}${o.version === undefined ? '' : ` ${q('version')}="${o.version}"`}>` +
    prefixed(o.before ?? '', p) +
    (filter ? `<${q('Response_Filter')}>${filter}</${q('Response_Filter')}>` : '') +
    (o.group !== undefined
      ? `<${q('Response_Group')}>${prefixed(o.group, p)}</${q('Response_Group')}>`
      : '') +
    `</${q('Get_Workers_Request')}></soapenv:Body></soapenv:Envelope>`
  );
}

/** Rewrites wd: in test fragments to the envelope's prefix (elements and attributes). */
function prefixed(xml: string, p: string): string {
  return xml.replace(/(<\/?|\s)wd:/g, p ? `$1${p}:` : '$1');
}

/** Only references and descriptors: small pages for tests about which workers come back. */
export const REFS_ONLY = '<wd:Include_Reference>1</wd:Include_Reference>';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

export async function post(
  url: string,
  body: string,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'text/xml; charset=utf-8', ...headers },
    signal,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** `url` defaults to the simulator's endpoint (its default version); see endpointAt. */
export async function getWorkers(
  sim: SimulatorHandle,
  o: EnvelopeOptions = {},
  url = sim.endpoint,
): Promise<Answer> {
  return post(url, envelope(sim, o));
}

/** The simulator's Human_Resources endpoint for another version, e.g. …/Human_Resources/v31.2. */
export function endpointAt(sim: SimulatorHandle, version: string): string {
  return sim.endpoint.replace(/\/v\d+(\.\d+)?$/, `/${version}`);
}

const one = (xml: string, re: RegExp) => re.exec(xml)?.[1];

/** The few facts tests read from a page, by regex: the simulator's output shape is fixed. */
export function readPage(xml: string) {
  const workers = [...xml.matchAll(/<wd:Worker>([\s\S]*?)<\/wd:Worker>/g)].map((m) => ({
    wid: one(m[1], /<wd:ID wd:type="WID">([0-9a-f]{32})<\/wd:ID>/) ?? '',
    descriptor: one(m[1], /<wd:Worker_Descriptor>([^<]*)</) ?? '',
  }));
  return {
    total: Number(one(xml, /<wd:Total_Results>(\d+)</)),
    totalPages: Number(one(xml, /<wd:Total_Pages>(\d+)</)),
    pageResults: Number(one(xml, /<wd:Page_Results>(\d+)</)),
    page: Number(one(xml, /<wd:Response_Results>[\s\S]*?<wd:Page>(\d+)</)),
    workers,
    wids: workers.map((w) => w.wid),
  };
}

export function faultOf(xml: string) {
  return {
    code: one(xml, /<faultcode>([^<]*)</),
    string: one(xml, /<faultstring>([^<]*)</),
    message: one(xml, /<wd:Message>([^<]*)</),
    detail: one(xml, /<wd:Detail_Message>([^<]*)</),
    xpath: one(xml, /<wd:Xpath>([^<]*)</),
  };
}

/** Every page of a request, pinned or not as the options say. */
export async function allPages(sim: SimulatorHandle, o: EnvelopeOptions, count: number) {
  const first = readPage((await getWorkers(sim, { ...o, page: 1, count })).text);
  const pages = [first];
  for (let p = 2; p <= first.totalPages; p++)
    pages.push(readPage((await getWorkers(sim, { ...o, page: p, count })).text));
  return pages;
}

export const NO_LATENCY = { latency: { baseMs: 0, perWorkerMs: 0, jitterMs: 0, slowTailRate: 0 } };
