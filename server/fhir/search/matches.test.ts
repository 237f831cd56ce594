import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Observation } from '@medplum/fhirtypes';
import { matchesSearch } from './matches.js';
import { FhirError } from '../errors.js';

const lab: Observation = {
  resourceType: 'Observation',
  id: 'o1',
  meta: { lastUpdated: '2025-01-01T00:00:00Z' },
  status: 'final',
  category: [
    { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] },
  ],
  code: { coding: [{ system: 'http://loinc.org', code: '2339-0' }] },
  subject: { reference: 'Patient/p1' },
  valueQuantity: { value: 120, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
};

describe('matchesSearch', () => {
  it('checks a resource against SMART-style constraints', () => {
    assert.equal(matchesSearch(lab, 'Observation', { category: 'laboratory' }), true);
    assert.equal(matchesSearch(lab, 'Observation', { category: 'vital-signs' }), false);
    assert.equal(
      matchesSearch(lab, 'Observation', [
        ['category', 'vital-signs,laboratory'],
        ['status', 'final'],
      ]),
      true,
    );
    assert.equal(matchesSearch(lab, 'Observation', [['category:not', 'laboratory']]), false);
  });

  it('evaluates every parameter kind with the store semantics', () => {
    assert.equal(matchesSearch(lab, 'Observation', { 'value-quantity': 'gt1|http://unitsofmeasure.org|g/L' }), true);
    assert.equal(matchesSearch(lab, 'Observation', { 'value-quantity': 'lt1|http://unitsofmeasure.org|g/L' }), false);
    assert.equal(matchesSearch(lab, 'Observation', { patient: 'p1' }), true);
    assert.equal(matchesSearch(lab, 'Observation', { subject: 'Patient/p2' }), false);
    assert.equal(matchesSearch(lab, 'Observation', { _lastUpdated: 'ge2025-01-01' }), true);
    assert.equal(matchesSearch(lab, 'Observation', { 'date:missing': 'true' }), true);
    assert.equal(matchesSearch(lab, 'Patient', { _id: 'o1' }), false, 'another type never matches');
  });

  it('refuses chains and bad values with a 400', () => {
    assert.throws(
      () => matchesSearch(lab, 'Observation', { 'subject:Patient.name': 'x' }),
      (e: unknown) => e instanceof FhirError && e.status === 400,
    );
    assert.throws(
      () => matchesSearch(lab, 'Observation', { date: 'yesterday' }),
      (e: unknown) => e instanceof FhirError && e.status === 400,
    );
  });
});
