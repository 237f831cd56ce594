/**
 * Extensible and additional bindings of a profile: a code outside a required additional binding's value set is an
 * error, outside an extensible one (main or additional) a warning; a code inside is no issue; a value set that cannot
 * be expanded offline is not held against the resource.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { hasErrors, validateResource } from './validate-resource.js';
import { clearRegisteredConformance, registerConformanceResources } from './profile-registry.js';
import { constraintProfile } from './testing/constraint-profile.js';

const ADDITIONAL = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-ElementDefinition.binding.additional';
const LOINC = 'http://loinc.org';

const valueSet = (url: string, codes: string[]) => ({
  resourceType: 'ValueSet',
  url,
  status: 'active',
  compose: { include: [{ system: LOINC, concept: codes.map((code) => ({ code })) }] },
});

const additional = (purpose: string, vs: string) => ({
  url: ADDITIONAL,
  extension: [
    { url: 'purpose', valueCode: purpose },
    { url: 'valueSet', valueCanonical: vs },
  ],
});

const profile = constraintProfile({
  type: 'Observation',
  url: 'http://example.org/StructureDefinition/bound-observation',
  name: 'BoundObservation',
  element: [
    {
      id: 'Observation.code',
      path: 'Observation.code',
      binding: {
        strength: 'example',
        valueSet: 'http://hl7.org/fhir/ValueSet/observation-codes',
        extension: [additional('required', 'http://example.org/vs/required')],
      },
    },
    {
      id: 'Observation.bodySite',
      path: 'Observation.bodySite',
      binding: { strength: 'extensible', valueSet: 'http://example.org/vs/extensible' },
    },
    {
      id: 'Observation.method',
      path: 'Observation.method',
      binding: {
        strength: 'example',
        valueSet: 'http://example.org/vs/none',
        extension: [
          additional('extensible', 'http://example.org/vs/extensible'),
          additional('required', 'http://example.org/vs/not-loaded'),
        ],
      },
    },
  ],
});

const observation = (code: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: LOINC, code }] },
  ...extra,
});

const validate = (resource: unknown) => validateResource(resource, { profiles: [profile.url] });
const codeIssues = (issues: OperationOutcomeIssue[], severity: string) =>
  issues.filter((i) => i.severity === severity && i.code === 'code-invalid');

describe('profile bindings: extensible and additional', () => {
  before(() => {
    clearRegisteredConformance();
    registerConformanceResources([
      profile,
      valueSet('http://example.org/vs/required', ['100065-2']),
      valueSet('http://example.org/vs/extensible', ['1111-1']),
    ] as never);
  });
  after(() => clearRegisteredConformance());

  it('a code outside a required additional binding is an error at the element', () => {
    const issues = validate(observation('100066-0'));
    assert.ok(hasErrors(issues), JSON.stringify(issues));
    const [error] = codeIssues(issues, 'error');
    assert.equal(error?.expression?.[0], 'Observation.code');
    assert.match(error?.details?.text ?? '', /required additional binding to http:\/\/example.org\/vs\/required/);
  });

  it('a code inside it is accepted', () => {
    assert.equal(hasErrors(validate(observation('100065-2'))), false);
  });

  it('a code outside an extensible binding (main or additional) is a warning, not an error', () => {
    const issues = validate(
      observation('100065-2', {
        bodySite: { coding: [{ system: LOINC, code: '9999-9' }] },
        method: { coding: [{ system: LOINC, code: '9999-9' }] },
      }),
    );
    assert.equal(hasErrors(issues), false, JSON.stringify(issues));
    const warnings = codeIssues(issues, 'warning').map((i) => i.expression?.[0]);
    assert.deepEqual(warnings.sort(), ['Observation.bodySite', 'Observation.method']);
  });

  it('codes inside the extensible value set raise nothing; an unknown value set is not checked', () => {
    const issues = validate(
      observation('100065-2', {
        bodySite: { coding: [{ system: LOINC, code: '1111-1' }] },
        method: { coding: [{ system: LOINC, code: '1111-1' }] },
      }),
    );
    assert.deepEqual(codeIssues(issues, 'warning'), []);
    assert.equal(hasErrors(issues), false);
  });
});
