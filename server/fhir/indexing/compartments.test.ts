import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@medplum/fhirtypes';
import { compartmentsOf } from './compartments.js';
import { extractIndex } from './extract-index.js';

const r = (resource: Record<string, unknown>) => resource as unknown as Resource;

describe('compartments', () => {
  it('puts a Patient in its own compartment (and in the ones it links to)', () => {
    assert.deepEqual(compartmentsOf(r({ resourceType: 'Patient', id: 'p1' })), ['Patient/p1']);
    const linked = r({
      resourceType: 'Patient',
      id: 'p1',
      link: [{ other: { reference: 'Patient/p0' }, type: 'replaces' }],
      generalPractitioner: [{ reference: 'Practitioner/dr1' }],
    });
    assert.deepEqual(compartmentsOf(linked), ['Patient/p0', 'Patient/p1', 'Practitioner/dr1']);
  });

  it('derives Patient, Encounter and Practitioner compartments of an Observation', () => {
    const obs = r({
      resourceType: 'Observation',
      id: 'o1',
      status: 'final',
      code: { text: 'x' },
      subject: { reference: 'Patient/p1' },
      encounter: { reference: 'Encounter/e1' },
      performer: [
        { reference: 'Practitioner/dr1' },
        { reference: 'http://other/fhir/Patient/p2' },
        { reference: 'Organization/org1' },
      ],
    });
    assert.deepEqual(compartmentsOf(obs), ['Encounter/e1', 'Patient/p1', 'Patient/p2', 'Practitioner/dr1']);
    assert.deepEqual(extractIndex(obs).compartments, compartmentsOf(obs));
  });

  it('puts an Encounter in its own compartment and its patient’s', () => {
    const enc = r({
      resourceType: 'Encounter',
      id: 'e1',
      status: 'finished',
      class: { code: 'AMB' },
      subject: { reference: 'Patient/p1' },
      participant: [{ individual: { reference: 'RelatedPerson/rp1' } }],
    });
    assert.deepEqual(compartmentsOf(enc), ['Encounter/e1', 'Patient/p1', 'RelatedPerson/rp1']);
  });

  it('uses the Device compartment and ignores references that are not to the compartment type', () => {
    const obs = r({
      resourceType: 'Observation',
      id: 'o2',
      status: 'final',
      code: { text: 'x' },
      subject: { reference: 'Group/g1' },
      device: { reference: 'Device/d1' },
    });
    assert.deepEqual(compartmentsOf(obs), ['Device/d1']);
  });

  it('gives nothing for unresolved, contained or logical references, or types outside every compartment', () => {
    const obs = r({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      subject: { reference: 'urn:uuid:1b6e1c7a-0000-4000-8000-000000000000' },
      performer: [{ reference: '#pr' }, { identifier: { value: 'x' } }],
    });
    assert.deepEqual(compartmentsOf(obs), []);
    assert.deepEqual(
      compartmentsOf(r({ resourceType: 'Organization', id: 'org1', partOf: { reference: 'Organization/o0' } })),
      [],
    );
    assert.deepEqual(compartmentsOf(r({})), []);
    assert.deepEqual(
      compartmentsOf(r({ resourceType: 'Patient', id: 7 })),
      [],
      'an id that is not a string names no compartment',
    );
  });
});
