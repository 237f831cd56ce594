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
      '_content',
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
    // the id, meta and a full date are not content; a bare year may be a code or a number, so it is kept
    assert.deepEqual(
      index.entries.find((e) => e.param === '_content'),
      { kind: 'string', param: '_content', value: 'male 1990', exact: '' },
    );
  });

  it('keeps the distinct words of a large resource in _content chunks cut between words', () => {
    const words = Array.from({ length: 3000 }, (_, i) => `Word${i}`);
    const index = extractIndex(
      r({
        resourceType: 'Observation',
        extension: [{ url: 'http://x.org/ext', valueString: 'Extension\u00a0Text' }],
        status: 'final',
        code: { text: 'Body Weight', coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
        subject: { reference: 'Patient/secret-id' },
        effectiveDateTime: '2024-01-02T03:04:05Z',
        note: [{ text: words.join(' ') }, { text: `${words[0]} body` }],
      }),
    );
    const chunks = index.entries.filter((e) => e.param === '_content').map((e) => (e as { value: string }).value);
    assert.ok(chunks.length > 1 && chunks.every((c) => c.length <= 600), String(chunks.map((c) => c.length)));
    const all = chunks.join(' ').split(' ');
    assert.equal(new Set(all).size, all.length, 'each word once');
    for (const w of ['final', 'body', 'weight', '29463', '7', 'word0', 'extension', 'text'])
      assert.ok(all.includes(w), w);
    for (const w of ['loinc', 'secret', 'patient', 'x', '2024']) assert.ok(!all.includes(w), w);
    assert.ok(all.length < 3010 && all.length > 2000, `capped at 24,000 characters: ${all.length} words`);
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

  it("keeps a CodeableConcept's text only where no coding of the param carries it (Synthea: text = display)", () => {
    const index = extractIndex(
      r({
        resourceType: 'Encounter',
        status: 'finished',
        class: { code: 'AMB' },
        type: [
          { coding: [{ system: 'http://snomed.info/sct', code: '185349003', display: 'Check up' }], text: 'Check up' },
          { coding: [{ system: 'http://snomed.info/sct', code: '1', display: 'One' }], text: 'Other words' },
        ],
      }),
    );
    assert.deepEqual(
      index.entries.filter((e) => e.param === 'type'),
      [
        { kind: 'token', param: 'type', system: 'http://snomed.info/sct', code: '185349003', text: 'check up' },
        { kind: 'token', param: 'type', system: 'http://snomed.info/sct', code: '1', text: 'one' },
        { kind: 'token', param: 'type', system: null, code: null, text: 'other words' },
      ],
    );
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
