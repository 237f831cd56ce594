/**
 * SearchParameters that loadDefinitions() reads from profiles/ are registered in Medplum's registry the same
 * way as here (indexSearchParameterBundle); this file registers two NileCare-style ones directly (this test
 * file runs in its own process) and checks that the registry lists them and extraction evaluates them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { indexSearchParameterBundle } from '@medplum/core';
import type { Resource, SearchParameter } from '@medplum/fhirtypes';
import { loadDefinitions } from '../definitions.js';
import { getSearchParameterInfo } from './search-parameter-registry.js';
import { extractIndex } from './extract-index.js';

const TRIBE = 'http://nilecare.sd/fhir/StructureDefinition/tribe';
const custom: SearchParameter[] = [
  {
    resourceType: 'SearchParameter',
    id: 'patient-national-id',
    url: 'http://nilecare.sd/fhir/SearchParameter/patient-national-id',
    name: 'national-id',
    status: 'active',
    description: 'Sudanese national id',
    code: 'national-id',
    base: ['Patient'],
    type: 'token',
    expression: "Patient.identifier.where(system='urn:sd:national-id')",
  },
  {
    resourceType: 'SearchParameter',
    id: 'patient-tribe',
    url: 'http://nilecare.sd/fhir/SearchParameter/patient-tribe',
    name: 'tribe',
    status: 'active',
    description: 'Tribe (extension)',
    code: 'tribe',
    base: ['Patient'],
    type: 'string',
    expression: `Patient.extension.where(url='${TRIBE}').value`,
  },
];

loadDefinitions();
indexSearchParameterBundle({
  resourceType: 'Bundle',
  type: 'collection',
  entry: custom.map((resource) => ({ resource })),
});

describe('profile search parameters', () => {
  it('are listed with their kind and url', () => {
    const info = getSearchParameterInfo('Patient', 'national-id');
    assert.equal(info?.kind, 'token');
    assert.equal(info?.url, 'http://nilecare.sd/fhir/SearchParameter/patient-national-id');
    assert.equal(getSearchParameterInfo('Patient', 'tribe')?.kind, 'string');
  });

  it('are extracted like the R4 ones, including extension values', () => {
    const patient = {
      resourceType: 'Patient',
      id: 'p1',
      identifier: [
        { system: 'urn:sd:national-id', value: '1234567' },
        { system: 'urn:nilecare:mrn', value: 'MRN-1' },
      ],
      extension: [
        { url: TRIBE, valueString: 'Nubian' },
        { url: 'http://other', valueString: 'ignored' },
      ],
    } as unknown as Resource;
    const entries = extractIndex(patient).entries;
    assert.deepEqual(
      entries.filter((e) => e.param === 'national-id'),
      [{ kind: 'token', param: 'national-id', system: 'urn:sd:national-id', code: '1234567' }],
    );
    assert.deepEqual(
      entries.filter((e) => e.param === 'tribe'),
      [{ kind: 'string', param: 'tribe', value: 'nubian', exact: 'Nubian' }],
    );
  });
});
