/**
 * Medication (nilecare_medication) mapping, pure: Medication → medications (+ high_alert_medications for the
 * ISMP high-alert classes below), MedicationRequest → prescriptions, MedicationAdministration → mar_entries;
 * every projected change appends a medication_audit_log row. A medication named only by a code (Synthea's
 * medicationCodeableConcept) is added to medications by its code, as a non-formulary drug (is_formulary = FALSE).
 * Nothing is invented: a dose, unit, route, frequency or form the FHIR data does not state stays NULL
 * (a stated but unrecognised route or form is 'other'). Prescription numbers derive from identity: RX-<id>.
 */
import type { Medication, MedicationRequest, Resource } from '@medplum/fhirtypes';
import type { MapInputs } from '../outbox/projection.js';
import { mergeWrites } from '../outbox/patient-merge.js';
import {
  codingOf,
  identityNumber,
  MappingError,
  referenceId,
  row,
  sqlDate,
  sqlDateTime,
  stableUuid,
  textOf,
  truncate,
  type RowWrite,
} from '../outbox/rows.js';

import { formOf, HIGH_ALERT, highAlertCategory, routeOf, RX_STATUS, RXNORM } from './medication-codes.js';

import { mapMedicationAdministration } from './medication-administration.js';
import { audit, highAlert, medicationRef, medicationValues, patientOf } from './medication-rows.js';

export { formOf, HIGH_ALERT, highAlertCategory, mapMedicationAdministration, routeOf };

export const MEDICATION_PATIENT_TABLES = { prescriptions: 'patient_id', mar_entries: 'patient_id' };

export function mapMedication(med: Medication, version: number): RowWrite[] {
  const what = `Medication/${med.id}`;
  const code = truncate((codingOf(med.code, RXNORM) ?? codingOf(med.code))?.code, 50);
  if (!code) throw new MappingError(`${what} has no code (medications.medication_code)`);
  const strength = med.ingredient?.[0]?.strength?.numerator;
  const values = row({
    ...medicationValues(med.code, {
      form: textOf(med.form),
      active: med.status !== 'inactive' && med.status !== 'entered-in-error',
    }),
    medication_code: code,
    strength:
      strength?.value !== undefined
        ? truncate(`${strength.value} ${strength.unit ?? strength.code ?? ''}`.trim(), 50)
        : undefined,
    strength_value: strength?.value,
    strength_unit: truncate(strength?.unit ?? strength?.code, 20),
    deleted_at: null,
  });
  return [
    {
      op: 'update',
      table: 'medications',
      where: { medication_code: code, fhir_id: null },
      values: { fhir_id: med.id! },
    },
    { op: 'upsert', table: 'medications', fhirId: med.id!, version, id: stableUuid(`medications/${code}`), values },
    { op: 'lookup', ref: 'med', table: 'medications', key: { fhir_id: med.id! }, missing: `${what} was not written` },
    ...highAlert(textOf(med.code)),
    audit('Medication', med.id!, version, 'medication', null, { code, status: med.status ?? null }),
  ];
}

