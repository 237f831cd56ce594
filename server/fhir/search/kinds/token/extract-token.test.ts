import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { entriesOf } from '../../../indexing/extractors/testing/test-helpers.js';

describe('token extractor', () => {
  it('indexes each Coding of a CodeableConcept with its display, and the text on its own', () => {
    const obs = {
      resourceType: 'Observation',
      status: 'final',
      code: {
        coding: [
          { system: 'http://loinc.org', code: '718-7', display: 'Hemoglobin [Mass/volume] in Blood' },
          { system: 'http://snomed.info/sct', code: '259695003' },
        ],
        text: 'Hémoglobine',
      },
    };
    assert.deepEqual(entriesOf(obs, 'code'), [
      {
        kind: 'token',
        param: 'code',
        system: 'http://loinc.org',
        code: '718-7',
        text: 'hemoglobin [mass/volume] in blood',
      },
      { kind: 'token', param: 'code', system: 'http://snomed.info/sct', code: '259695003' },
      { kind: 'token', param: 'code', system: null, code: null, text: 'hemoglobine' },
    ]);
    assert.deepEqual(entriesOf(obs, 'status'), [{ kind: 'token', param: 'status', system: null, code: 'final' }]);
  });

  it('indexes identifiers with their type codings (for :of-type) and type text', () => {
    const patient = {
      resourceType: 'Patient',
      identifier: [
        {
          system: 'urn:nilecare:mrn',
          value: 'MRN-1',
          type: {
            coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }],
            text: 'Medical record',
          },
        },
        { system: 'urn:sd:national-id', value: '123' },
        { type: { text: 'nothing else' } },
      ],
    };
    assert.deepEqual(entriesOf(patient, 'identifier'), [
      {
        kind: 'token',
        param: 'identifier',
        system: 'urn:nilecare:mrn',
        code: 'MRN-1',
        text: 'medical record',
        typeSystem: 'http://terminology.hl7.org/CodeSystem/v2-0203',
        typeCode: 'MR',
      },
      { kind: 'token', param: 'identifier', system: 'urn:sd:national-id', code: '123' },
    ]);
  });

  it('indexes ContactPoints (system|value), booleans, codes, ids and meta codings', () => {
    const patient = {
      resourceType: 'Patient',
      id: 'abc',
      meta: {
        tag: [{ system: 'urn:tags', code: 'vip', display: 'V.I.P.' }],
        security: [{ system: 'urn:sec', code: 'R' }],
      },
      active: false,
      gender: 'female',
      telecom: [
        { system: 'phone', value: '+249 912 345 678' },
        { system: 'email', value: 'a@b.sd' },
        { system: 'phone' },
      ],
    };
    assert.deepEqual(entriesOf(patient, 'telecom'), [
      { kind: 'token', param: 'telecom', system: 'phone', code: '+249 912 345 678' },
      { kind: 'token', param: 'telecom', system: 'email', code: 'a@b.sd' },
    ]);
    assert.deepEqual(entriesOf(patient, 'phone'), [
      { kind: 'token', param: 'phone', system: 'phone', code: '+249 912 345 678' },
    ]);
    assert.deepEqual(entriesOf(patient, 'email'), [{ kind: 'token', param: 'email', system: 'email', code: 'a@b.sd' }]);
    assert.deepEqual(entriesOf(patient, 'active'), [{ kind: 'token', param: 'active', system: null, code: 'false' }]);
    assert.deepEqual(entriesOf(patient, 'gender'), [{ kind: 'token', param: 'gender', system: null, code: 'female' }]);
    assert.deepEqual(entriesOf(patient, '_id'), [{ kind: 'token', param: '_id', system: null, code: 'abc' }]);
    assert.deepEqual(entriesOf(patient, '_tag'), [
      { kind: 'token', param: '_tag', system: 'urn:tags', code: 'vip', text: 'v.i.p.' },
    ]);
    assert.deepEqual(entriesOf(patient, '_security'), [
      { kind: 'token', param: '_security', system: 'urn:sec', code: 'R' },
    ]);
  });
});
