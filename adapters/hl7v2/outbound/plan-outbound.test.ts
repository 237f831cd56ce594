import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@medplum/fhirtypes';
import { planOutbound } from './plan-outbound.js';
import { OruBuilder } from './oru-builder.js';
import { parseMessage } from '../parser/parse-message.js';

const store = new Map<string, Resource>([
  [
    'Patient/p1',
    {
      resourceType: 'Patient',
      id: 'p1',
      identifier: [{ system: 'urn:oid:1.2.3', value: 'M1' }],
      name: [{ family: 'Nur' }],
    },
  ],
  [
    'Encounter/e1',
    {
      resourceType: 'Encounter',
      id: 'e1',
      status: 'finished',
      class: { code: 'IMP' },
      subject: { reference: 'Patient/p1' },
    },
  ],
  [
    'Observation/o1',
    {
      resourceType: 'Observation',
      id: 'o1',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '718-7' }] },
      valueQuantity: { value: 13, unit: 'g/dL', system: 'http://unitsofmeasure.org', code: 'g/dL' },
    },
  ],
  [
    'DiagnosticReport/r1',
    {
      resourceType: 'DiagnosticReport',
      id: 'r1',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '58410-2' }] },
      subject: { reference: 'Patient/p1' },
      result: [{ reference: 'Observation/o1' }],
    },
  ],
  [
    'DiagnosticReport/r2',
    {
      resourceType: 'DiagnosticReport',
      id: 'r2',
      status: 'preliminary',
      code: {},
      subject: { reference: 'Patient/p1' },
    },
  ],
  ['Patient/p2', { resourceType: 'Patient', id: 'p2', meta: { source: 'urn:nilecare:hl7v2:LIS:KTH#C1' } }],
]);
const read = async (t: string, id: string) => store.get(`${t}/${id}`);
const change = (resourceType: string, id: string, versionId = 1) => ({
  seq: 1,
  resourceType,
  id,
  versionId,
  deleted: false,
  lastUpdated: '2026-03-01T00:00:00Z',
});
const oru = new OruBuilder();

describe('planOutbound', () => {
  it('turns Patient, Encounter and final DiagnosticReport changes into ADT / ORU messages keyed by patient', async () => {
    const [reg] = await planOutbound(change('Patient', 'p1'), read, oru, {});
    assert.equal(reg!.type, 'ADT^A28');
    const [upd] = await planOutbound(change('Patient', 'p1', 3), read, oru, {});
    assert.equal(upd!.type, 'ADT^A31');
    const [dis] = await planOutbound(change('Encounter', 'e1', 2), read, oru, {});
    assert.deepEqual([dis!.type, dis!.key], ['ADT^A03', 'Patient/p1']);
    const [res] = await planOutbound(change('DiagnosticReport', 'r1'), read, oru, { receivingApplication: 'EMR' });
    assert.equal(res!.type, 'ORU^R01');
    const m = parseMessage(res!.text);
    assert.equal(m.get('OBX-5'), '13');
    assert.equal(m.get('MSH-5'), 'EMR');
    assert.equal(m.get('PID-3.1'), 'M1');
  });

  it('sends nothing for preliminary reports, deletions and changes that came from the receiving application', async () => {
    assert.deepEqual(await planOutbound(change('DiagnosticReport', 'r2'), read, oru, {}), []);
    assert.deepEqual(await planOutbound({ ...change('Patient', 'p1'), deleted: true }, read, oru, {}), []);
    assert.deepEqual(await planOutbound(change('Patient', 'p2'), read, oru, { receivingApplication: 'LIS' }), []);
    assert.equal((await planOutbound(change('Patient', 'p2'), read, oru, { receivingApplication: 'EMR' })).length, 1);
  });
});
