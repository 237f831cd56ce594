/**
 * Extensible bindings of the base definitions, asked for by $validate: a code outside one is a warning at its element
 * (resource elements, backbone elements, data types such as Identifier.type, resources inside a Bundle); a code inside
 * raises nothing, text alone raises nothing, and without the option (writes) nothing is looked at.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { hasErrors, validateResource } from './validate-resource.js';

const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';

const observation = (interpretation: string, componentCode?: string) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { text: 'Haemoglobin' },
  interpretation: [{ coding: [{ system: INTERPRETATION, code: interpretation }] }],
  ...(componentCode
    ? {
        component: [
          { code: { text: 'part' }, interpretation: [{ coding: [{ system: INTERPRETATION, code: componentCode }] }] },
        ],
      }
    : {}),
});

const warningsAt = (issues: OperationOutcomeIssue[]) =>
  issues
    .filter((i) => i.severity === 'warning' && i.code === 'code-invalid')
    .map((i) => i.expression?.[0])
    .sort();

describe('extensible bindings of the base definitions ($validate)', () => {
  it('warns about a code outside the value set, at the element, and does not reject', () => {
    const issues = validateResource(observation('ZZZ', 'odd'), { extensible: true });
    assert.equal(hasErrors(issues), false, JSON.stringify(issues));
    assert.deepEqual(warningsAt(issues), [
      'Observation.component[0].interpretation[0]',
      'Observation.interpretation[0]',
    ]);
    assert.match(
      issues.find((i) => i.expression?.[0] === 'Observation.interpretation[0]')!.details!.text!,
      /extensible binding to http:\/\/hl7.org\/fhir\/ValueSet\/observation-interpretation/,
    );
  });

  it('a code inside the value set, or text alone, raises nothing', () => {
    assert.deepEqual(warningsAt(validateResource(observation('H'), { extensible: true })), []);
    const textOnly = { ...observation('H'), interpretation: [{ text: 'high' }] };
    assert.deepEqual(warningsAt(validateResource(textOnly, { extensible: true })), []);
  });

  it('checks data types (Identifier.type) and resources inside a Bundle', () => {
    const patient = (code: string) => ({
      resourceType: 'Patient',
      identifier: [{ type: { coding: [{ system: V2_0203, code }] }, value: '1' }],
    });
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ fullUrl: 'urn:uuid:5a0c3f3e-8c4a-4c1e-9d8e-6f1f2b0d7a11', resource: patient('NOT-A-TYPE') }],
    };
    assert.deepEqual(warningsAt(validateResource(patient('MR'), { extensible: true })), []);
    assert.deepEqual(warningsAt(validateResource(bundle, { extensible: true })), [
      'Bundle.entry[0].resource.identifier[0].type',
    ]);
  });

  it('is not looked at without the option (the write path)', () => {
    assert.deepEqual(warningsAt(validateResource(observation('ZZZ'))), []);
  });
});
