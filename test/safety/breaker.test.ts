import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_SAFETY, limitsFor, review } from '../../src/safety/breaker';
import { loadConfig } from '../../src/config/config';
import { operationalEvent } from '../../src/notify/kafka';

describe('circuit breaker rules', () => {
  const limits = { maxDestructive: 10, maxDestructivePercent: 5 };

  test('under both limits the held actions are applied', () => {
    const r = review({ deactivate: 3, delete: 1 }, 200, limits);
    assert.equal(r.tripped, false);
    assert.equal(r.reason, undefined);
  });

  test('more than maxDestructive trips, deactivations and deletions counted together', () => {
    assert.equal(review({ deactivate: 10, delete: 0 }, 100_000, limits).tripped, false, 'at the limit');
    const r = review({ deactivate: 6, delete: 5 }, 100_000, limits);
    assert.equal(r.tripped, true);
    assert.match(r.reason!, /6 deactivations and 5 deletions \(11\) exceed maxDestructive 10/);
  });

  test('more than maxDestructivePercent of what the sink holds trips', () => {
    assert.equal(review({ deactivate: 5, delete: 0 }, 100, limits).tripped, false, 'exactly 5%');
    const r = review({ deactivate: 4, delete: 2 }, 100, limits);
    assert.equal(r.tripped, true);
    assert.match(r.reason!, /are 6% of the 100 records the sink holds, over maxDestructivePercent 5/);
    assert.equal(r.holds, 100);
  });

  test('maxDestructive 0 makes every destructive action wait; 100% turns the share off', () => {
    assert.equal(review({ deactivate: 1, delete: 0 }, 1000, { ...limits, maxDestructive: 0 }).tripped, true);
    assert.equal(
      review({ deactivate: 9, delete: 0 }, 10, { maxDestructive: 10, maxDestructivePercent: 100 }).tripped,
      false,
    );
  });

  test('a sink’s own limits win over the defaults, limit by limit', () => {
    const policy = {
      defaults: { maxDestructive: 500, maxDestructivePercent: 10 },
      perSink: { crm: { maxDestructive: 5 } },
    };
    assert.deepEqual(limitsFor(policy, 'crm'), { maxDestructive: 5, maxDestructivePercent: 10 });
    assert.deepEqual(limitsFor(policy, 'desk'), policy.defaults);
    assert.deepEqual(limitsFor(undefined, 'crm'), DEFAULT_SAFETY);
  });
});

describe('safety settings in the configuration', () => {
  test('defaults, environment overrides, and a sink spec of its own', () => {
    const dflt = loadConfig({}, '/tmp');
    assert.deepEqual(dflt.safety, DEFAULT_SAFETY);
    const cfg = loadConfig(
      {
        WDSYNC_MAX_DESTRUCTIVE: '25',
        WDSYNC_MAX_DESTRUCTIVE_PERCENT: '2.5',
        WDSYNC_SINKS: 'postgres,crm=salesforce:examples/salesforce-contact.json?maxDestructive=3',
      },
      '/tmp',
    );
    assert.deepEqual(cfg.safety, { maxDestructive: 25, maxDestructivePercent: 2.5 });
    const crm = cfg.sinks.find((s) => s.name === 'crm');
    assert.ok(crm?.type === 'salesforce');
    assert.equal(crm.mapping, 'examples/salesforce-contact.json');
    assert.deepEqual(crm.safety, { maxDestructive: 3 });
  });

  test('bad values and unknown spec settings are refused with one clear line', () => {
    assert.throws(
      () => loadConfig({ WDSYNC_MAX_DESTRUCTIVE_PERCENT: '150' }, '/tmp'),
      /safety.maxDestructivePercent: maxDestructivePercent must be from 0 to 100/,
    );
    assert.throws(
      () => loadConfig({ WDSYNC_MAX_DESTRUCTIVE: '-1' }, '/tmp'),
      /maxDestructive must be 0 or more/,
    );
    assert.throws(
      () => loadConfig({ WDSYNC_SINKS: 'crm=salesforce:m.json?maxDeletes=3' }, '/tmp'),
      /unknown setting maxDeletes in "crm=salesforce:m.json\?maxDeletes=3"; a sink spec takes \?maxDestructive=N&maxDestructivePercent=P/,
    );
    assert.throws(
      () => loadConfig({ WDSYNC_SINKS: 'crm=salesforce:m.json?maxDestructive=lots' }, '/tmp'),
      /sinks\.0\.safety\.maxDestructive: maxDestructive must be a whole number/,
    );
  });
});

describe('the awaiting-approval operational event', () => {
  test('a CloudEvent carrying the approve and reject commands, with an id of its own per sink', () => {
    const event = {
      type: 'run.awaiting_approval' as const,
      runId: 'sync-acme-1',
      sink: 'crm',
      errorType: 'DestructiveLimit',
      command: 'wdsync approve sync-acme-1 --sink crm',
      details: { reject: 'wdsync reject sync-acme-1 --sink crm' },
    };
    const ce = operationalEvent(event, 'acme');
    assert.equal(ce.type, 'com.wdsync.run.awaiting_approval');
    assert.equal(ce.data.command, 'wdsync approve sync-acme-1 --sink crm');
    assert.equal(ce.data.sink, 'crm');
    assert.deepEqual(ce.data.details, { reject: 'wdsync reject sync-acme-1 --sink crm' });
    assert.equal(operationalEvent(event, 'acme').id, ce.id, 'a retried activity sends the same id');
    assert.notEqual(
      operationalEvent({ ...event, sink: 'desk' }, 'acme').id,
      ce.id,
      'another sink, another event',
    );
    const { sink: _none, ...noSink } = event;
    assert.notEqual(operationalEvent(noSink, 'acme').id, ce.id);
  });
});
