import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stableUuid } from './identity.js';

describe('stableUuid', () => {
  // Ids derived from v2 fields are stored (PUT ServiceRequest/<id>, the applied-message marker): a resend or a later
  // message must derive the same id from the same fields, whatever the implementation of the hash.
  it('keeps the ids it has always derived (SHA-1, version 5 layout)', () => {
    assert.equal(stableUuid('ServiceRequest', 'p1', 'o1'), '4d41e13f-e101-509e-9930-fc4165e616b9');
    assert.equal(stableUuid('hl7v2-inbound-message', 'LAB|HOSP|MSG00001'), '8b156be7-84dd-5fc1-9c25-6487cbaf9b92');
    assert.equal(stableUuid('Ahmed Ḥasan', 'عمر'), '888086e8-5023-59fc-9547-751f88d02362');
  });

  it('is a version 5 UUID that depends on every part and on where the parts split', () => {
    const id = stableUuid('a', 'b');
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(id, stableUuid('ab'));
    assert.notEqual(id, stableUuid('a', 'c'));
    assert.equal(id, stableUuid('a', 'b'));
  });
});
