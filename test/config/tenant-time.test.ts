import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config';
import { isTimeZone, tenantDate } from '../../src/time/tenant-date';

describe('tenant-local effective dates', () => {
  // 01:30 UTC on the 22nd is still the evening of the 21st on the US west coast.
  const lateEvening = new Date('2026-11-22T01:30:00Z');

  it('takes the day in the tenant zone, not in UTC', () => {
    assert.equal(tenantDate(lateEvening, 'UTC'), '2026-11-22');
    assert.equal(tenantDate(lateEvening, '-08:00'), '2026-11-21');
    assert.equal(tenantDate(lateEvening, 'America/Los_Angeles'), '2026-11-21');
    assert.equal(tenantDate(new Date('2026-11-21T23:30:00Z'), '+09:00'), '2026-11-22');
    assert.equal(tenantDate(new Date('2026-11-21T23:30:00Z'), 'Asia/Tokyo'), '2026-11-22');
  });

  it('follows daylight saving in IANA zones', () => {
    // 04:30 UTC is 00:30 EDT (same day) in July and 23:30 EST (previous day) in January.
    assert.equal(tenantDate(new Date('2026-07-15T04:30:00Z'), 'America/New_York'), '2026-07-15');
    assert.equal(tenantDate(new Date('2026-01-15T04:30:00Z'), 'America/New_York'), '2026-01-14');
  });

  it('WORKDAY_TIMEZONE is validated at the edge', () => {
    assert.ok(isTimeZone('Europe/Paris'));
    assert.ok(!isTimeZone('Mars/Olympus_Mons'));
    assert.equal(
      loadConfig({ WORKDAY_TIMEZONE: 'Europe/Paris' }, '/nonexistent').workday.timezone,
      'Europe/Paris',
    );
    assert.equal(
      loadConfig({}, '/nonexistent').workday.timezone,
      '-08:00',
      "the simulator's zone by default",
    );
    assert.throws(
      () => loadConfig({ WORKDAY_TIMEZONE: 'PST8PDT-ish' }, '/nonexistent'),
      (e: unknown) => e instanceof ConfigError && /WORKDAY_TIMEZONE must be an IANA zone/.test(e.message),
    );
  });
});
