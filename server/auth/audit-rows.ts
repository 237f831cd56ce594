/**
 * The compact audit row: what AuditEvent search needs as columns (when, action, type, subtype, outcome, agent,
 * entity) plus the AuditEvent itself as JSON text, without id and meta. The row's sequence number (given by the
 * database on insert) is the AuditEvent's id; its version is always 1 (the trail is append-only).
 * Pure mapping; audit-table.ts keeps the rows, audit-event-store.ts serves them as AuditEvent resources.
 */
import type { AuditEvent } from '@medplum/fhirtypes';
import type { StoredVersion } from '../store/resource-store.js';
import { toAuditEvent, type AccessAuditEvent } from './audit-event.js';

export type AuditRow = {
  readonly recordedMs: number;
  /** AuditEvent.action: C R U D E. */
  readonly action: string;
  /** AuditEvent.type.code: `rest` or `110114` (user authentication). */
  readonly type: string;
  /** AuditEvent.subtype[0].code: the interaction (`read`, `search-type` …) or the auth action (`login` …). */
  readonly subtype: string | null;
  /** AuditEvent.outcome: 0 success, 4 denied, 8 failure. */
  readonly outcome: string;
  /** AuditEvent.agent[0].who.reference (`Practitioner/1`, `Patient/2`), when the caller has one. */
  readonly agent: string | null;
  /** AuditEvent.entity[0].what.reference (`Patient/2`, `Observation/3`), when one resource was the target. */
  readonly entity: string | null;
  /** The AuditEvent as JSON text, without id and meta. */
  readonly content: string;
};

/** Code systems of the token columns (a search value naming another system matches nothing). */
export const AUDIT_TOKEN_SYSTEMS: Readonly<Record<'action' | 'outcome' | 'type' | 'subtype', readonly string[]>> = {
  action: ['http://hl7.org/fhir/audit-event-action'],
  outcome: ['http://hl7.org/fhir/audit-event-outcome'],
  type: ['http://terminology.hl7.org/CodeSystem/audit-event-type', 'http://dicom.nema.org/resources/ontology/DCM'],
  subtype: ['http://hl7.org/fhir/restful-interaction', 'https://nilecare.sd/fhir/CodeSystem/auth-action'],
};

export function toAuditRow(e: AccessAuditEvent, observer?: string): AuditRow {
  const event = toAuditEvent(e, observer);
  return {
    recordedMs: Date.parse(event.recorded),
    action: event.action ?? 'E',
    type: event.type.code ?? '',
    subtype: event.subtype?.[0]?.code ?? null,
    outcome: event.outcome ?? '0',
    agent: event.agent[0]?.who?.reference ?? null,
    entity: event.entity?.[0]?.what?.reference ?? null,
    content: JSON.stringify(event),
  };
}

/** A stored row as the AuditEvent version the FHIR layer reads (id = the row's sequence number, version 1). */
export function auditVersion(seq: string, recordedMs: number, content: string): StoredVersion {
  const lastUpdated = new Date(recordedMs).toISOString();
  const event = JSON.parse(content) as AuditEvent;
  return {
    resourceType: 'AuditEvent',
    id: seq,
    versionId: 1,
    lastUpdated,
    deleted: false,
    resource: { ...event, id: seq, meta: { versionId: '1', lastUpdated } },
  };
}
