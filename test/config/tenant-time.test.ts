import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config';
import { buildRunInput } from '../../src/runs/start';
import { lookaheadMs, terminationsDueBy } from '../../src/time/lookahead';
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
  it('termination look-ahead: the last day it covers is the tenant day of now + the window', () => {
    // 23:30 on the 20th in -08:00: a 24 h look-ahead covers terminations dated the 21st.
    assert.equal(terminationsDueBy('2026-11-21T07:30:00Z', 24 * 3_600_000, '-08:00'), '2026-11-21');
    assert.equal(terminationsDueBy('2026-11-21T07:30:00Z', 30 * 60_000, '-08:00'), '2026-11-21');
    assert.equal(terminationsDueBy('2026-11-21T07:30:00Z', 20 * 60_000, '-08:00'), '2026-11-20');
    assert.equal(lookaheadMs('24h'), 86_400_000);
    assert.equal(lookaheadMs('90m'), 5_400_000);
    assert.equal(lookaheadMs('8d'), undefined, 'at most 7 days');
    assert.equal(lookaheadMs('0h'), undefined);
    assert.equal(lookaheadMs('1 day'), undefined);
    const cfg = loadConfig({ WDSYNC_TERMINATION_LOOKAHEAD: '24h' }, '/nonexistent');
    assert.equal(cfg.defaults.terminationLookahead, '24h');
    assert.equal(
      buildRunInput(cfg, {}).terminationLookaheadMs,
      86_400_000,
      'runs take the configured default',
    );
    assert.equal(buildRunInput(cfg, { terminationLookaheadMs: 3_600_000 }).terminationLookaheadMs, 3_600_000);
    assert.equal(
      'terminationLookaheadMs' in buildRunInput(loadConfig({}, '/nonexistent'), {}),
      false,
      'off unless asked for',
    );
    assert.throws(
      () => loadConfig({ WDSYNC_TERMINATION_LOOKAHEAD: '3w' }, '/nonexistent'),
      (e: unknown) =>
        e instanceof ConfigError &&
        /WDSYNC_TERMINATION_LOOKAHEAD must be a duration like 24h/.test(e.message),
    );
  });
});
