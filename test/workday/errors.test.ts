import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type HttpContext,
  WorkdayAuthError,
  WorkdayConfigError,
  WorkdayResponseTooLargeError,
  WorkdayThrottledError,
  WorkdayTransientError,
  WorkdayValidationError,
  classifyHttpResponse,
  isRetryable,
  parseRetryAfter,
  retryDelayMs,
  toWorkdayError,
} from '../../src/workday/errors';

const ctx = (status: number, extra: Partial<HttpContext> = {}): HttpContext => ({
  status,
  endpoint: 'https://wd2-impl-services1.workday.com/ccx/service/acme/Human_Resources/v44.0',
  authMode: 'password',
  ...extra,
});

const envelope = (fault: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>${fault}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;

const AUTH_FAULT = envelope(
  '<SOAP-ENV:Fault xmlns:wd="urn:com.workday/bsvc"><faultcode>SOAP-ENV:Client.authenticationError</faultcode><faultstring>invalid username or password</faultstring><detail/></SOAP-ENV:Fault>',
);
const VALIDATION_FAULT = envelope(
  '<SOAP-ENV:Fault xmlns:wd="urn:com.workday/bsvc"><faultcode>SOAP-ENV:Client.validationError</faultcode><faultstring>Validation error occurred. Page number cannot be zero</faultstring>' +
    '<detail><wd:Validation_Fault><wd:Validation_Error><wd:Message>Page number cannot be zero</wd:Message><wd:Detail_Message>Page number cannot be zero</wd:Detail_Message>' +
    '<wd:Xpath>/ns0:Get_Workers_Request[1]/ns0:Response_Filter[1]/ns0:Page[1]</wd:Xpath></wd:Validation_Error></wd:Validation_Fault></detail></SOAP-ENV:Fault>',
);
const processing = (message: string) =>
  envelope(
    `<SOAP-ENV:Fault xmlns:wd="urn:com.workday/bsvc"><faultcode>SOAP-ENV:Client.processingFault</faultcode><faultstring>${message}</faultstring>` +
      `<detail><wd:Processing_Fault><wd:Detail_Message>${message}</wd:Detail_Message></wd:Processing_Fault></detail></SOAP-ENV:Fault>`,
  );

describe('fault classification', () => {
  it('authentication fault (HTTP 500) → auth, not retryable, says what to check', () => {
    const err = classifyHttpResponse(AUTH_FAULT, ctx(500));
    assert.ok(err instanceof WorkdayAuthError);
    assert.equal(err.kind, 'auth');
    assert.equal(err.faultCode, 'SOAP-ENV:Client.authenticationError');
    assert.match(err.message, /invalid username or password/);
    assert.match(err.message, /check WORKDAY_USERNAME\/WORKDAY_PASSWORD; the username must be user@tenant/);
    assert.equal(isRetryable(err), false);
    assert.equal(retryDelayMs(err), undefined);
  });

  it('HTTP 401, with or without a body → auth; OAuth advice when using OAuth', () => {
    assert.equal(classifyHttpResponse('', ctx(401)).kind, 'auth');
    assert.equal(classifyHttpResponse(AUTH_FAULT, ctx(401)).kind, 'auth');
    assert.match(classifyHttpResponse('', ctx(401, { authMode: 'oauth' })).message, /refresh token/);
  });

  it('validation fault → validation with Message, Detail_Message and Xpath', () => {
    const err = classifyHttpResponse(VALIDATION_FAULT, ctx(500));
    assert.ok(err instanceof WorkdayValidationError);
    assert.deepEqual(err.errors, [
      {
        message: 'Page number cannot be zero',
        detailMessage: 'Page number cannot be zero',
        xpath: '/ns0:Get_Workers_Request[1]/ns0:Response_Filter[1]/ns0:Page[1]',
      },
    ]);
    assert.match(
      err.message,
      /Page number cannot be zero at \/ns0:Get_Workers_Request\[1\]\/ns0:Response_Filter\[1\]\/ns0:Page\[1\]/,
    );
    assert.match(err.message, /Retrying will not help/);
    assert.equal(isRetryable(err), false);
  });

  it('a Validation_Fault detail counts even under another faultcode', () => {
    const body = VALIDATION_FAULT.replace('Client.validationError', 'Client');
    assert.equal(classifyHttpResponse(body, ctx(500)).kind, 'validation');
  });

  it('throttling disguised as a 500 processing fault → throttled', () => {
    for (const msg of [
      'The request was throttled. Please retry later.',
      'Rate limit exceeded for tenant acme',
      'Too many concurrent requests for this tenant; the concurrency limit is 10',
    ]) {
      const err = classifyHttpResponse(processing(msg), ctx(500));
      assert.ok(err instanceof WorkdayThrottledError, msg);
      assert.equal(err.retryAfterMs, undefined);
      assert.equal(isRetryable(err), true);
      const delay = retryDelayMs(err, 1, () => 0.5)!;
      assert.ok(delay >= 2500 && delay <= 5000, String(delay));
      assert.match(err.message, /lower the concurrency/);
    }
  });

  it('a processing fault about the size of the response → tooLarge, not retried as is', () => {
    for (const msg of [
      'The response is too large to return: it is over the limit of 8000000 bytes for one web service response.',
      'Response size exceeds the maximum allowed for a web service response',
      'The result set is too large to process. Reduce the Count.',
    ]) {
      const err = classifyHttpResponse(processing(msg), ctx(500));
      assert.ok(err instanceof WorkdayResponseTooLargeError, msg);
      assert.equal(isRetryable(err), false);
      assert.match(err.message, /smaller pages/);
    }
    // Limits that are about rate, not size, stay throttles; other faults stay transient.
    assert.equal(
      classifyHttpResponse(processing('The request rate exceeded the limit for tenant acme'), ctx(500)).kind,
      'throttled',
    );
    assert.equal(classifyHttpResponse(processing('Message queue unavailable'), ctx(500)).kind, 'transient');
  });

  it('HTTP 429 and 503 with Retry-After → throttled with retryAfterMs', () => {
    const a = classifyHttpResponse('Too Many Requests', ctx(429, { retryAfter: '7' }));
    assert.ok(a instanceof WorkdayThrottledError);
    assert.equal(a.retryAfterMs, 7000);
    assert.equal(retryDelayMs(a), 7000);
    const b = classifyHttpResponse(processing('busy'), ctx(429, { retryAfter: '2' }));
    assert.equal(b.kind, 'throttled');
    const c = classifyHttpResponse('<html>Service Unavailable</html>', ctx(503, { retryAfter: '30' }));
    assert.ok(c instanceof WorkdayThrottledError);
    assert.equal(c.retryAfterMs, 30_000);
  });

  it('other processing faults and maintenance 503 → transient', () => {
    const err = classifyHttpResponse(
      processing('An internal error occurred. Please contact support'),
      ctx(500),
    );
    assert.ok(err instanceof WorkdayTransientError);
    assert.equal(err.reason, 'fault');
    assert.equal(isRetryable(err), true);
    const m = classifyHttpResponse('<html>Workday is down for scheduled maintenance</html>', ctx(503));
    assert.ok(m instanceof WorkdayTransientError);
    assert.equal(m.reason, 'unavailable');
    const m2 = classifyHttpResponse('<html>scheduled maintenance</html>', ctx(503, { retryAfter: '120' }));
    assert.equal(m2.kind, 'transient');
    assert.equal(retryDelayMs(m2), 120_000);
    assert.equal(classifyHttpResponse('oops', ctx(502)).kind, 'transient');
  });

  it('a permission fault → auth (retrying cannot grant access)', () => {
    const err = classifyHttpResponse(processing('The task submitted is not authorized.'), ctx(500));
    assert.equal(err.kind, 'auth');
    assert.match(err.message, /security group/);
  });

  it('HTTP 404 → config naming the endpoint shape', () => {
    const err = classifyHttpResponse('<html>Not Found</html>', ctx(404));
    assert.ok(err instanceof WorkdayConfigError);
    assert.match(err.message, /Check WORKDAY_ENDPOINT/);
    assert.equal(isRetryable(err), false);
  });

  it('network errors', () => {
    const mk = (code: string, message = code) => Object.assign(new Error(message), { code });
    const endpoint = 'https://nope.invalid/ccx/service/acme/Human_Resources';
    const dns = toWorkdayError(mk('ENOTFOUND', 'getaddrinfo ENOTFOUND nope.invalid'), endpoint);
    assert.equal(dns.kind, 'config');
    assert.match(dns.message, /cannot resolve host nope\.invalid/);
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'EPIPE'])
      assert.equal(toWorkdayError(mk(code), endpoint).kind, 'transient', code);
    assert.equal(toWorkdayError(new Error('socket hang up'), endpoint).kind, 'transient');
    const timeout = toWorkdayError(mk('ECONNABORTED', 'timeout of 100ms exceeded'), endpoint);
    assert.ok(timeout instanceof WorkdayTransientError);
    assert.equal(timeout.reason, 'timeout');
    const gzip = toWorkdayError(mk('Z_BUF_ERROR', 'unexpected end of file'), endpoint);
    assert.ok(gzip instanceof WorkdayTransientError);
    assert.equal(gzip.reason, 'truncated');
    assert.equal(toWorkdayError(mk('CERT_HAS_EXPIRED'), endpoint).kind, 'config');
  });

  it('backoff grows, is capped, and carries jitter', () => {
    const t = new WorkdayTransientError('x', 'network');
    assert.equal(
      retryDelayMs(t, 1, () => 0),
      500,
    );
    assert.equal(
      retryDelayMs(t, 1, () => 1),
      1000,
    );
    assert.equal(
      retryDelayMs(t, 4, () => 1),
      8000,
    );
    assert.equal(
      retryDelayMs(t, 50, () => 1),
      60_000,
    );
    assert.equal(isRetryable(new Error('something else')), true);
  });

  it('parses Retry-After seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(
      parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')),
      10_000,
    );
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });

  it('summary() is one line for workflow history', () => {
    assert.match(
      classifyHttpResponse(AUTH_FAULT, ctx(500)).summary(),
      /^\[auth HTTP 500 SOAP-ENV:Client\.authenticationError\] /,
    );
  });
});
