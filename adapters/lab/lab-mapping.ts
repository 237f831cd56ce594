/**
 * Lab (nilecare_lab) mapping, pure: ServiceRequest (category laboratory) → lab_orders, Specimen → lab_specimens,
 * Observation (category laboratory) → lab_results, DiagnosticReport → verification of its results,
 * ObservationDefinition / ActivityDefinition → lab_tests_catalog. Tests named by a code that is not in the
 * catalog yet are added to it (test_code = the code); a result without an order gets an implicit order
 * (order_number OBS-YYYYMMDD-XXXXXX) because lab_results.order_id is required.
 */
import type {
  ActivityDefinition,
  CodeableConcept,
  DiagnosticReport,
  Observation,
  ObservationDefinition,
  Resource,
  ServiceRequest,
  Specimen,
} from '@medplum/fhirtypes';
import {
  businessNumber,
  codingOf,
  hasCode,
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

const LOINC = 'http://loinc.org';
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

export function isLaboratory(category: CodeableConcept[] | undefined): boolean {
  return hasCode(category, 'laboratory') || hasCode(category, '108252007') || hasCode(category, 'LAB');
}

function patientOf(ref: { reference?: string } | undefined, what: string): string {
  const id = referenceId(ref, 'Patient');
  if (!id) throw new MappingError(`${what} has no patient (a Patient reference is required)`);
  return id;
}

/** Ensures the catalog row of a test code; its id becomes ref 'test'. */
function ensureTest(code: CodeableConcept | undefined, what: string): RowWrite {
  const coding = codingOf(code, LOINC) ?? codingOf(code);
  if (!coding?.code) throw new MappingError(`${what} has no test code`);
  const testCode = truncate(coding.code, 50)!;
  return {
    op: 'ensure',
    ref: 'test',
    table: 'lab_tests_catalog',
    key: { test_code: testCode },
    id: stableUuid(`lab_tests_catalog/${testCode}`),
    values: row({
      test_name: truncate(textOf(code) ?? testCode, 255),
      loinc_code: coding.system === LOINC ? truncate(coding.code, 20) : undefined,
      category: 'other',
      specimen_type: 'unspecified',
    }),
  };
}

export function mapServiceRequest(sr: ServiceRequest, version: number): RowWrite[] {
  if (!isLaboratory(sr.category)) return [];
  const what = `ServiceRequest/${sr.id}`;
  const patient = patientOf(sr.subject, what);
  const ident = (type: string) => sr.identifier?.find((i) => codingOf(i.type)?.code === type)?.value;
  const icd = (sr.reasonCode ?? []).map((c) => codingOf(c, /icd-10/)?.code).filter((c): c is string => !!c);
  return [
    ensureTest(sr.code, what),
    {
      op: 'upsert',
      table: 'lab_orders',
      fhirId: sr.id!,
      version,
      id: stableUuid(what),
      values: row({
        order_number: businessNumber('LAB', sr.authoredOn, what),
        placer_order_number: truncate(ident('PLAC') ?? sr.identifier?.[0]?.value, 100) ?? null,
        filler_order_number: truncate(ident('FILL'), 100) ?? null,
        patient_id: patient,
        encounter_id: referenceId(sr.encounter, 'Encounter') ?? null,
        ordering_provider_id: referenceId(sr.requester, 'Practitioner') ?? null,
        test_id: { ref: 'test' },
        priority: sr.priority ?? 'routine',
        status: ORDER_STATUS[sr.status as keyof typeof ORDER_STATUS] ?? 'ordered',
        clinical_notes: sr.note?.map((n) => n.text).join('\n') || null,
        diagnosis_codes: icd.length ? JSON.stringify(icd) : null,
        ordered_at: sqlDateTime(sr.authoredOn ?? sr.meta?.lastUpdated),
        cancelled_reason: sr.status === 'revoked' ? 'revoked in FHIR' : null,
        deleted_at: null,
      }),
    },
  ];
}

export function mapSpecimen(sp: Specimen, version: number): RowWrite[] {
  const what = `Specimen/${sp.id}`;
  const order = parseReference(sp.request?.[0]?.reference);
  if (order?.type !== 'ServiceRequest')
    throw new MappingError(`${what} has no request ServiceRequest (lab_specimens.order_id is required)`);
  const status =
    sp.status === 'unsatisfactory' || sp.status === 'entered-in-error'
      ? 'rejected'
      : sp.status === 'unavailable'
        ? 'disposed'
        : sp.receivedTime
          ? 'received'
          : sp.collection
            ? 'collected'
            : 'pending';
  return [
    {
      op: 'lookup',
      ref: 'order',
      table: 'lab_orders',
      key: { fhir_id: order.id },
      missing: `${what}: ServiceRequest/${order.id} is not a lab order in the lab database (yet)`,
    },
    {
      op: 'upsert',
      table: 'lab_specimens',
      fhirId: sp.id!,
      version,
      id: stableUuid(what),
      values: row({
        specimen_number:
          truncate(sp.accessionIdentifier?.value, 50) ?? businessNumber('SPC', sp.collection?.collectedDateTime, what),
        order_id: { ref: 'order' },
        patient_id: patientOf(sp.subject, what),
        specimen_type: truncate(textOf(sp.type), 50) ?? 'unspecified',
        collection_method: truncate(textOf(sp.collection?.method), 50) ?? null,
        body_site: truncate(textOf(sp.collection?.bodySite), 100) ?? null,
        volume: sp.collection?.quantity?.value ?? null,
        volume_unit: truncate(sp.collection?.quantity?.unit, 10) ?? null,
        container: truncate(textOf(sp.container?.[0]?.type), 50) ?? null,
        status,
        rejection_reason:
          status === 'rejected' ? truncate(sp.condition?.map(textOf).join(', ') || sp.status, 255) : null,
        collected_by: referenceId(sp.collection?.collector, 'Practitioner') ?? null,
        collected_at: sqlDateTime(sp.collection?.collectedDateTime ?? sp.collection?.collectedPeriod?.start) ?? null,
        received_at: sqlDateTime(sp.receivedTime) ?? null,
      }),
    },
  ];
}

export function mapLabObservation(obs: Observation, version: number): RowWrite[] {
  if (!isLaboratory(obs.category)) return [];
  const what = `Observation/${obs.id}`;
  const patient = patientOf(obs.subject, what);
  const effective = obs.effectiveDateTime ?? obs.effectivePeriod?.start ?? obs.effectiveInstant ?? obs.issued;
  const writes: RowWrite[] = [ensureTest(obs.code, what)];
  const order = obs.basedOn?.map((b) => parseReference(b.reference)).find((r) => r?.type === 'ServiceRequest');
  if (order)
    writes.push({
      op: 'lookup',
      ref: 'order',
      table: 'lab_orders',
      key: { fhir_id: order.id },
      missing: `${what}: ServiceRequest/${order.id} is not a lab order in the lab database (yet)`,
    });
  else {
    const orderNumber = businessNumber('OBS', effective, what);
    writes.push({
      op: 'ensure',
      ref: 'order',
      table: 'lab_orders',
      key: { order_number: orderNumber },
      id: stableUuid(`implicit-order/${what}`),
      values: row({
        patient_id: patient,
        encounter_id: referenceId(obs.encounter, 'Encounter') ?? null,
        test_id: { ref: 'test' },
        status: 'completed',
        ordered_at: sqlDateTime(effective ?? obs.meta?.lastUpdated),
        completed_at: sqlDateTime(effective) ?? null,
      }),
    });
  }
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
  const components = (obs.component ?? []).map(
    (c) =>
      `${textOf(c.code)}: ${c.valueQuantity?.value ?? c.valueString ?? textOf(c.valueCodeableConcept) ?? ''}${c.valueQuantity?.unit ? ` ${c.valueQuantity.unit}` : ''}`,
  );
  const valueText =
    obs.valueString ??
    (obs.valueCodeableConcept ? textOf(obs.valueCodeableConcept) : undefined) ??
    (obs.valueBoolean !== undefined ? String(obs.valueBoolean) : undefined) ??
    (components.length ? components.join('; ') : undefined) ??
    (obs.dataAbsentReason ? `absent: ${textOf(obs.dataAbsentReason)}` : undefined);
  const status = RESULT_STATUS[obs.status as keyof typeof RESULT_STATUS] ?? 'preliminary';
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
    .map(
      (r) =>
        ({
          op: 'update',
          table: 'lab_results',
          where: { fhir_id: r!.id },
          values: { verified_at: verifiedAt, verified_by: verifiedBy },
        }) as RowWrite,
    );
}

export function mapCatalog(def: ObservationDefinition | ActivityDefinition, version: number): RowWrite[] {
  const what = `${def.resourceType}/${def.id}`;
  if (def.resourceType === 'ActivityDefinition' && def.kind && def.kind !== 'ServiceRequest') return [];
  const coding = codingOf(def.code, LOINC) ?? codingOf(def.code);
  if (!coding?.code) throw new MappingError(`${what} has no code (lab_tests_catalog.test_code)`);
  const testCode = truncate(coding.code, 50)!;
  const od = def.resourceType === 'ObservationDefinition' ? def : undefined;
  const normal = od?.qualifiedInterval?.find((q) => !q.category || q.category === 'reference')?.range;
  const critical = od?.qualifiedInterval?.find((q) => q.category === 'critical')?.range;
  const name =
    (def.resourceType === 'ActivityDefinition' ? (def.title ?? def.name) : undefined) ?? textOf(def.code) ?? testCode;
  return [
    // A catalog row this code already has (added for an order or result) becomes this definition's row.
    {
      op: 'update',
      table: 'lab_tests_catalog',
      where: { test_code: testCode, fhir_id: null },
      values: { fhir_id: def.id! },
    },
    {
      op: 'upsert',
      table: 'lab_tests_catalog',
      fhirId: def.id!,
      version,
      id: stableUuid(`lab_tests_catalog/${testCode}`),
      values: row({
        test_code: testCode,
        loinc_code: coding.system === LOINC ? truncate(coding.code, 20) : null,
        test_name: truncate(name, 255),
        category: 'other',
        specimen_type: 'unspecified',
        unit:
          truncate(od?.quantitativeDetails?.unit?.coding?.[0]?.code ?? textOf(od?.quantitativeDetails?.unit), 30) ??
          null,
        reference_range_low: normal?.low?.value ?? null,
        reference_range_high: normal?.high?.value ?? null,
        critical_low: critical?.low?.value ?? null,
        critical_high: critical?.high?.value ?? null,
        is_active: def.resourceType === 'ActivityDefinition' ? def.status === 'active' : true,
        deleted_at: null,
      }),
    },
  ];
}

export function mapLab(resource: Resource, version: number): RowWrite[] {
  switch (resource.resourceType) {
    case 'ServiceRequest':
      return mapServiceRequest(resource, version);
    case 'Specimen':
      return mapSpecimen(resource, version);
    case 'Observation':
      return mapLabObservation(resource, version);
    case 'DiagnosticReport':
      return mapDiagnosticReport(resource);
    case 'ObservationDefinition':
    case 'ActivityDefinition':
      return mapCatalog(resource, version);
    default:
      return [];
  }
}
