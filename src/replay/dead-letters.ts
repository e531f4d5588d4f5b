import { parsePage } from '../workday/parse';
import type { SchemaFamily } from '../workday/schema-family';
import type { NormalizedWorker } from '../domain/worker-record';

export type Revalidation = { ok: true; record: NormalizedWorker } | { ok: false; reason: string };

/**
 * Runs a dead letter's raw Worker fragment through the current parser and mapping, exactly as a
 * fresh Get_Workers page would be, in the schema family of the configured WORKDAY_VERSION. The
 * fragment carries its own namespace declarations.
 */
export function revalidateFragment(fragment: string, family?: SchemaFamily): Revalidation {
  const xml =
    '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body>' +
    '<wd:Get_Workers_Response xmlns:wd="urn:com.workday/bsvc"><wd:Response_Results>' +
    '<wd:Total_Results>1</wd:Total_Results><wd:Total_Pages>1</wd:Total_Pages></wd:Response_Results>' +
    `<wd:Response_Data>${fragment}</wd:Response_Data></wd:Get_Workers_Response></env:Body></env:Envelope>`;
  try {
    const page = parsePage(xml, { family });
    if (page.records.length === 1 && page.deadLetters.length === 0)
      return { ok: true, record: page.records[0]! };
    if (page.deadLetters.length) return { ok: false, reason: page.deadLetters[0]!.reason };
    return { ok: false, reason: `the fragment holds ${page.rows} Worker elements, expected one` };
  } catch (err) {
    return { ok: false, reason: `the fragment cannot be parsed: ${(err as Error).message}` };
  }
}
