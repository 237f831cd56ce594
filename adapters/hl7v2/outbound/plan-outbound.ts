/**
 * What a committed FHIR change means for the HL7 feeds (called by the outbox worker): Patient → ADT^A31 (A28 when
 * new: person information, no visit), Encounter → ADT^A01/A03/A04/A08, a final/amended/corrected DiagnosticReport →
 * ORU^R01 with its results and the visit (PV1-19) of the report, a final/amended/corrected Observation that no
 * DiagnosticReport lists (a standalone result) → ORU^R01 of its own (OBR-3 = the Observation's identifier).
 * Messages carry the patient as their ordering key. A change that came from HL7 (meta.source) is not echoed
 * back to the application that sent it.
 */
import type { Encounter, Observation, Patient, Resource, ServiceRequest } from '@medplum/fhirtypes';
import type { ChangeRecord } from '../../../server/store/resource-store.js';
import { adtEventFor, buildAdt } from './adt-builder.js';
import type { OruBuilder } from './oru-builder.js';
import type { Endpoints } from './message-header.js';

export type ReadResource = (resourceType: string, id: string) => Promise<Resource | undefined>;
/** Whether some DiagnosticReport lists this Observation among its results (then the report's ORU carries it). */
export type IsReported = (observationId: string) => Promise<boolean>;

const RESULT_STATUSES = ['final', 'amended', 'corrected', 'appended'];

export interface PlannedMessage {
  /** Ordering key: `Patient/<id>`. */
  readonly key: string;
  /** `ADT^A08`, `ORU^R01`, … (to pick the endpoints that take it). */
  readonly type: string;
  readonly text: string;
}

function refId(ref: string | undefined, type: string): string | undefined {
  const m = new RegExp(`^(?:.*/)?${type}/([^/]+)`).exec(ref ?? '');
  return m?.[1];
}

function fromApplication(r: Resource, application: string | undefined): boolean {
  if (!application) return false;
  const src = r.meta?.source ?? '';
  return src.startsWith(`urn:nilecare:hl7v2:${encodeURIComponent(application).replace(/%20/g, '+')}:`);
}

export async function planOutbound(
  change: ChangeRecord,
  read: ReadResource,
  oru: OruBuilder,
  endpoint: Endpoints,
  isReported: IsReported = async () => false,
): Promise<PlannedMessage[]> {
  if (change.deleted) return [];
  const resource = await read(change.resourceType, change.id);
  if (!resource || fromApplication(resource, endpoint.receivingApplication)) return [];
  switch (resource.resourceType) {
    case 'Patient': {
      const event = change.versionId === 1 ? 'A28' : 'A31';
      return [
        { key: `Patient/${change.id}`, type: `ADT^${event}`, text: buildAdt(event, { patient: resource }, endpoint) },
      ];
    }
    case 'Encounter': {
      const e = resource;
      const pid = refId(e.subject?.reference, 'Patient');
      const patient = pid ? ((await read('Patient', pid)) as Patient | undefined) : undefined;
      if (!patient) return [];
      const event = adtEventFor({ patient, encounter: e, created: change.versionId === 1 });
      return [
        { key: `Patient/${pid}`, type: `ADT^${event}`, text: buildAdt(event, { patient, encounter: e }, endpoint) },
      ];
    }
    case 'DiagnosticReport': {
      const r = resource;
      if (!RESULT_STATUSES.includes(r.status)) return [];
      const pid = refId(r.subject?.reference, 'Patient');
      const patient = pid ? ((await read('Patient', pid)) as Patient | undefined) : undefined;
      if (!patient) return [];
      const observations: Observation[] = [];
      for (const ref of r.result ?? []) {
        const oid = refId(ref.reference, 'Observation');
        const o = oid ? ((await read('Observation', oid)) as Observation | undefined) : undefined;
        if (o) observations.push(o);
      }
      const eid = refId(r.encounter?.reference ?? observations[0]?.encounter?.reference, 'Encounter');
      const encounter = eid ? ((await read('Encounter', eid)) as Encounter | undefined) : undefined;
      const sid = refId(r.basedOn?.[0]?.reference, 'ServiceRequest');
      const order = sid ? ((await read('ServiceRequest', sid)) as ServiceRequest | undefined) : undefined;
      const input = {
        patient,
        observations,
        report: r,
        ...(encounter ? { encounter } : {}),
        ...(order ? { order } : {}),
      };
      return [{ key: `Patient/${pid}`, type: 'ORU^R01', text: oru.build(input, endpoint) }];
    }
    case 'Observation': {
      const o = resource;
      if (!RESULT_STATUSES.includes(o.status) || (await isReported(change.id))) return [];
      const pid = refId(o.subject?.reference, 'Patient');
      const patient = pid ? ((await read('Patient', pid)) as Patient | undefined) : undefined;
      if (!patient) return [];
      const eid = refId(o.encounter?.reference, 'Encounter');
      const encounter = eid ? ((await read('Encounter', eid)) as Encounter | undefined) : undefined;
      const input = { patient, observations: [o], ...(encounter ? { encounter } : {}) };
      return [{ key: `Patient/${pid}`, type: 'ORU^R01', text: oru.build(input, endpoint) }];
    }
    default:
      return [];
  }
}
