/** Upstream text a hostile Workday sends, for the tests of issue 21. */

export const FAULT_NAME = 'Jane Doe';
export const FAULT_EMAIL = 'jane.doe@example.com';

/** A SOAP fault whose faultstring is `bytes` long (1.8 MB by default) and quotes a worker's name and email. */
export function hugeFault(bytes = 1_800_000, code = 'SOAP-ENV:Client.validationError'): string {
  const line = `Invalid ID value. '${FAULT_NAME}' is not a valid ID value for type = 'Employee_ID'; contact ${FAULT_EMAIL}. `;
  return (
    '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><SOAP-ENV:Fault>' +
    `<faultcode>${code}</faultcode><faultstring>${line.repeat(Math.ceil(bytes / line.length))}</faultstring>` +
    '</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>'
  );
}
