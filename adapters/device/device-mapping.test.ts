import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Observation } from '@medplum/fhirtypes';
import { stableUuid, type RowWrite } from '../outbox/rows.js';
import { mapInputs } from '../outbox/testing/map-inputs.js';
import {
  mapDevice,
  mapDeviceAlert,
  mapDeviceDelete,
  mapDeviceObservation,
  mapDeviceResource,
} from './device-mapping.js';

const bp: Observation = {
  resourceType: 'Observation',
  id: 'bp',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
  subject: { reference: 'Patient/abc' },
  device: { reference: 'Device/d1' },
  effectiveDateTime: '2025-07-01T14:00:00+02:00',
  component: [
    { code: { coding: [{ code: '8480-6' }] }, valueQuantity: { value: 120, unit: 'mm[Hg]' } },
    { code: { coding: [{ code: '8462-4' }] }, valueQuantity: { value: 80, unit: 'mm[Hg]' } },
    { code: { coding: [{ code: 'note' }] }, valueString: 'left arm' },
  ],
};

const inputs = mapInputs();
const after = (previous: Observation) => mapInputs({ previous });

describe('device mapping', () => {
  it('an Observation with a device → one batched reading per numeric value, components split; non-UUID patient ids become stable UUIDs', () => {
    const writes = mapDeviceObservation(bp, inputs);
    assert.deepEqual(
      writes.map((w) => w.op),
      ['lookup', 'bulkUpsert', 'bulkUpsert'],
    );
    const rows = writes.slice(1).map((w) => (w as Extract<RowWrite, { op: 'bulkUpsert' }>).values);
    assert.deepEqual(
      rows.map((r) => [r.reading_type, r.reading_value, r.timestamp, r.patient_id]),
      [
        ['8480-6', 120, '2025-07-01T12:00:00.000Z', stableUuid('Patient/abc')],
        ['8462-4', 80, '2025-07-01T12:00:00.000Z', stableUuid('Patient/abc')],
      ],
    );
    assert.deepEqual(mapDeviceObservation({ ...bp, device: undefined }, inputs), [], 'no device: not a reading');
    assert.throws(() => mapDeviceObservation({ ...bp, component: [] }, inputs), /no numeric value/);
    assert.deepEqual(
      mapDeviceObservation(bp, mapInputs({ readingsNotBefore: '2025-08-01T00:00:00.000Z' })),
      [],
      'past the retention window: not written again',
    );
    const merged = mapDeviceObservation(bp, mapInputs({ survivors: new Map([['abc', 'def']]) }));
    assert.equal((merged[1] as Extract<RowWrite, { op: 'bulkUpsert' }>).values.patient_id, stableUuid('Patient/def'));
  });

  it('deleting or withdrawing the Observation removes exactly its readings', () => {
    const del = mapDeviceDelete('Observation', 'bp', 2, after(bp));
    assert.deepEqual(
      del.map((w) => [w.op, (w as any).where?.reading_type]),
      [
        ['deleteWhere', '8480-6'],
        ['deleteWhere', '8462-4'],
      ],
    );
    assert.equal((del[0] as any).where.device_id, stableUuid('Device/d1'));
    assert.equal((del[0] as any).where.source, 'fhir', 'never a reading the gateway ingested');
  });

  it('an update that moves the reading in time, drops a component or changes device removes the readings under the old keys', () => {
    const removed = (writes: RowWrite[]) =>
      writes
        .filter((w) => w.op === 'deleteWhere')
        .map((w) => {
          const where = w.where;
          return `${where.device_id === stableUuid('Device/d1') ? 'd1' : 'other'} ${where.reading_type} ${where.timestamp}`;
        });
    const upserts = (writes: RowWrite[]) => writes.filter((w) => w.op === 'bulkUpsert').length;
    const moved = mapDeviceResource({ ...bp, effectiveDateTime: '2025-07-01T15:00:00+02:00' }, 2, after(bp));
    assert.deepEqual(removed(moved), ['d1 8480-6 2025-07-01T12:00:00.000Z', 'd1 8462-4 2025-07-01T12:00:00.000Z']);
    assert.equal(upserts(moved), 2);
    const fewer = mapDeviceResource({ ...bp, component: bp.component!.slice(0, 1) }, 2, after(bp));
    assert.deepEqual(removed(fewer), ['d1 8462-4 2025-07-01T12:00:00.000Z']);
    assert.deepEqual(removed(mapDeviceResource({ ...bp, device: { reference: 'Device/d2' } }, 2, after(bp))), [
      'd1 8480-6 2025-07-01T12:00:00.000Z',
      'd1 8462-4 2025-07-01T12:00:00.000Z',
    ]);
    assert.deepEqual(removed(mapDeviceResource({ ...bp, device: undefined }, 2, after(bp))), [
      'd1 8480-6 2025-07-01T12:00:00.000Z',
      'd1 8462-4 2025-07-01T12:00:00.000Z',
    ]);
    assert.deepEqual(
      removed(mapDeviceResource({ ...bp, status: 'amended' }, 2, after(bp))),
      [],
      'same keys: values are upserted in place',
    );
    assert.equal(
      removed(mapDeviceResource({ ...bp, status: 'entered-in-error' }, 2, after(bp))).length,
      2,
      'withdrawn: each old reading removed once',
    );
  });

  it('Device → devices (status, serial from UDI); a device DetectedIssue → alert with severity; other issues ignored', () => {
    const d = mapDevice(
      {
        resourceType: 'Device',
        id: 'd1',
        status: 'inactive',
        udiCarrier: [{ deviceIdentifier: '0123' }],
        type: { text: 'infusion pump' },
      },
      1,
      inputs,
    )[0] as Extract<RowWrite, { op: 'upsert' }>;
    assert.deepEqual(
      [d.values.status, d.values.serial_number, d.values.device_type, d.id],
      ['offline', '0123', 'infusion pump', stableUuid('Device/d1')],
    );
    const alert = mapDeviceAlert(
      {
        resourceType: 'DetectedIssue',
        id: 'i',
        status: 'final',
        severity: 'moderate',
        author: { reference: 'Device/d1' },
        detail: 'occlusion',
        identifiedDateTime: '2025-07-01T14:00:05+02:00',
      },
      1,
      inputs,
    );
    const values = (alert[1] as Extract<RowWrite, { op: 'upsert' }>).values;
    assert.equal(values.severity, 'medium');
    assert.equal(
      values.timestamp,
      '2025-07-01T12:00:05.000Z',
      'an instant with its offset: never read in a session zone',
    );
    assert.deepEqual(
      mapDeviceAlert(
        { resourceType: 'DetectedIssue', id: 'i', status: 'final', author: { reference: 'Practitioner/p' } },
        1,
        inputs,
      ),
      [],
    );
  });
});