export function mapMedicationRequest(mr: MedicationRequest, version: number, inputs: MapInputs): RowWrite[] {
  const what = `MedicationRequest/${mr.id}`;
  const patient = patientOf(mr.subject, what, inputs);
  const prescriber = referenceId(mr.requester, 'Practitioner') ?? referenceId(mr.requester, 'PractitionerRole');
  if (!prescriber)
    throw new MappingError(`${what} has no requester Practitioner (prescriptions.prescriber_id is required)`);
  const dosage = mr.dosageInstruction?.[0];
  const dose = dosage?.doseAndRate?.[0]?.doseQuantity;
  const repeat = dosage?.timing?.repeat;
  const frequency =
    textOf(dosage?.timing?.code) ??
    (repeat?.frequency !== undefined && repeat.period !== undefined
      ? `${repeat.frequency}x per ${repeat.period}${repeat.periodUnit ?? ''}`
      : dosage?.asNeededBoolean
        ? 'as needed'
        : dosage?.text);
  const statedRoute = textOf(dosage?.route);
  const start = sqlDate(mr.dispenseRequest?.validityPeriod?.start ?? mr.authoredOn ?? mr.meta?.lastUpdated)!;
  const end = sqlDate(mr.dispenseRequest?.validityPeriod?.end);
  const supply = mr.dispenseRequest?.expectedSupplyDuration;
  const refills = mr.dispenseRequest?.numberOfRepeatsAllowed ?? 0;
  const medName = textOf(mr.medicationCodeableConcept) ?? mr.medicationReference?.display;
  const values = row({
    prescription_number: identityNumber('RX', mr.id!),
    patient_id: patient,
    encounter_id: referenceId(mr.encounter, 'Encounter') ?? null,
    prescriber_id: prescriber,
    medication_id: { ref: 'med' },
    dose: dose?.value ?? null,
    dose_unit: truncate(dose?.unit ?? dose?.code, 20) ?? null,
    route: (statedRoute ? (routeOf(statedRoute) ?? 'other') : routeOf(medName)) ?? null,
    frequency: truncate(frequency, 50) ?? null,
    as_needed: dosage?.asNeededBoolean ?? false,
    duration_days:
      supply?.value !== undefined && (supply.code ?? supply.unit) === 'd' ? Math.round(supply.value) : null,
    quantity: mr.dispenseRequest?.quantity?.value ?? null,
    refills_allowed: refills,
    refills_remaining: refills,
    instructions: dosage?.patientInstruction ?? dosage?.text ?? null,
    indication: truncate(mr.reasonCode?.map(textOf).filter(Boolean).join(', ') || undefined, 255) ?? null,
    status: RX_STATUS[mr.status] ?? 'active',
    priority: mr.priority === 'asap' ? 'urgent' : (mr.priority ?? 'routine'),
    start_date: start,
    end_date: end && end >= start ? end : null,
    prescribed_at: sqlDateTime(mr.authoredOn ?? mr.meta?.lastUpdated),
    deleted_at: null,
  });
  return [
    ...medicationRef(what, mr.medicationCodeableConcept, mr.medicationReference),
    { op: 'upsert', table: 'prescriptions', fhirId: mr.id!, version, id: stableUuid(what), values },
    audit('MedicationRequest', mr.id!, version, 'prescription', patient, {
      status: values.status,
      dose: values.dose,
      dose_unit: values.dose_unit,
      frequency: values.frequency,
    }),
  ];
}

export function mapMedicationResource(resource: Resource, version: number, inputs: MapInputs): RowWrite[] {
  switch (resource.resourceType) {
    case 'Medication':
      return mapMedication(resource, version);
    case 'MedicationRequest':
      return mapMedicationRequest(resource, version, inputs);
    case 'MedicationAdministration':
      return mapMedicationAdministration(resource, version, inputs);
    case 'Patient':
      return mergeWrites(resource, inputs.survivors, MEDICATION_PATIENT_TABLES);
    default:
      return [];
  }
}

export function mapMedicationDelete(resourceType: string, id: string, version: number): RowWrite[] {
  switch (resourceType) {
    case 'Medication':
      return [
        { op: 'delete', table: 'medications', fhirId: id, version, soft: true },
        audit(resourceType, id, version, 'medication', null, null, true),
      ];
    case 'MedicationRequest':
      return [
        { op: 'delete', table: 'prescriptions', fhirId: id, version, soft: true },
        audit(resourceType, id, version, 'prescription', null, null, true),
      ];
    case 'MedicationAdministration':
      return [
        { op: 'delete', table: 'mar_entries', fhirId: id, version, soft: false },
        audit(resourceType, id, version, 'mar_entry', null, null, true),
      ];
    default:
      return [];
  }
}
