/**
 * MedicationAdministration → mar_entries (pure): given, not given, held …; a completed administration needs a
 * performer Practitioner and a dose, a witness is the performer whose function says so.
 */
import type { MedicationAdministration } from '@medplum/fhirtypes';
import type { MapInputs } from '../outbox/projection.js';
import {
  codingOf,
  MappingError,
  parseReference,
  referenceId,
  row,
  sqlDateTime,
  stableUuid,
  textOf,
  truncate,
  type RowWrite,
} from '../outbox/rows.js';

import { MAR_STATUS, routeOf } from './medication-codes.js';

import { audit, medicationRef, patientOf } from './medication-rows.js';

export function mapMedicationAdministration(
  ma: MedicationAdministration,
  version: number,
  inputs: MapInputs,
): RowWrite[] {
  const what = `MedicationAdministration/${ma.id}`;
  const patient = patientOf(ma.subject, what, inputs);
  const request = parseReference(ma.request?.reference);
  if (request?.type !== 'MedicationRequest')
    throw new MappingError(`${what} has no request MedicationRequest (mar_entries.prescription_id is required)`);
  const isWitness = (p: NonNullable<MedicationAdministration['performer']>[number]) =>
    /witness|verifier/i.test(codingOf(p.function)?.code ?? textOf(p.function) ?? '');
  const administeredBy = ma.performer
    ?.filter((p) => !isWitness(p))
    .map((p) => referenceId(p.actor, 'Practitioner'))
    .find(Boolean);
  const witnessedBy = ma.performer
    ?.filter(isWitness)
    .map((p) => referenceId(p.actor, 'Practitioner'))
    .find(Boolean);
  const status = MAR_STATUS[ma.status] ?? 'scheduled';
  const when = ma.effectiveDateTime ?? ma.effectivePeriod?.start;
  if (!when) throw new MappingError(`${what} has no effective time`);
  if (status === 'given' && (!administeredBy || ma.dosage?.dose?.value === undefined))
    throw new MappingError(`${what}: a completed administration needs a performer Practitioner and a dose`);
  const values = row({
    prescription_id: { ref: 'rx' },
    patient_id: patient,
    medication_id: { ref: 'med' },
    scheduled_time: sqlDateTime(when),
    administered_time: status === 'given' ? sqlDateTime(when) : null,
    dose_given: ma.dosage?.dose?.value ?? null,
    dose_unit: truncate(ma.dosage?.dose?.unit ?? ma.dosage?.dose?.code, 20) ?? null,
    route: textOf(ma.dosage?.route) ? (routeOf(textOf(ma.dosage?.route)) ?? 'other') : null,
    site: truncate(textOf(ma.dosage?.site), 50) ?? null,
    status,
    reason_not_given: ['not_given', 'held', 'refused'].includes(status)
      ? truncate(ma.statusReason?.map(textOf).join(', ') || ma.status, 255)
      : null,
    administered_by: administeredBy ?? null,
    witnessed_by: witnessedBy ?? null,
    notes: ma.note?.map((n) => n.text).join('\n') || null,
  });
  return [
    {
      op: 'lookup',
      ref: 'rx',
      table: 'prescriptions',
      key: { fhir_id: request.id },
      missing: `${what}: MedicationRequest/${request.id} is not in the medication database (yet)`,
    },
    ...medicationRef(what, ma.medicationCodeableConcept, ma.medicationReference),
    { op: 'upsert', table: 'mar_entries', fhirId: ma.id!, version, id: stableUuid(what), values },
    audit('MedicationAdministration', ma.id!, version, 'mar_entry', patient, { status, dose_given: values.dose_given }),
  ];
}
