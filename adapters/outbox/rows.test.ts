import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { businessNumber, idColumn, parseReference, sqlDateTime, stableUuid } from './rows.js';

describe('row helpers', () => {
  it('stable UUIDs are deterministic, distinct and well formed', () => {
    assert.equal(stableUuid('Claim/1'), stableUuid('Claim/1'));
    assert.notEqual(stableUuid('Claim/1'), stableUuid('Claim/2'));
    assert.match(stableUuid('x'), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
  it('ids, references, numbers and instants', () => {
    assert.equal(idColumn('Patient', 'B16CC087-D48A-4292-A78C-ABA3E85E516E'), 'b16cc087-d48a-4292-a78c-aba3e85e516e');
    assert.equal(idColumn('Patient', 'p1'), stableUuid('Patient/p1'));
    assert.deepEqual(parseReference('http://x/fhir/Patient/p1/_history/2'), { type: 'Patient', id: 'p1' });
    assert.equal(parseReference('urn:uuid:123'), undefined);
    assert.match(businessNumber('INV', '2025-03-04T10:00:00Z', 'Invoice/1'), /^INV-20250304-[0-9A-Z]{6}$/);
    assert.equal(businessNumber('INV', undefined, 'Invoice/1').slice(0, 13), 'INV-00000000-');
    assert.equal(sqlDateTime('2025-01-01T01:00:00+03:00'), '2024-12-31 22:00:00');
    assert.throws(() => sqlDateTime('not a date'), /invalid date-time/);
  });
});
