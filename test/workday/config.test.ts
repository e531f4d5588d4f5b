import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { WorkdayConfigError } from '../../src/workday/errors';
import { describeWorkdayConfig, parseWorkdayConfig, tenantOf } from '../../src/workday/config';

const base = {
  endpoint: 'https://wd2-impl-services1.workday.com/ccx/service/acme/Human_Resources/v44.0',
  username: 'isu_wdsync@acme',
  password: 'S3cret-pa55',
};

describe('Workday config', () => {
  it('applies defaults and derives the tenant', () => {
    const c = parseWorkdayConfig(base);
    assert.equal(c.version, 'v44.0');
    assert.equal(c.timeoutMs, 300_000);
    assert.equal(tenantOf(c), 'acme');
    assert.equal(c.password?.reveal(), 'S3cret-pa55');
  });

  it('never prints secrets: JSON, inspect, template strings', () => {
    const c = parseWorkdayConfig({
      ...base,
      oauth: {
        tokenUrl: 'https://wd2.workday.com/ccx/oauth2/acme/token',
        clientId: 'cid',
        clientSecret: 'CLIENT-SECRET',
        refreshToken: 'REFRESH-TOKEN',
      },
    });
    for (const out of [
      JSON.stringify(c),
      inspect(c, { depth: 5 }),
      `${c.password}`,
      describeWorkdayConfig(c),
    ]) {
      assert.doesNotMatch(out, /S3cret|CLIENT-SECRET|REFRESH-TOKEN/);
    }
    assert.match(describeWorkdayConfig(c), /"password":"\[redacted\]"/);
  });

  it('explains each problem without echoing values', () => {
    assert.throws(
      () =>
        parseWorkdayConfig({
          endpoint: 'not a url',
          username: 'isu_wdsync',
          password: 'S3cret-pa55',
          timeoutMs: -1,
        }),
      (err: unknown) => {
        assert.ok(err instanceof WorkdayConfigError);
        assert.equal(err.kind, 'config');
        assert.match(err.message, /WORKDAY_ENDPOINT must be a URL/);
        assert.match(err.message, /WORKDAY_USERNAME must be user@tenant/);
        assert.match(err.message, /timeoutMs/);
        assert.doesNotMatch(err.message, /S3cret/);
        return true;
      },
    );
  });

  it('requires a password unless OAuth is configured', () => {
    assert.throws(() => parseWorkdayConfig({ ...base, password: undefined }), /set WORKDAY_PASSWORD/);
    assert.throws(() => parseWorkdayConfig({ ...base, password: '' }), /must not be empty/);
  });

  it('catches a username for another tenant than the endpoint', () => {
    assert.throws(
      () => parseWorkdayConfig({ ...base, username: 'isu@globex' }),
      /tenant "globex" does not match the tenant "acme"/,
    );
  });

  it('wants the Human_Resources service URL', () => {
    assert.throws(
      () =>
        parseWorkdayConfig({ ...base, endpoint: 'https://wd2.workday.com/ccx/service/acme/Staffing/v44.0' }),
      /Human_Resources service URL/,
    );
  });

  it('accepts an already-parsed config', () => {
    const c = parseWorkdayConfig(base);
    assert.equal(parseWorkdayConfig(c).password?.reveal(), 'S3cret-pa55');
  });
});
