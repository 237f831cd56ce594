import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { entriesOf } from './testing/test-helpers.js';

const obs = (subject: unknown) => ({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject });

describe('reference extractor', () => {
  it('splits a relative reference into type and id (ignoring a version)', () => {
    assert.deepEqual(entriesOf(obs({ reference: 'Patient/123' }), 'subject'), [
      { kind: 'reference', param: 'subject', targetType: 'Patient', targetId: '123', url: null },
    ]);
    assert.deepEqual(entriesOf(obs({ reference: 'Patient/123/_history/4' }), 'patient'), [
      { kind: 'reference', param: 'patient', targetType: 'Patient', targetId: '123', url: null },
    ]);
  });

  it('keeps an absolute URL and also reads its type and id', () => {
    assert.deepEqual(entriesOf(obs({ reference: 'http://x/fhir/Patient/123' }), 'subject'), [
      { kind: 'reference', param: 'subject', targetType: 'Patient', targetId: '123', url: 'http://x/fhir/Patient/123' },
    ]);
  });

  it('keeps urn:uuid as a url, skips contained and conditional references', () => {
    assert.deepEqual(entriesOf(obs({ reference: 'urn:uuid:8d1c1b5e-0c55-4a6e-9d5c-4b5b2b0c7a11' }), 'subject'), [
      {
        kind: 'reference',
        param: 'subject',
        targetType: null,
        targetId: null,
        url: 'urn:uuid:8d1c1b5e-0c55-4a6e-9d5c-4b5b2b0c7a11',
      },
    ]);
    assert.deepEqual(entriesOf(obs({ reference: '#p1' }), 'subject'), []);
    assert.deepEqual(entriesOf(obs({ reference: 'Patient?identifier=urn:mrn|1' }), 'subject'), []);
    assert.deepEqual(entriesOf(obs({ reference: 'NotAType/1' }), 'subject'), []);
  });

  it('indexes a logical reference by identifier', () => {
    assert.deepEqual(
      entriesOf(obs({ type: 'Patient', identifier: { system: 'urn:nilecare:mrn', value: 'MRN-9' } }), 'subject'),
      [
        {
          kind: 'reference',
          param: 'subject',
          targetType: 'Patient',
          targetId: null,
          url: null,
          identifierSystem: 'urn:nilecare:mrn',
          identifierValue: 'MRN-9',
        },
      ],
    );
    assert.deepEqual(entriesOf(obs({ reference: 'Patient/5', identifier: { value: 'MRN-9' } }), 'subject'), [
      {
        kind: 'reference',
        param: 'subject',
        targetType: 'Patient',
        targetId: '5',
        url: null,
        identifierValue: 'MRN-9',
      },
    ]);
  });

  it('only indexes references of the narrowed type for resolve()-filtered parameters', () => {
    assert.deepEqual(entriesOf(obs({ reference: 'Group/7' }), 'patient'), []);
    assert.equal(entriesOf(obs({ reference: 'Group/7' }), 'subject').length, 1);
  });

  it('indexes canonical references with and without their version', () => {
    const qr = {
      resourceType: 'QuestionnaireResponse',
      status: 'completed',
      questionnaire: 'http://nilecare.sd/Questionnaire/intake|2.0',
    };
    assert.deepEqual(entriesOf(qr, 'questionnaire'), [
      {
        kind: 'reference',
        param: 'questionnaire',
        targetType: null,
        targetId: null,
        url: 'http://nilecare.sd/Questionnaire/intake|2.0',
      },
      {
        kind: 'reference',
        param: 'questionnaire',
        targetType: 'Questionnaire',
        targetId: 'intake',
        url: 'http://nilecare.sd/Questionnaire/intake',
      },
    ]);
  });
});

describe('uri extractor', () => {
  it('indexes uris as written', () => {
    const patient = {
      resourceType: 'Patient',
      meta: { profile: ['http://nilecare.sd/StructureDefinition/patient'], source: 'urn:nilecare:hl7:ADT' },
    };
    assert.deepEqual(entriesOf(patient, '_profile'), [
      { kind: 'uri', param: '_profile', value: 'http://nilecare.sd/StructureDefinition/patient' },
    ]);
    assert.deepEqual(entriesOf(patient, '_source'), [{ kind: 'uri', param: '_source', value: 'urn:nilecare:hl7:ADT' }]);
    const vs = { resourceType: 'ValueSet', status: 'active', url: 'http://nilecare.sd/ValueSet/wards' };
    assert.deepEqual(entriesOf(vs, 'url'), [{ kind: 'uri', param: 'url', value: 'http://nilecare.sd/ValueSet/wards' }]);
  });
});
