/**
 * FHIR → ADT: A01 / A03 / A04 / A08 (admit, discharge, register, update a visit) and A28 / A31 (add, update person
 * information: a Patient change with no visit, sent with PV1 class N as ADT_A05 requires). MSH, EVN, PID, PV1.
 */
import type { Encounter, Patient } from '@medplum/fhirtypes';
import { encodeMessage, hl7Now } from '../parser/encode.js';
import { pidSegment, pv1Segment } from './pid-segment.js';
import { mshSegment, type Endpoints } from './message-header.js';

export const ADT_EVENTS = ['A01', 'A03', 'A04', 'A08', 'A28', 'A31'] as const;
export type AdtEvent = (typeof ADT_EVENTS)[number];

/** The event a FHIR change stands for: a new Encounter admits or registers, a finished one discharges. */
export function adtEventFor(change: { patient: Patient; encounter?: Encounter; created: boolean }): AdtEvent {
  const e = change.encounter;
  if (!e) return change.created ? 'A28' : 'A31';
  if (e.status === 'finished') return 'A03';
  if (change.created) return e.class?.code === 'IMP' ? 'A01' : 'A04';
  return 'A08';
}

export function buildAdt(
  event: AdtEvent,
  input: { patient: Patient; encounter?: Encounter },
  endpoints: Endpoints = {},
  controlId?: string,
): string {
  const structure =
    event === 'A28' || event === 'A31'
      ? 'ADT_A05'
      : event === 'A01' || event === 'A04' || event === 'A08'
        ? 'ADT_A01'
        : 'ADT_A03';
  return encodeMessage([
    mshSegment(['ADT', event, structure], endpoints, controlId),
    { name: 'EVN', fields: [event, hl7Now()] },
    pidSegment(input.patient),
    pv1Segment(input.encounter),
  ]);
}
