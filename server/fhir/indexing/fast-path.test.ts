import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evalFhirPathTyped, parseFhirPath, toTypedValue } from '@medplum/core';
import { loadDefinitions } from '../definitions.js';
import { compileFastPath } from './fast-path.js';

loadDefinitions();

const observation = {
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: 'Patient/p1' },
  performer: [
    { reference: 'Practitioner/dr1' },
    { reference: 'Patient/p1' },
    { type: 'Patient', identifier: { value: 'MRN-1' } },
  ],
  effectivePeriod: { start: '2024-01-01' },
  valueQuantity: { value: 72, unit: '/min' },
  component: [
    { code: { text: 'a' }, valueString: 'x' },
    { code: { text: 'b' }, valueQuantity: { value: 1 } },
  ],
};
const patient = {
  resourceType: 'Patient',
  telecom: [{ system: 'phone', value: '1' }, { system: 'email', value: 'e' }, { value: '3' }],
};

/** The fast path must return what Medplum's engine returns for the same expression. */
function sameAsMedplum(resourceType: string, expression: string, resource: object): void {
  const fast = compileFastPath(resourceType, expression);
  assert.ok(fast, `${expression} compiles`);
  const expected = evalFhirPathTyped(parseFhirPath(expression), [toTypedValue(resource)]).map(({ type, value }) => ({
    type,
    value,
  }));
  assert.deepEqual(fast(resource), expected, expression);
}

describe('fast paths', () => {
  it('walk plain paths, arrays, backbone elements and choice types with their types', () => {
    sameAsMedplum('Observation', 'Observation.code', observation);
    sameAsMedplum('Observation', 'Observation.code.coding.code', observation);
    sameAsMedplum('Observation', 'Observation.effective', observation);
    sameAsMedplum('Observation', 'Observation.component.value', observation);
    assert.deepEqual(compileFastPath('Observation', 'Observation.effective')!(observation), [
      { type: 'Period', value: { start: '2024-01-01' } },
    ]);
  });

  it('apply ofType, where(field = literal) and where(resolve() is T) like Medplum', () => {
    sameAsMedplum('Observation', 'Observation.value.ofType(Quantity)', observation);
    sameAsMedplum(
      'Observation',
      '(Observation.component.value.ofType(Quantity)) | (Observation.component.value.ofType(string))',
      observation,
    );
    sameAsMedplum('Observation', 'Observation.performer.where(resolve() is Patient)', observation);
    sameAsMedplum('Observation', 'Observation.subject.where(resolve() is Group)', observation);
    sameAsMedplum('Patient', "Patient.telecom.where(system='phone')", patient);
  });

  it("where(resolve() is T) also knows the type of an absolute RESTful URL (Medplum's offline resolve() does not)", () => {
    const fast = compileFastPath('DocumentReference', 'DocumentReference.subject.where(resolve() is Patient)')!;
    const subject = (reference: string) => fast({ resourceType: 'DocumentReference', subject: { reference } });
    assert.equal(subject('http://127.0.0.1:8080/fhir/Patient/pa').length, 1);
    assert.equal(subject('https://fhir.nilecare.sd/r4/Patient/pa/_history/3').length, 1);
    assert.equal(subject('Patient/pa/_history/3').length, 1);
    assert.deepEqual(subject('http://127.0.0.1:8080/fhir/Group/ward-7'), []);
    assert.deepEqual(subject('urn:uuid:0b1e3a52-6a5b-4c1e-9c53-0e9b7e8a4f10'), []);
    assert.deepEqual(subject('http://example.org/fhir/Patient?identifier=x'), []);
    assert.deepEqual(subject('http://example.org/letters/Patient/a/b'), []);
  });

  it('declines expressions it does not model, which then go through Medplum', () => {
    assert.equal(compileFastPath('Patient', 'Patient.deceased.exists() and Patient.deceased != false'), undefined);
    assert.equal(compileFastPath('Bundle', 'Bundle.entry[0].resource'), undefined);
    assert.equal(compileFastPath('Observation', '(Observation.value.ofType(CodeableConcept)).text'), undefined);
    assert.equal(compileFastPath('Patient', 'Patient.noSuchElement'), undefined);
    assert.equal(compileFastPath('Patient', 'Observation.subject'), undefined);
  });

  it('never throws on values of the wrong JSON type', () => {
    const fast = compileFastPath('Patient', 'Patient.name.given')!;
    assert.deepEqual(fast({ resourceType: 'Patient', name: 'x' }), []);
    assert.deepEqual(fast({ resourceType: 'Patient', name: [null, 5, { given: 'Ali' }] }), [
      { type: 'string', value: 'Ali' },
    ]);
  });
});
