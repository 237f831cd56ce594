import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { entriesOf } from '../../../indexing/extractors/testing/test-helpers.js';

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const qty = (value: number, code: string) => ({ value, unit: code, system: UCUM, code });

describe('composite extractor', () => {
  it('pairs the code with the value of the same observation', () => {
    const obs = {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: LOINC, code: '29463-7' }], text: 'Weight' },
      valueQuantity: qty(70, 'kg'),
    };
    const [tuple, ...rest] = entriesOf(obs, 'code-value-quantity');
    assert.equal(rest.length, 0, 'the CodeableConcept text is not a composite part');
    assert.ok(tuple?.kind === 'composite');
    if (tuple?.kind !== 'composite') return;
    assert.deepEqual(
      tuple.parts.map((p) => p.param),
      ['code', 'value-quantity'],
    );
    assert.deepEqual(tuple.parts[0], { kind: 'token', param: 'code', system: LOINC, code: '29463-7' });
    assert.ok(
      tuple.parts[1]?.kind === 'quantity' && tuple.parts[1].value === 70 && tuple.parts[1].canonicalValue === 70000,
    );
  });

  it('keeps the components of a blood pressure apart (no cross pairing)', () => {
    const bp = {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: LOINC, code: '85354-9' }] },
      component: [
        { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: qty(120, 'mm[Hg]') },
        { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: qty(80, 'mm[Hg]') },
      ],
    };
    const tuples = entriesOf(bp, 'component-code-value-quantity').map((e) =>
      e.kind === 'composite'
        ? e.parts.map((p) => (p.kind === 'token' ? p.code : p.kind === 'quantity' ? p.value : '?'))
        : [],
    );
    assert.deepEqual(tuples, [
      ['8480-6', 120],
      ['8462-4', 80],
    ]);
    // combo-code-value-quantity is code-value-quantity ∪ component-code-value-quantity: no entries of its own
    assert.deepEqual(entriesOf(bp, 'combo-code-value-quantity'), []);
    assert.deepEqual(entriesOf(bp, 'code-value-quantity'), [], 'no value on the panel itself');
  });

  it('makes every combination when a component has several codings', () => {
    const obs = {
      resourceType: 'Observation',
      status: 'final',
      code: {
        coding: [
          { system: LOINC, code: '718-7' },
          { system: 'urn:local', code: 'HB' },
        ],
      },
      valueQuantity: qty(13, 'g/dL'),
    };
    const systems = entriesOf(obs, 'code-value-quantity').map((e) =>
      e.kind === 'composite' && e.parts[0]?.kind === 'token' ? e.parts[0].system : null,
    );
    assert.deepEqual(systems, [LOINC, 'urn:local']);
  });
});
