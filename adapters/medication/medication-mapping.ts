/**
 * Medication (nilecare_medication) mapping, pure: Medication → medications (+ high_alert_medications for the
 * ISMP high-alert classes below), MedicationRequest → prescriptions, MedicationAdministration → mar_entries;
 * every projected change appends a medication_audit_log row. A medication named only by a code (Synthea's
 * medicationCodeableConcept) is added to medications by its code, as a non-formulary drug (is_formulary = FALSE).
 * Nothing is invented: a dose, unit, route, frequency or form the FHIR data does not state stays NULL
 * (a stated but unrecognised route or form is 'other'). Prescription numbers derive from identity: RX-<id>.
 */
import type {
  CodeableConcept,
  Medication,
  MedicationAdministration,
  MedicationRequest,
  Patient,
  Reference,
  Resource,
} from '@medplum/fhirtypes';
import type { MapInputs } from '../outbox/projection.js';
import { mergeWrites, patientColumnId } from '../outbox/patient-merge.js';
import {
  codingOf,
  identityNumber,
  MappingError,
  parseReference,
  referenceId,
  row,
  sqlDate,
  sqlDateTime,
  stableUuid,
  textOf,
  truncate,
  type RowWrite,
} from '../outbox/rows.js';

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const ATC = /whocc|atc/i;
const FORMS = [
  'tablet',
  'capsule',
  'syrup',
  'suspension',
  'injection',
  'infusion',
  'cream',
  'ointment',
  'drops',
  'inhaler',
  'suppository',
  'patch',
  'powder',
] as const;
const ROUTES: Array<[RegExp, string]> = [
  [/oral|mouth|swallow|tablet|capsule|syrup/i, 'oral'],
  [/intravenous|\biv\b|infusion/i, 'iv'],
  [/intramuscular|\bim\b/i, 'im'],
  [/subcutaneous|\bsc\b|\bsq\b/i, 'sc'],
  [/topical|cream|ointment|cutaneous/i, 'topical'],
  [/inhal|nebuli/i, 'inhalation'],
  [/rectal|suppository/i, 'rectal'],
  [/sublingual/i, 'sublingual'],
  [/ophthalmic|eye/i, 'ophthalmic'],
  [/otic|ear/i, 'otic'],
  [/nasal/i, 'nasal'],
  [/transdermal|patch/i, 'transdermal'],
];
/** ISMP high-alert classes by name (data, not code): category and warning. */
export const HIGH_ALERT: Array<[RegExp, string]> = [
  [/heparin|warfarin|enoxaparin|rivaroxaban|apixaban|dabigatran/i, 'anticoagulant'],
  [/insulin/i, 'insulin'],
  [/morphine|fentanyl|oxycodone|hydromorphone|methadone|pethidine|meperidine|tramadol/i, 'opioid'],
  [/methotrexate|cyclophosphamide|cisplatin|doxorubicin|vincristine/i, 'chemotherapy'],
  [/potassium chloride|sodium chloride 3|hypertonic/i, 'concentrated_electrolyte'],
  [/midazolam|propofol|ketamine/i, 'sedative'],
  [/succinylcholine|rocuronium|vecuronium|atracurium/i, 'neuromuscular_blocker'],
];
const RX_STATUS = {
  active: 'active',
  'on-hold': 'on_hold',
  cancelled: 'cancelled',
  completed: 'completed',
  'entered-in-error': 'entered_in_error',
  stopped: 'stopped',
  draft: 'draft',
  unknown: 'active',
} as const;
const MAR_STATUS = {
  completed: 'given',
  'not-done': 'not_given',
  'on-hold': 'held',
  'in-progress': 'scheduled',
  'entered-in-error': 'entered_in_error',
  stopped: 'missed',
  unknown: 'scheduled',
} as const;

/** The form a text names (undefined when it names none). */
export function formOf(text: string | undefined): string | undefined {
  const t = (text ?? '').toLowerCase();
  return (
    FORMS.find((f) => t.includes(f)) ??
    (/solution|injectable/.test(t) ? 'injection' : /spray|aerosol/.test(t) ? 'inhaler' : undefined)
  );
}

/** The route the first text that names one names (undefined when none does). */
export function routeOf(...texts: Array<string | undefined>): string | undefined {
  for (const t of texts) for (const [re, route] of ROUTES) if (t && re.test(t)) return route;
  return undefined;
}

export const MEDICATION_PATIENT_TABLES = { prescriptions: 'patient_id', mar_entries: 'patient_id' };

function patientOf(ref: Reference | undefined, what: string, inputs: Pick<MapInputs, 'survivors'>): string {
  const parsed = parseReference(ref?.reference);
  if (parsed?.type !== 'Patient') throw new MappingError(`${what} has no patient (a Patient reference is required)`);
  return patientColumnId(parsed.id, inputs.survivors);
}

export function highAlertCategory(name: string | undefined): string | undefined {
  return HIGH_ALERT.find(([re]) => re.test(name ?? ''))?.[1];
}

/** medications row values for a coded medication (a stated form that names no known form is 'other'). */
function medicationValues(code: CodeableConcept | undefined, extra: { form?: string; active?: boolean } = {}) {
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
function medicationRef(
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

function highAlert(name: string | undefined): RowWrite[] {
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

function audit(
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
    status: RX_STATUS[mr.status as keyof typeof RX_STATUS] ?? 'active',
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
  const status = MAR_STATUS[ma.status as keyof typeof MAR_STATUS] ?? 'scheduled';
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

export function mapMedicationResource(resource: Resource, version: number, inputs: MapInputs): RowWrite[] {
  switch (resource.resourceType) {
    case 'Medication':
      return mapMedication(resource, version);
    case 'MedicationRequest':
      return mapMedicationRequest(resource, version, inputs);
    case 'MedicationAdministration':
      return mapMedicationAdministration(resource, version, inputs);
    case 'Patient':
      return mergeWrites(resource as Patient, inputs.survivors, MEDICATION_PATIENT_TABLES);
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
