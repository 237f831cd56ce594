/**
 * Specimen → lab_specimens (pure): its order (the ServiceRequest) must be projected; the number is the accession
 * number, else SPC-<Specimen id>; a specimen type no FHIR data states stays NULL.
 */
import type { Specimen } from '@medplum/fhirtypes';
import type { MapInputs } from '../outbox/projection.js';
import {
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
import { requiredPatientColumn } from '../outbox/patient-merge.js';

export function mapSpecimen(sp: Specimen, version: number, inputs: MapInputs): RowWrite[] {
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
        specimen_number: truncate(sp.accessionIdentifier?.value, 50) ?? identityNumber('SPC', sp.id!),
        order_id: { ref: 'order' },
        patient_id: requiredPatientColumn(sp.subject, what, inputs.survivors),
        specimen_type: truncate(textOf(sp.type), 50) ?? null,
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
