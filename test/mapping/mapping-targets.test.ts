// Field names are checked per target: Salesforce API names, Zendesk user properties with
// user_fields.<key> and organization.*, Dataverse logical names with <nav>@odata.bind lookups.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadMapping, MappingError, parseMapping } from '../../src/mapping/mapping-file';

const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');
const base = { matchKey: { field: 'x', from: 'wid' }, actions: { onTermination: 'nothing' } };

describe('mapping field names per target', () => {
  it('loads each example for its own target and refuses it for another', () => {
    loadMapping(path.join(EXAMPLES, 'salesforce-contact.json'));
    loadMapping(path.join(EXAMPLES, 'zendesk-user.json'), 'zendesk');
    loadMapping(path.join(EXAMPLES, 'dynamics-contact.json'), 'dynamics');
    assert.throws(
      () => loadMapping(path.join(EXAMPLES, 'salesforce-contact.json'), 'dynamics'),
      MappingError,
    );
    assert.throws(
      () => loadMapping(path.join(EXAMPLES, 'zendesk-user.json')),
      /fields\.user_fields\.worker_id: field names are API names/,
    );
  });

  it('Zendesk: user properties, user_fields.<key>, organization.external_id / name', () => {
    const ok = parseMapping(
      {
        ...base,
        object: 'user',
        matchKey: { field: 'external_id', from: 'wid' },
        fields: {
          name: 'descriptor',
          'user_fields.hire_date': 'employment.hireDate',
          'organization.external_id': "'O'",
        },
      },
      'z.json',
      'zendesk',
    );
    assert.deepEqual(Object.keys(ok.file.fields), [
      'name',
      'user_fields.hire_date',
      'organization.external_id',
    ]);
    assert.throws(
      () =>
        parseMapping(
          { ...base, object: 'user', fields: { 'organization.tags': "'x'" } },
          'z.json',
          'zendesk',
        ),
      /fields\.organization\.tags: field names are Zendesk user properties/,
    );
    assert.throws(
      () => parseMapping({ ...base, object: 'ticket', fields: {} }, 'z.json', 'zendesk'),
      /the Zendesk object is "user"/,
    );
  });

  it('Dataverse: lowercase logical names and <navigation property>@odata.bind', () => {
    const m = parseMapping(
      {
        ...base,
        object: 'contacts',
        fields: {
          lastname: 'personal.legalName.last',
          'parentcustomerid_account@odata.bind': `"/accounts(accountnumber='" & organizations.companyId & "')"`,
        },
      },
      'd.json',
      'dynamics',
    );
    assert.equal(Object.keys(m.file.fields).length, 2);
    assert.throws(
      () => parseMapping({ ...base, object: 'contacts', fields: { LastName: 'wid' } }, 'd.json', 'dynamics'),
      /fields\.LastName: field names are Dataverse logical names/,
    );
  });
});
