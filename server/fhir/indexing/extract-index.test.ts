import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@medplum/fhirtypes';
import { extractIndex } from './extract-index.js';
import { entryKey } from './dedupe.js';

const r = (resource: Record<string, unknown>) => resource as unknown as Resource;

describe('extractIndex', () => {
  it('evaluates the resource-level and type parameters together', () => {
    const index = extractIndex(
      r({
        resourceType: 'Patient',
        id: 'p1',
        meta: { lastUpdated: '2024-01-01T00:00:00Z' },
        gender: 'male',
        birthDate: '1990',
      }),
    );
    // `deceased` is `deceased.exists() and deceased != false`: false for a patient with no deceased[x]
    assert.deepEqual(index.entries.map((e) => e.param).sort(), [
      '_id',
      '_lastUpdated',
      'birthdate',
      'deceased',
      'gender',
    ]);
    assert.deepEqual(
      index.entries.find((e) => e.param === 'deceased'),
      { kind: 'token', param: 'deceased', system: null, code: 'false' },
    );
    assert.deepEqual(index.compartments, ['Patient/p1']);
  });

  it('deduplicates identical entries', () => {
    const index = extractIndex(
      r({
        resourceType: 'Patient',
        identifier: [
          { system: 'urn:a', value: '1' },
          { system: 'urn:a', value: '1' },
        ],
        name: [{ family: 'Osman' }, { family: 'Osman', given: ['Osman'] }],
      }),
    );
    const keys = index.entries.map(entryKey);
    assert.equal(new Set(keys).size, keys.length);
    assert.equal(index.entries.filter((e) => e.param === 'identifier').length, 1);
    assert.equal(index.entries.filter((e) => e.param === 'family').length, 1);
    assert.equal(index.entries.filter((e) => e.param === 'name').length, 1);
  });

  it('never throws on odd data and keeps what can be indexed', () => {
    const odd = [
      {},
      { resourceType: 'NoSuchType', id: 'x' },
      {
        resourceType: 'Patient',
        name: 'not an array',
        birthDate: 12,
        telecom: [null, 5, { value: 7 }],
        identifier: [{ value: { nested: true } }],
        gender: 'male',
      },
      {
        resourceType: 'Observation',
        code: null,
        valueQuantity: { value: 'NaN' },
        component: [null, { code: 'x' }],
        effectivePeriod: { start: 5 },
      },
      {
        resourceType: 'Encounter',
        period: 'yesterday',
        subject: { reference: 42 },
        participant: [{ individual: 'Practitioner/1' }],
      },
    ];
    for (const resource of odd) {
      const index = extractIndex(r(resource));
      assert.ok(Array.isArray(index.entries) && Array.isArray(index.compartments));
    }
    const patient = extractIndex(r(odd[2]!));
    assert.deepEqual(
      patient.entries.filter((e) => e.param === 'gender'),
      [{ kind: 'token', param: 'gender', system: null, code: 'male' }],
    );
    assert.deepEqual(extractIndex(r({ resourceType: 'NoSuchType', id: 'x' })).entries, []);
  });

  it('indexes a Bundle’s composition reference from its first entry resource', () => {
    const bundle = r({
      resourceType: 'Bundle',
      type: 'document',
      entry: [{ resource: { resourceType: 'Composition', id: 'c1', status: 'final' } }],
    });
    assert.deepEqual(
      extractIndex(bundle).entries.filter((e) => e.param === 'composition'),
      [{ kind: 'reference', param: 'composition', targetType: 'Composition', targetId: 'c1', url: null }],
    );
  });
});
