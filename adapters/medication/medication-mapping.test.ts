import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MedicationRequest } from '@medplum/fhirtypes';
import type { RowWrite } from '../outbox/rows.js';
import { mapInputs } from '../outbox/testing/map-inputs.js';
import {
  formOf,
  highAlertCategory,
  mapMedicationAdministration,
  mapMedicationDelete,
  mapMedicationRequest,
  routeOf,
} from './medication-mapping.js';

const patient = { reference: 'Patient/9b3c2a4e-1111-4a4a-8a8a-000000000001' };
// As Synthea writes them: a coded medication, a requester, no dose.
const synthea: MedicationRequest = {
  resourceType: 'MedicationRequest',
  id: 'm1',
  status: 'active',
  intent: 'order',
  subject: patient,
  requester: { reference: 'Practitioner/9b3c2a4e-2222-4a4a-8a8a-000000000002' },
  medicationCodeableConcept: {
    coding: [
      {
        system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
        code: '106258',
        display: 'Hydrocortisone 10 MG/ML Topical Cream',
      },
    ],
  },
  authoredOn: '1996-09-29T20:15:51+00:00',
  dosageInstruction: [{ sequence: 1, asNeededBoolean: true }],
};
const inputs = mapInputs();
const byOp = (w: RowWrite[], op: string) => w.find((x) => x.op === op) as any;

describe('medication mapping', () => {
  it('a coded MedicationRequest → medication ensured (non-formulary), prescription (RX number from its id, route from the name, PRN, no invented dose), audit row', () => {
    const writes = mapMedicationRequest(synthea, 1, inputs);
    assert.deepEqual(
      writes.map((w) => w.op),
      ['ensure', 'upsert', 'append'],
    );
    const med = byOp(writes, 'ensure');
    assert.deepEqual([med.key.medication_code, med.values.form, med.values.is_formulary], ['106258', 'cream', false]);
    const rx = byOp(writes, 'upsert').values;
    assert.equal(rx.prescription_number, 'RX-m1');
    assert.deepEqual(
      [rx.route, rx.frequency, rx.as_needed, rx.dose, rx.dose_unit, rx.start_date, rx.status],
      ['topical', 'as needed', true, null, null, '1996-09-29', 'active'],
    );
    // Nothing stated at all: NULL, not dose 1 "dose", 'as directed' or route 'other'.
    const bare = byOp(
      mapMedicationRequest(
        {
          ...synthea,
          dosageInstruction: undefined,
          medicationCodeableConcept: { coding: [{ code: '1' }], text: 'Drug X' },
        },
        1,
        inputs,
      ),
      'upsert',
    ).values;
    assert.deepEqual(
      [bare.dose, bare.dose_unit, bare.route, bare.frequency, bare.as_needed],
      [null, null, null, null, false],
    );
    const stated = byOp(
      mapMedicationRequest(
        {
          ...synthea,
          dosageInstruction: [
            { route: { text: 'intrathecal' }, doseAndRate: [{ doseQuantity: { value: 2.5, unit: 'mg' } }] },
          ],
        },
        1,
        inputs,
      ),
      'upsert',
    ).values;
    assert.deepEqual(
      [stated.dose, stated.dose_unit, stated.route],
      [2.5, 'mg', 'other'],
      'a stated route the schema does not name is other',
    );
    assert.equal(byOp(writes, 'append').values.action, 'fhir_create');
    assert.equal(byOp(mapMedicationRequest(synthea, 2, inputs), 'append').values.action, 'fhir_update');
  });

  it('high-alert drugs get their high_alert_medications row; forms and routes from names', () => {
    const writes = mapMedicationRequest(
      {
        ...synthea,
        medicationCodeableConcept: {
          text: 'Insulin Lispro 100 UNT/ML Injectable Solution',
          coding: [{ code: '311034' }],
        },
      },
      1,
      inputs,
    );
    assert.equal(
      byOp(
        writes.filter((w) => w.op === 'ensure' && w.table === 'high_alert_medications'),
        'ensure',
      ).values.alert_category,
      'insulin',
    );
    assert.equal(highAlertCategory('Warfarin Sodium 5 MG Oral Tablet'), 'anticoagulant');
    assert.equal(highAlertCategory('Amoxicillin 250 MG Oral Capsule'), undefined);
    assert.deepEqual(
      [
        formOf('Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler'),
        routeOf('Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler'),
      ],
      ['inhaler', 'inhalation'],
    );
  });

  it('unplaceable requests and administrations are errors; deletes soft-delete and audit', () => {
    assert.throws(
      () => mapMedicationRequest({ ...synthea, requester: undefined }, 1, inputs),
      /no requester Practitioner/,
    );
    assert.throws(
      () =>
        mapMedicationAdministration(
          {
            resourceType: 'MedicationAdministration',
            id: 'a',
            status: 'completed',
            subject: patient,
            effectiveDateTime: '2025-01-01T00:00:00Z',
            medicationCodeableConcept: { text: 'x' },
          },
          1,
          inputs,
        ),
      /no request MedicationRequest/,
    );
    assert.throws(
      () =>
        mapMedicationAdministration(
          {
            resourceType: 'MedicationAdministration',
            id: 'a',
            status: 'completed',
            subject: patient,
            request: { reference: 'MedicationRequest/m1' },
            effectiveDateTime: '2025-01-01T00:00:00Z',
            medicationCodeableConcept: { coding: [{ code: '1' }] },
          },
          1,
          inputs,
        ),
      /needs a performer Practitioner and a dose/,
    );
    const del = mapMedicationDelete('MedicationRequest', 'm1', 3);
    assert.deepEqual(
      del.map((w) => w.op),
      ['delete', 'append'],
    );
    assert.equal((del[0] as any).soft, true);
  });
});
