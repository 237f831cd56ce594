/**
 * Typical failures a client makes, and the FHIRPath expression each issue points at.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { hasErrors, validateResource } from './validate-resource.js';
import { clearRegisteredConformance, registerConformanceResources } from './profile-registry.js';

const errors = (issues: OperationOutcomeIssue[]) =>
  issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
const at = (issues: OperationOutcomeIssue[], expression: string) =>
  errors(issues).filter((i) => i.expression?.includes(expression));

function assertErrorAt(resource: unknown, expression: string, text?: RegExp): void {
  const issues = validateResource(resource);
  const found = at(issues, expression);
  assert.ok(
    found.length > 0,
    `expected an error at ${expression}, got ${JSON.stringify(errors(issues).map((i) => [i.expression, i.details?.text]))}`,
  );
  if (text)
    assert.ok(
      found.some((i) => text.test(i.details?.text ?? '')),
      `no error at ${expression} matching ${text}: ${JSON.stringify(found)}`,
    );
}

describe('validateResource — valid resources', () => {
  it('accepts a complete Patient with no issue at all', () => {
    const issues = validateResource({
      resourceType: 'Patient',
      id: 'p-1',
      identifier: [{ system: 'urn:oid:2.16.729.1', value: 'KH-000123' }],
      name: [{ family: 'Osman', given: ['Amna'] }],
      gender: 'female',
      birthDate: '1985-03-14',
      telecom: [{ system: 'phone', value: '+249 912 345 678', use: 'mobile' }],
      address: [{ city: 'Khartoum', country: 'SD' }],
    });
    assert.deepEqual(issues, []);
  });

  it('accepts a vital-signs Observation with components', () => {
    const issues = validateResource({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
      subject: { reference: 'Patient/p-1' },
      effectiveDateTime: '2026-11-25T10:00:00+02:00',
      component: [
        {
          code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
          valueQuantity: { value: 120, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
        },
      ],
    });
    assert.equal(hasErrors(issues), false, JSON.stringify(issues));
  });
});

describe('validateResource — typical failures and their expressions', () => {
  it('reports a bad birthDate at Patient.birthDate', () => {
    assertErrorAt({ resourceType: 'Patient', birthDate: '1970-13-01' }, 'Patient.birthDate');
  });
  it('reports a code outside a required binding (gender, Observation.status)', () => {
    assertErrorAt({ resourceType: 'Patient', gender: 'femal' }, 'Patient.gender', /not in the required value set/);
    assertErrorAt({ resourceType: 'Observation', status: 'done', code: { text: 'x' } }, 'Observation.status');
  });
  it('reports a missing required element with its index (Observation.component[0].code)', () => {
    assertErrorAt(
      { resourceType: 'Observation', status: 'final', code: { text: 'BP' }, component: [{ valueString: 'x' }] },
      'Observation.component[0].code',
      /required/i,
    );
    assertErrorAt({ resourceType: 'Observation', code: { text: 'BP' } }, 'Observation.status');
  });
  it('reports an empty string, a bad id, an unknown property, a non-array where an array is expected', () => {
    assertErrorAt(
      { resourceType: 'Patient', telecom: [{ system: 'phone', value: '' }] },
      'Patient.telecom[0].value',
      /empty/,
    );
    assertErrorAt({ resourceType: 'Patient', id: 'has spaces!' }, 'Patient.id');
    assertErrorAt({ resourceType: 'Patient', shoeSize: 42 }, 'Patient.shoeSize');
    assertErrorAt({ resourceType: 'Patient', name: [{ family: 'A' }, { given: 'Amna' }] }, 'Patient.name[1].given');
  });
  it('reports an invalid CodeableConcept code of a required binding (Coding system and code checked)', () => {
    const obs = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      category: [{ text: 'c' }],
      dataAbsentReason: { text: 't' },
    };
    assert.equal(hasErrors(validateResource(obs)), false);
    assertErrorAt(
      {
        resourceType: 'AllergyIntolerance',
        patient: { reference: 'Patient/1' },
        clinicalStatus: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'gone' }],
        },
      },
      'AllergyIntolerance.clinicalStatus',
      /None of the codings .*gone.* is in the value set/,
    );
  });
  it('reports a failed invariant (pat-1) and an empty array', () => {
    assertErrorAt({ resourceType: 'Patient', contact: [{ gender: 'male' }] }, 'Patient.contact[0]', /pat-1/);
    assertErrorAt({ resourceType: 'Patient', identifier: [] }, 'Patient.identifier', /empty/);
  });
  it('reports contained resources without id or never referenced', () => {
    assertErrorAt(
      { resourceType: 'Patient', contained: [{ resourceType: 'Organization', name: 'x' }] },
      'Patient.contained[0].id',
    );
    assertErrorAt(
      { resourceType: 'Patient', contained: [{ resourceType: 'Organization', id: 'o1', name: 'x' }] },
      'Patient.contained[0]',
      /dom-3/,
    );
    const referenced = {
      resourceType: 'Patient',
      contained: [{ resourceType: 'Organization', id: 'o1', name: 'x' }],
      managingOrganization: { reference: '#o1' },
    };
    assert.equal(hasErrors(validateResource(referenced)), false);
  });
  it('locates errors inside Bundle entries', () => {
    assertErrorAt(
      {
        resourceType: 'Bundle',
        type: 'collection',
        entry: [
          {
            fullUrl: 'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0',
            resource: { resourceType: 'Patient', gender: 'x' },
          },
        ],
      },
      'Bundle.entry[0].resource.gender',
    );
    assertErrorAt(
      {
        resourceType: 'Bundle',
        type: 'collection',
        entry: [{ fullUrl: 'Patient/1', resource: { resourceType: 'Patient' } }],
      },
      'Bundle.entry[0].fullUrl',
      /absolute/,
    );
  });
  it('reports a Period whose end is before its start, and scripts in the narrative', () => {
    assertErrorAt(
      {
        resourceType: 'Encounter',
        status: 'finished',
        class: { code: 'IMP' },
        period: { start: '2026-01-02', end: '2026-01-01' },
      },
      'Encounter.period',
      /per-1/,
    );
    assertErrorAt(
      {
        resourceType: 'Patient',
        text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></div>' },
      },
      'Patient.text.div',
      /script/,
    );
  });
  it('reports a core extension used out of its context or with the wrong value type', () => {
    assertErrorAt(
      {
        resourceType: 'Patient',
        name: [
          {
            family: 'A',
            extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/humanname-mothers-family', valueString: 'B' }],
          },
        ],
      },
      'Patient.name[0].extension[0]',
      /not allowed/,
    );
    assertErrorAt(
      {
        resourceType: 'Patient',
        birthDate: '1970-01-01',
        _birthDate: {
          extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime', valueString: 'noon' }],
        },
      },
      'Patient.birthDate.extension[0].valueString',
      /allows values of type dateTime/,
    );
  });
});

describe('validateResource — bad input never crashes', () => {
  it('answers with issues for non-objects, missing and unknown resource types', () => {
    for (const input of [null, 42, 'Patient', [], {}, { resourceType: 'Nope' }, { resourceType: 7 }]) {
      const issues = validateResource(input);
      assert.ok(hasErrors(issues), `expected an error for ${JSON.stringify(input)}`);
      assert.ok(
        issues.every((i) => i.expression?.length),
        'every issue has an expression',
      );
    }
  });
  it('survives wrong JSON types deep inside', () => {
    const issues = validateResource({
      resourceType: 'Patient',
      name: 'Amna',
      address: [{ line: [1, null] }],
      contact: 'x',
      meta: [],
    });
    assert.ok(hasErrors(issues));
  });
});

describe('validateResource — profiles', () => {
  const profile = {
    resourceType: 'StructureDefinition',
    url: 'http://nilecare.sd/fhir/StructureDefinition/test-patient',
    name: 'TestPatient',
    status: 'draft',
    kind: 'resource',
    abstract: false,
    type: 'Patient',
    baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Patient',
    derivation: 'constraint',
    differential: { element: [{ id: 'Patient.identifier', path: 'Patient.identifier', min: 1 }] },
  };

  it('checks a core profile (vital signs body weight) named in meta.profile', () => {
    const weight = {
      resourceType: 'Observation',
      meta: { profile: ['http://hl7.org/fhir/StructureDefinition/bodyweight'] },
      status: 'final',
      category: [
        { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
      ],
      code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
      subject: { reference: 'Patient/p1' },
      effectiveDateTime: '2026-11-25',
      valueQuantity: { value: 70, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
    };
    assert.equal(hasErrors(validateResource(weight)), false, JSON.stringify(errors(validateResource(weight))));
    const { subject: _subject, ...withoutSubject } = weight;
    assert.ok(
      errors(validateResource(withoutSubject)).some((i) =>
        /profile http:\/\/hl7.org\/fhir\/StructureDefinition\/bodyweight/.test(i.details?.text ?? ''),
      ),
    );
  });

  it('checks the NileCare profiles kept in profiles/ (Patient demographics, Claim total in SDG)', () => {
    const patient = {
      resourceType: 'Patient',
      meta: { profile: ['http://nilecare.sd/fhir/StructureDefinition/nilecare-patient'] },
      name: [{ family: 'Osman' }],
    };
    assert.ok(at(validateResource(patient), 'Patient.identifier').length > 0);
    const complete = {
      ...patient,
      identifier: [{ system: 'urn:nilecare:mrn', value: 'KH-1' }],
      gender: 'female',
      birthDate: '1990-01-01',
    };
    assert.equal(hasErrors(validateResource(complete)), false);
    const claim = {
      resourceType: 'Claim',
      meta: { profile: ['http://nilecare.sd/fhir/StructureDefinition/nilecare-claim'] },
      status: 'active',
      type: { text: 'institutional' },
      use: 'claim',
      patient: { reference: 'Patient/1' },
      created: '2026-11-25',
      provider: { reference: 'Organization/1' },
      priority: { text: 'normal' },
      insurance: [{ sequence: 1, focal: true, coverage: { reference: 'Coverage/1' } }],
    };
    assert.equal(hasErrors(validateResource({ ...claim, total: { value: 1200, currency: 'SDG' } })), false);
    assertErrorAt({ ...claim, total: { value: 1200, currency: 'USD' } }, 'Claim.total.currency');
  });

  it('a declared profile that is not loaded is a warning, not an error', () => {
    const issues = validateResource({ resourceType: 'Patient', meta: { profile: ['http://example.org/unknown'] } });
    assert.equal(hasErrors(issues), false);
    assert.ok(issues.some((i) => i.severity === 'warning' && i.expression?.[0] === 'Patient.meta.profile'));
  });
  it('checks a registered differential-only profile, declared or asked for', () => {
    clearRegisteredConformance();
    registerConformanceResources([profile as never]);
    try {
      const declared = validateResource({ resourceType: 'Patient', meta: { profile: [profile.url] } });
      assert.ok(at(declared, 'Patient.identifier').length > 0, JSON.stringify(declared));
      const asked = validateResource({ resourceType: 'Patient' }, { profiles: [profile.url] });
      assert.ok(hasErrors(asked));
      assert.equal(
        hasErrors(
          validateResource({ resourceType: 'Patient', identifier: [{ value: '1' }] }, { profiles: [profile.url] }),
        ),
        false,
      );
      assert.ok(
        hasErrors(validateResource({ resourceType: 'Patient' }, { profiles: ['http://example.org/not-there'] })),
        'an explicit unknown profile is an error',
      );
      const base = validateResource(
        { resourceType: 'Patient' },
        { profiles: ['http://hl7.org/fhir/StructureDefinition/Patient'] },
      );
      assert.equal(hasErrors(base), false, 'the base definition as a profile is accepted');
    } finally {
      clearRegisteredConformance();
    }
  });
});
