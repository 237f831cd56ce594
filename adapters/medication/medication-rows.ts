/**
 * Rows shared by the medication mappings (pure): the patient (merges followed), the medication of a request or an
 * administration (a projected Medication, or one added by its code), its high-alert row, the audit row.
 */
import type { CodeableConcept, Reference } from '@medplum/fhirtypes';
import type { MapInputs } from '../outbox/projection.js';
import { requiredPatientColumn } from '../outbox/patient-merge.js';
import {
  codingOf,
  MappingError,
  parseReference,
  row,
  stableUuid,
  textOf,
  truncate,
  type RowWrite,
} from '../outbox/rows.js';

import { ATC, formOf, highAlertCategory, routeOf, RXNORM } from './medication-codes.js';

export function patientOf(ref: Reference | undefined, what: string, inputs: Pick<MapInputs, 'survivors'>): string {
  return requiredPatientColumn(ref, what, inputs.survivors);
}

/** medications row values for a coded medication (a stated form that names no known form is 'other'). */
export function medicationValues(code: CodeableConcept | undefined, extra: { form?: string; active?: boolean } = {}) {
  const coding = codingOf(code, RXNORM) ?? codingOf(code);
  const name = textOf(code) ?? coding?.code;
  return row({
    name: truncate(name, 255),
    rxnorm_code: coding?.system === RXNORM ? truncate(coding.code, 20) : undefined,
    atc_code: truncate(codingOf(code, ATC)?.code, 10),
    form: (extra.form ? (formOf(extra.form) ?? 'other') : formOf(name)) ?? null,
    default_route: routeOf(name),
    is_active: extra.active ?? true,
  });
}

/** The medication of a request/administration: a projected Medication, or one added by its code. Sets ref 'med'. */
export function medicationRef(
  what: string,
  concept: CodeableConcept | undefined,
  reference: Reference | undefined,
): RowWrite[] {
  const ref = parseReference(reference?.reference);
  if (ref?.type === 'Medication')
    return [
      {
        op: 'lookup',
        ref: 'med',
        table: 'medications',
        key: { fhir_id: ref.id },
        missing: `${what}: Medication/${ref.id} is not in the medication database (yet)`,
      },
    ];
  const code = truncate((codingOf(concept, RXNORM) ?? codingOf(concept))?.code, 50);
  if (!code) throw new MappingError(`${what} names no medication code`);
  const writes: RowWrite[] = [
    {
      op: 'ensure',
      ref: 'med',
      table: 'medications',
      key: { medication_code: code },
      id: stableUuid(`medications/${code}`),
      values: { ...medicationValues(concept), is_formulary: false },
    },
  ];
  return [...writes, ...highAlert(textOf(concept))];
}

export function highAlert(name: string | undefined): RowWrite[] {
  const category = highAlertCategory(name);
  if (!category) return [];
  return [
    {
      op: 'ensure',
      ref: 'high_alert',
      table: 'high_alert_medications',
      key: { medication_id: { ref: 'med' } },
      id: stableUuid(`high_alert/${name}`),
      values: {
        alert_category: category,
        requires_double_check: true,
        warning_message: `High-alert medication (${category.replace(/_/g, ' ')}): independent double check required`,
      },
    },
  ];
}

export function audit(
  resourceType: string,
  id: string,
  version: number,
  entity: string,
  patient: string | null,
  values: Record<string, unknown> | null,
  deleted = false,
): RowWrite {
  return {
    op: 'append',
    table: 'medication_audit_log',
    id: stableUuid(`audit/${resourceType}/${id}/${version}`),
    values: row({
      action: deleted ? 'fhir_delete' : version === 1 ? 'fhir_create' : 'fhir_update',
      entity_type: entity,
      entity_id: stableUuid(`${resourceType}/${id}`),
      patient_id: patient,
      new_values: values ? JSON.stringify({ fhir: `${resourceType}/${id}/_history/${version}`, ...values }) : null,
    }),
  };
}
