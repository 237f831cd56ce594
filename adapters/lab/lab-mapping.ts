/**
 * Lab (nilecare_lab) mapping, pure: ServiceRequest (category laboratory) → lab_orders, Specimen → lab_specimens,
 * Observation (category laboratory) → lab_results, DiagnosticReport → verification of its results,
 * ObservationDefinition / ActivityDefinition → lab_tests_catalog (lab-catalog.ts). Tests named by a code that is
 * not in the catalog yet are added to it (test_code = the code); a result without an order gets an implicit order,
 * owned by the result and keyed by its identity (order_number OBS-<Observation id>, so no two can collide and a
 * changed effective time updates it in place) because lab_results.order_id is required. An order or result that is
 * no longer laboratory (re-categorised) leaves the lab tables: the result is removed, orders are soft-deleted.
 * Numbers derive from FHIR identity: LAB-<ServiceRequest id>, SPC-<Specimen id> (without accession number).
 */
import type { CodeableConcept, DiagnosticReport, Observation, Resource, ServiceRequest } from '@medplum/fhirtypes';
import type { MapInputs } from '../outbox/projection.js';
import { mergeWrites, requiredPatientColumn } from '../outbox/patient-merge.js';
import {
  codingOf,
  hasCode,
  identityNumber,
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
import { ensureTest, labCategory, LOINC, mapCatalog } from './lab-catalog.js';
import { mapSpecimen } from './lab-specimen.js';

export { mapCatalog, mapSpecimen };

const ORDER_STATUS = {
  draft: 'draft',
  active: 'ordered',
  'on-hold': 'ordered',
  revoked: 'cancelled',
  completed: 'completed',
  'entered-in-error': 'entered_in_error',
  unknown: 'ordered',
} as const;
const RESULT_STATUS = {
  registered: 'registered',
  preliminary: 'preliminary',
  final: 'final',
  amended: 'amended',
  corrected: 'corrected',
  cancelled: 'cancelled',
  'entered-in-error': 'entered_in_error',
  unknown: 'preliminary',
} as const;
const FLAGS = new Set(['N', 'L', 'H', 'LL', 'HH', 'A', 'AA']);
export const LAB_PATIENT_TABLES = { lab_orders: 'patient_id', lab_specimens: 'patient_id', lab_results: 'patient_id' };

export function isLaboratory(category: CodeableConcept[] | undefined): boolean {
  return hasCode(category, 'laboratory') || hasCode(category, '108252007') || hasCode(category, 'LAB');
}

const implicitOrderId = (obsId: string) => stableUuid(`implicit-order/Observation/${obsId}`);

/** The implicit order of a result leaves with it (soft-deleted at the time of the version that removed it). */
function dropImplicitOrder(obsId: string, at: string): RowWrite {
  return {
    op: 'update',
    table: 'lab_orders',
    where: { id: implicitOrderId(obsId), source: 'fhir' },
    values: { deleted_at: sqlDateTime(at)! },
  };
}

export function mapServiceRequest(sr: ServiceRequest, version: number, inputs: MapInputs): RowWrite[] {
  if (!isLaboratory(sr.category)) {
    const was = inputs.previous?.resourceType === 'ServiceRequest' && isLaboratory(inputs.previous.category);
    return was ? [{ op: 'delete', table: 'lab_orders', fhirId: sr.id!, version, soft: true }] : [];
  }
  const what = `ServiceRequest/${sr.id}`;
  const patient = requiredPatientColumn(sr.subject, what, inputs.survivors);
  const ident = (type: string) => sr.identifier?.find((i) => codingOf(i.type)?.code === type)?.value;
  const icd = (sr.reasonCode ?? []).map((c) => codingOf(c, /icd-10/)?.code).filter((c): c is string => !!c);
  return [
    ensureTest(sr.code, what, labCategory(sr.category)),
    {
      op: 'upsert',
      table: 'lab_orders',
      fhirId: sr.id!,
      version,
      id: stableUuid(what),
      values: row({
        order_number: identityNumber('LAB', sr.id!),
        placer_order_number: truncate(ident('PLAC') ?? sr.identifier?.[0]?.value, 100) ?? null,
        filler_order_number: truncate(ident('FILL'), 100) ?? null,
        patient_id: patient,
        encounter_id: referenceId(sr.encounter, 'Encounter') ?? null,
        ordering_provider_id: referenceId(sr.requester, 'Practitioner') ?? null,
        test_id: { ref: 'test' },
        priority: sr.priority ?? 'routine',
        status: ORDER_STATUS[sr.status] ?? 'ordered',
        clinical_notes: sr.note?.map((n) => n.text).join('\n') || null,
        diagnosis_codes: icd.length ? JSON.stringify(icd) : null,
        ordered_at: sqlDateTime(sr.authoredOn ?? sr.meta?.lastUpdated),
        cancelled_reason: sr.status === 'revoked' ? 'revoked in FHIR' : null,
        deleted_at: null,
      }),
    },
  ];
}

/** The value columns of a result; a final result needs one of them. */
function resultValue(obs: Observation) {
  const components = (obs.component ?? []).map(
    (c) =>
      `${textOf(c.code)}: ${c.valueQuantity?.value ?? c.valueString ?? textOf(c.valueCodeableConcept) ?? ''}${c.valueQuantity?.unit ? ` ${c.valueQuantity.unit}` : ''}`,
  );
  return (
    obs.valueString ??
    (obs.valueCodeableConcept ? textOf(obs.valueCodeableConcept) : undefined) ??
    (obs.valueBoolean !== undefined ? String(obs.valueBoolean) : undefined) ??
    (components.length ? components.join('; ') : undefined) ??
    (obs.dataAbsentReason ? `absent: ${textOf(obs.dataAbsentReason)}` : undefined)
  );
}

export function mapLabObservation(obs: Observation, version: number, inputs: MapInputs): RowWrite[] {
  const previous = inputs.previous?.resourceType === 'Observation' ? inputs.previous : undefined;
  if (!isLaboratory(obs.category)) {
    // Re-categorised: a result that was laboratory leaves the lab tables.
    if (!previous || !isLaboratory(previous.category)) return [];
    return [
      { op: 'delete', table: 'lab_results', fhirId: obs.id!, version, soft: false },
      dropImplicitOrder(obs.id!, inputs.lastUpdated),
    ];
  }
  const what = `Observation/${obs.id}`;
  const patient = requiredPatientColumn(obs.subject, what, inputs.survivors);
  const effective = obs.effectiveDateTime ?? obs.effectivePeriod?.start ?? obs.effectiveInstant ?? obs.issued;
  const writes: RowWrite[] = [ensureTest(obs.code, what, labCategory(obs.category))];
  const order = obs.basedOn?.map((b) => parseReference(b.reference)).find((r) => r?.type === 'ServiceRequest');
  if (order) {
    writes.push({
      op: 'lookup',
      ref: 'order',
      table: 'lab_orders',
      key: { fhir_id: order.id },
      missing: `${what}: ServiceRequest/${order.id} is not a lab order in the lab database (yet)`,
    });
    if (previous && !previous.basedOn?.length) writes.push(dropImplicitOrder(obs.id!, inputs.lastUpdated));
  } else
    writes.push(
      {
        op: 'upsert',
        table: 'lab_orders',
        version,
        id: implicitOrderId(obs.id!),
        values: row({
          order_number: identityNumber('OBS', obs.id!),
          patient_id: patient,
          encounter_id: referenceId(obs.encounter, 'Encounter') ?? null,
          test_id: { ref: 'test' },
          status: 'completed',
          ordered_at: sqlDateTime(effective ?? obs.meta?.lastUpdated),
          completed_at: sqlDateTime(effective) ?? null,
          deleted_at: null,
        }),
      },
      {
        op: 'lookup',
        ref: 'order',
        table: 'lab_orders',
        key: { id: implicitOrderId(obs.id!) },
        missing: `${what}: implicit order not written`,
      },
    );
  const specimen = parseReference(obs.specimen?.reference);
  if (specimen)
    writes.push({
      op: 'lookup',
      ref: 'specimen',
      table: 'lab_specimens',
      key: { fhir_id: specimen.id },
      missing: `${what}: Specimen/${specimen.id} is not in the lab database (yet)`,
    });
  const coding = codingOf(obs.code, LOINC) ?? codingOf(obs.code);
  const range = obs.referenceRange?.[0];
  const flag = obs.interpretation
    ?.flatMap((i) => i.coding ?? [])
    .map((c) => c.code)
    .find((c) => c && FLAGS.has(c));
  const valueText = resultValue(obs);
  const status = RESULT_STATUS[obs.status] ?? 'preliminary';
  if (
    obs.valueQuantity?.value === undefined &&
    valueText === undefined &&
    !['registered', 'cancelled', 'entered_in_error'].includes(status)
  )
    throw new MappingError(`${what}: a ${status} lab result has no value`);
  writes.push({
    op: 'upsert',
    table: 'lab_results',
    fhirId: obs.id!,
    version,
    id: stableUuid(what),
    values: row({
      order_id: { ref: 'order' },
      specimen_id: specimen ? { ref: 'specimen' } : null,
      test_id: { ref: 'test' },
      patient_id: patient,
      component_code: truncate(coding?.code, 50)!,
      component_name: truncate(textOf(obs.code) ?? coding?.code, 255)!,
      value_numeric: obs.valueQuantity?.value ?? null,
      value_text: valueText ?? null,
      value_coded: truncate(codingOf(obs.valueCodeableConcept)?.code, 100) ?? null,
      unit: truncate(obs.valueQuantity?.unit ?? obs.valueQuantity?.code, 30) ?? null,
      reference_range:
        truncate(
          range?.text ??
            (range?.low || range?.high ? `${range?.low?.value ?? ''}-${range?.high?.value ?? ''}` : undefined),
          100,
        ) ?? null,
      reference_low: range?.low?.value ?? null,
      reference_high: range?.high?.value ?? null,
      abnormal_flag: flag ?? null,
      status,
      result_at: sqlDateTime(effective ?? obs.meta?.lastUpdated),
      performed_by: obs.performer?.map((p) => referenceId(p, 'Practitioner')).find(Boolean) ?? null,
      notes: obs.note?.map((n) => n.text).join('\n') || null,
    }),
  });
  return writes;
}

/** A final lab report verifies its results (verified_at = issued, verified_by = the interpreter). */
export function mapDiagnosticReport(dr: DiagnosticReport): RowWrite[] {
  if (!isLaboratory(dr.category) || !['final', 'amended', 'corrected', 'appended'].includes(dr.status)) return [];
  const verifiedAt = sqlDateTime(dr.issued ?? dr.effectiveDateTime) ?? null;
  const verifiedBy =
    [...(dr.resultsInterpreter ?? []), ...(dr.performer ?? [])]
      .map((r) => referenceId(r, 'Practitioner'))
      .find(Boolean) ?? null;
  return (dr.result ?? [])
    .map((r) => parseReference(r.reference))
    .filter((r) => r?.type === 'Observation')
    .map((r) => ({
      op: 'update',
      table: 'lab_results',
      where: { fhir_id: r!.id },
      values: { verified_at: verifiedAt, verified_by: verifiedBy },
    }));
}

export function mapLab(resource: Resource, version: number, inputs: MapInputs): RowWrite[] {
  switch (resource.resourceType) {
    case 'ServiceRequest':
      return mapServiceRequest(resource, version, inputs);
    case 'Specimen':
      return mapSpecimen(resource, version, inputs);
    case 'Observation':
      return mapLabObservation(resource, version, inputs);
    case 'DiagnosticReport':
      return mapDiagnosticReport(resource);
    case 'ObservationDefinition':
    case 'ActivityDefinition':
      return mapCatalog(resource, version);
    case 'Patient':
      return mergeWrites(resource, inputs.survivors, LAB_PATIENT_TABLES);
    default:
      return [];
  }
}

export { dropImplicitOrder };
