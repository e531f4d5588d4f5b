import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalJson, contentHash } from '../../src/sinks/hash';
import { mergeUnfetched, unfetchedSections } from '../../src/sinks/merge';
import { MAPPING_VERSION } from '../../src/domain/worker-record';
import { worker } from './helpers';

describe('content hash', () => {
  test('does not depend on key order', () => {
    const w = worker(1);
    const reordered = JSON.parse(canonicalJson(w)) as typeof w;
    assert.equal(contentHash(reordered), contentHash(w));
    assert.notEqual(contentHash(worker(1, 2)), contentHash(w));
  });

  test('changes with the mapping version, so a mapping change rewrites every record once', () => {
    const w = worker(1);
    assert.equal(contentHash(w), contentHash(w, MAPPING_VERSION));
    assert.notEqual(contentHash(w, MAPPING_VERSION + 1), contentHash(w));
  });

  test('a record fetched with reduced response groups takes the other sections from the stored one', () => {
    const w = worker(1);
    assert.deepEqual(unfetchedSections(undefined), []);
    const groups = { personal: true, employment: false, compensation: false, organizations: true };
    assert.deepEqual(unfetchedSections(groups), ['employment', 'compensation']);
    const { employment: _e, ...partial } = w;
    assert.deepEqual(mergeUnfetched(partial, w, unfetchedSections(groups)), w);
    assert.deepEqual(mergeUnfetched(partial, undefined, unfetchedSections(groups)), partial);
    // A stored section that is absent stays absent.
    const noOrg = { ...w, organizations: undefined };
    assert.equal(mergeUnfetched(w, noOrg, ['organizations']).organizations, undefined);
  });
});
