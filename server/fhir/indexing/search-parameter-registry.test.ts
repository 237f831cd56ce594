import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getSearchParameterInfo, listSearchParameters } from './search-parameter-registry.js';

describe('search parameter registry', () => {
  it('lists the R4 parameters of a type with their kinds', () => {
    const byCode = new Map(listSearchParameters('Patient').map((p) => [p.code, p]));
    assert.equal(byCode.get('birthdate')?.kind, 'date');
    assert.equal(byCode.get('name')?.kind, 'string');
    assert.equal(byCode.get('identifier')?.kind, 'token');
    assert.deepEqual([...(byCode.get('general-practitioner')?.targets ?? [])].sort(), [
      'Organization',
      'Practitioner',
      'PractitionerRole',
    ]);
    assert.equal(byCode.get('birthdate')?.url, 'http://hl7.org/fhir/SearchParameter/individual-birthdate');
  });

  it('gives every type the resource-level parameters and none of Medplum-only ones', () => {
    for (const type of ['Patient', 'Binary', 'Bundle', 'Observation']) {
      for (const code of ['_id', '_lastUpdated', '_tag', '_profile', '_security', '_source']) {
        assert.ok(getSearchParameterInfo(type, code), `${type} ${code}`);
      }
      assert.equal(getSearchParameterInfo(type, '_project'), undefined);
      assert.equal(getSearchParameterInfo(type, '_compartment'), undefined);
    }
    assert.equal(getSearchParameterInfo('Patient', '_lastUpdated')?.expression, 'Patient.meta.lastUpdated');
    assert.equal(getSearchParameterInfo('Patient', '_content')?.kind, 'special');
  });

  it('resolves composite components to their parameter codes and kinds', () => {
    const cvq = getSearchParameterInfo('Observation', 'component-code-value-quantity');
    assert.equal(cvq?.kind, 'composite');
    assert.deepEqual(
      cvq?.components?.map((c) => [c.code, c.kind]),
      [
        ['component-code', 'token'],
        ['component-value-quantity', 'quantity'],
      ],
    );
  });

  it('answers undefined / empty for unknown types and codes', () => {
    assert.equal(getSearchParameterInfo('Patient', 'no-such-param'), undefined);
    assert.equal(getSearchParameterInfo('NoSuchType', '_id'), undefined);
    assert.deepEqual(listSearchParameters('NoSuchType'), []);
  });
});
