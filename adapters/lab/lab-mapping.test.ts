import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Observation } from '@medplum/fhirtypes';
import type { RowWrite } from '../outbox/rows.js';
import { mapInputs } from '../outbox/testing/map-inputs.js';
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
const ops = (w: RowWrite[]) => w.map((x) => `${x.op}:${'table' in x ? x.table : ''}`);
const inputs = mapInputs();

describe('lab mapping', () => {
  it('a laboratory Observation → test ensured in the catalog, an implicit order keyed by its identity, the result (UTC time, flag, range)', () => {
    const writes = mapLabObservation(obs, 1, inputs);
    assert.deepEqual(ops(writes), [
      'ensure:lab_tests_catalog',
      'upsert:lab_orders',
      'lookup:lab_orders',
      'upsert:lab_results',
    ]);
    const r = writes[3] as Extract<RowWrite, { op: 'upsert' }>;
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
    const order = writes[1] as Extract<RowWrite, { op: 'upsert' }>;
    assert.equal(order.values.order_number, 'OBS-o1', 'from the Observation id: cannot collide');
    assert.equal(order.fhirId, undefined, 'keyed by its stable id');
    const moved = mapLabObservation({ ...obs, effectiveDateTime: '2025-02-02T00:00:00Z' }, 2, inputs)[1] as Extract<
      RowWrite,
      { op: 'upsert' }
    >;
    assert.deepEqual(
      [moved.id, moved.values.order_number, moved.values.ordered_at],
      [order.id, 'OBS-o1', '2025-02-02 00:00:00'],
    );
    const catalog = writes[0] as Extract<RowWrite, { op: 'ensure' }>;
    assert.deepEqual(
      [catalog.values.category, catalog.values.specimen_type],
      [undefined, undefined],
      'nothing invented',
    );
    const hm = mapLabObservation(
      {
        ...obs,
        category: [
          ...obs.category!,
          { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'HM' }] },
        ],
      },
      1,
      inputs,
    )[0] as Extract<RowWrite, { op: 'ensure' }>;
    assert.equal(hm.values.category, 'hematology', 'the v2-0074 section the data states');
  });

  it('basedOn and specimen are looked up; vital signs are not lab results; a final result needs a value; re-categorised results leave', () => {
    const writes = mapLabObservation(
      { ...obs, basedOn: [{ reference: 'ServiceRequest/s1' }], specimen: { reference: 'Specimen/x' } },
      2,
      inputs,
    );
    assert.deepEqual(ops(writes), [
      'ensure:lab_tests_catalog',
      'lookup:lab_orders',
      'lookup:lab_specimens',
      'upsert:lab_results',
    ]);
    const vital = { ...obs, category: [{ coding: [{ code: 'vital-signs' }] }] };
    assert.deepEqual(mapLab(vital, 1, inputs), []);
    assert.deepEqual(ops(mapLab(vital, 2, mapInputs({ previous: obs }))), ['delete:lab_results', 'update:lab_orders']);
    assert.throws(
      () => mapLabObservation({ ...obs, valueQuantity: undefined }, 1, inputs),
      /final lab result has no value/,
    );
    const withdrawn = mapLabObservation({ ...obs, status: 'entered-in-error', valueQuantity: undefined }, 3, inputs);
    assert.equal((withdrawn[3] as Extract<RowWrite, { op: 'upsert' }>).values.status, 'entered_in_error');
  });

  it('Specimen needs its order; ObservationDefinition adopts the catalog row of its code', () => {
    assert.throws(
      () => mapSpecimen({ resourceType: 'Specimen', id: 's', subject: patient }, 1, inputs),
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
