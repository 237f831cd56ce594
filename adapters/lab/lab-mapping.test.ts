import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Observation } from '@medplum/fhirtypes';
import type { RowWrite } from '../outbox/rows.js';
import { mapCatalog, mapLab, mapLabObservation, mapSpecimen } from './lab-mapping.js';

const patient = { reference: 'Patient/9b3c2a4e-1111-4a4a-8a8a-000000000001' };
const obs: Observation = {
  resourceType: 'Observation',
  id: 'o1',
  status: 'final',
  category: [
    { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] },
  ],
  code: { coding: [{ system: 'http://loinc.org', code: '718-7', display: 'Hemoglobin' }] },
  subject: patient,
  effectiveDateTime: '2025-01-02T03:04:05+02:00',
  valueQuantity: { value: 6.1, unit: 'g/dL' },
  interpretation: [{ coding: [{ code: 'LL' }] }],
  referenceRange: [{ low: { value: 12 }, high: { value: 16 } }],
};
const ops = (w: RowWrite[]) => w.map((x) => `${x.op}:${x.table}`);

describe('lab mapping', () => {
  it('a laboratory Observation → test ensured in the catalog, an implicit order, the result (UTC time, flag, range)', () => {
    const writes = mapLabObservation(obs, 1);
    assert.deepEqual(ops(writes), ['ensure:lab_tests_catalog', 'ensure:lab_orders', 'upsert:lab_results']);
    const r = writes[2] as Extract<RowWrite, { op: 'upsert' }>;
    assert.deepEqual(
      [
        r.values.component_code,
        r.values.value_numeric,
        r.values.abnormal_flag,
        r.values.reference_low,
        r.values.result_at,
        r.values.status,
      ],
      ['718-7', 6.1, 'LL', 12, '2025-01-02 01:04:05', 'final'],
    );
    assert.match(String((writes[1] as Extract<RowWrite, { op: 'ensure' }>).key.order_number), /^OBS-20250102-/);
  });

  it('basedOn and specimen are looked up; vital signs are not lab results; a final result needs a value', () => {
    const writes = mapLabObservation(
      { ...obs, basedOn: [{ reference: 'ServiceRequest/s1' }], specimen: { reference: 'Specimen/x' } },
      2,
    );
    assert.deepEqual(ops(writes), [
      'ensure:lab_tests_catalog',
      'lookup:lab_orders',
      'lookup:lab_specimens',
      'upsert:lab_results',
    ]);
    assert.deepEqual(mapLab({ ...obs, category: [{ coding: [{ code: 'vital-signs' }] }] }, 1), []);
    assert.throws(() => mapLabObservation({ ...obs, valueQuantity: undefined }, 1), /final lab result has no value/);
  });

  it('Specimen needs its order; ObservationDefinition adopts the catalog row of its code', () => {
    assert.throws(
      () => mapSpecimen({ resourceType: 'Specimen', id: 's', subject: patient }, 1),
      /no request ServiceRequest/,
    );
    const writes = mapCatalog(
      {
        resourceType: 'ObservationDefinition',
        id: 'od',
        code: { coding: [{ system: 'http://loinc.org', code: '718-7' }] },
        qualifiedInterval: [
          { range: { low: { value: 12 }, high: { value: 16 } } },
          { category: 'critical', range: { low: { value: 7 } } },
        ],
      },
      1,
    );
    assert.deepEqual(ops(writes), ['update:lab_tests_catalog', 'upsert:lab_tests_catalog']);
    const v = (writes[1] as Extract<RowWrite, { op: 'upsert' }>).values;
    assert.deepEqual([v.reference_range_low, v.reference_range_high, v.critical_low], [12, 16, 7]);
  });
});
