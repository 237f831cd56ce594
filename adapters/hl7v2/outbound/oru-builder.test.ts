import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DiagnosticReport, Observation, Patient } from '@medplum/fhirtypes';
import { OruBuilder } from './oru-builder.js';
import { buildAdt, adtEventFor } from './adt-builder.js';
import { parseMessage } from '../parser/parse-message.js';
import { loadMappings } from '../mapping/load-mappings.js';
import { CodeTables } from '../mapping/code-tables.js';
import { mapMessage } from '../mapping/mapping-engine.js';

const patient: Patient = {
  resourceType: 'Patient',
  identifier: [{ system: 'urn:oid:2.16.840.1.113883.3.9', value: 'MRN-7|A^B' }],
  name: [{ family: 'Abdalla', given: ['Mariam'] }],
  gender: 'female',
  birthDate: '1985-06-30',
};
const observations: Observation[] = [
  {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '718-7', display: 'Hemoglobin' }] },
    valueQuantity: { value: 11.2, unit: 'g/dL', system: 'http://unitsofmeasure.org', code: 'g/dL' },
    referenceRange: [
      {
        low: { value: 12, unit: 'g/dL', system: 'http://unitsofmeasure.org', code: 'g/dL' },
        high: { value: 15.5, unit: 'g/dL', system: 'http://unitsofmeasure.org', code: 'g/dL' },
      },
    ],
    interpretation: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'L' }] },
    ],
    effectiveDateTime: '2026-03-01T08:30:00+02:00',
    note: [{ text: 'repeat in 2 weeks' }],
  },
  {
    resourceType: 'Observation',
    status: 'preliminary',
    code: { coding: [{ system: 'http://loinc.org', code: '600-7', display: 'Blood culture' }] },
    valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '264868006', display: 'No growth' }] },
    effectiveDateTime: '2026-03-01T08:30:00+02:00',
  },
  {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8251-1', display: 'Comment' }] },
    valueString: 'sample haemolysed | re-collect ^ soon & fast',
    effectiveDateTime: '2026-03-01T08:30:00+02:00',
  },
  {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '2571-8' }] },
    valueQuantity: { value: 10, comparator: '>', unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
    effectiveDateTime: '2026-03-01T08:30:00+02:00',
  },
];
const report: DiagnosticReport = {
  resourceType: 'DiagnosticReport',
  status: 'final',
  identifier: [{ value: 'PL-1' }, { value: 'FL-1' }],
  code: { coding: [{ system: 'http://loinc.org', code: '58410-2', display: 'CBC panel' }] },
  effectiveDateTime: '2026-03-01T08:30:00+02:00',
};

describe('FHIR → ORU^R01 → FHIR', () => {
  it('keeps observation values, codes, units, ranges, flags, statuses and notes through a round trip', () => {
    const text = new OruBuilder().build(
      { patient, observations, report },
      { sendingApplication: 'NILECARE', receivingApplication: 'LIS' },
    );
    const msg = parseMessage(text);
    assert.equal(msg.messageType.structure, 'ORU_R01');
    const back = mapMessage(msg, loadMappings(), CodeTables.loadDefaults()).bundle;
    const obs = back
      .entry!.filter((e) => e.resource?.resourceType === 'Observation')
      .map((e) => e.resource as Observation);
    assert.equal(obs.length, observations.length);
    obs.forEach((o, i) => {
      const src = observations[i]!;
      assert.deepEqual(o.code.coding?.[0], src.code.coding?.[0], `code ${i}`);
      assert.equal(o.status, src.status);
      assert.equal(Date.parse(o.effectiveDateTime!), Date.parse(src.effectiveDateTime!));
      if (src.valueQuantity) assert.deepEqual(o.valueQuantity, src.valueQuantity);
      if (src.valueCodeableConcept) assert.deepEqual(o.valueCodeableConcept, src.valueCodeableConcept);
      if (src.valueString) assert.equal(o.valueString, src.valueString);
    });
    assert.deepEqual([obs[0]!.referenceRange?.[0]?.low?.value, obs[0]!.referenceRange?.[0]?.high?.value], [12, 15.5]);
    assert.equal(obs[0]!.interpretation?.[0]?.coding?.[0]?.code, 'L');
    assert.deepEqual(obs[0]!.note, [{ text: 'repeat in 2 weeks' }]);
    const p = back.entry![0]!.resource as Patient;
    assert.deepEqual(p.identifier?.[0]?.value, 'MRN-7|A^B');
    assert.equal(p.identifier?.[0]?.system, 'urn:oid:2.16.840.1.113883.3.9');
    assert.deepEqual(p.name?.[0], { family: 'Abdalla', given: ['Mariam'] });
    const dr = back.entry!.find((e) => e.resource?.resourceType === 'DiagnosticReport')!.resource as DiagnosticReport;
    assert.equal(dr.code.coding?.[0]?.code, '58410-2');
    assert.equal(dr.status, 'final');
  });

  it('builds ADT messages for admit, discharge, register and update with unique control ids', () => {
    assert.equal(
      adtEventFor({
        patient,
        created: true,
        encounter: { resourceType: 'Encounter', status: 'in-progress', class: { code: 'IMP' } },
      }),
      'A01',
    );
    assert.equal(
      adtEventFor({
        patient,
        created: true,
        encounter: { resourceType: 'Encounter', status: 'arrived', class: { code: 'AMB' } },
      }),
      'A04',
    );
    assert.equal(
      adtEventFor({
        patient,
        created: false,
        encounter: { resourceType: 'Encounter', status: 'finished', class: { code: 'IMP' } },
      }),
      'A03',
    );
    assert.equal(adtEventFor({ patient, created: false }), 'A31');
    assert.equal(adtEventFor({ patient, created: true }), 'A28');
    const a = parseMessage(
      buildAdt('A03', {
        patient,
        encounter: {
          resourceType: 'Encounter',
          status: 'finished',
          class: { code: 'IMP' },
          period: { start: '2026-02-01T10:00:00+02:00', end: '2026-02-05T12:00:00+02:00' },
        },
      }),
    );
    const b = parseMessage(buildAdt('A31', { patient }));
    assert.deepEqual([b.get('MSH-9.3'), b.get('PV1-2')], ['ADT_A05', 'N'], 'person-only: ADT_A05 with PV1 class N');
    assert.equal(a.messageType.event, 'A03');
    assert.notEqual(a.controlId, b.controlId);
    const back = mapMessage(a, loadMappings(), CodeTables.loadDefaults()).bundle;
    const enc = back.entry!.find((e) => e.resource?.resourceType === 'Encounter')!.resource as {
      status: string;
      period: { end: string };
    };
    assert.equal(enc.status, 'finished');
    assert.equal(Date.parse(enc.period.end), Date.parse('2026-02-05T12:00:00+02:00'));
  });
});
