/** Patient → PID, Encounter → PV1 (for ADT and ORU messages we send). */
import type { Encounter, Patient } from '@medplum/fhirtypes';
import type { FieldIn, SegmentIn } from '../parser/encode.js';
import { cx, dtm, xad, xcn, xpn, xtn } from './fhir-to-v2.js';

const SEX: Record<string, string> = { male: 'M', female: 'F', other: 'O', unknown: 'U' };

export function pidSegment(p: Patient): SegmentIn {
  const fields: FieldIn[] = [];
  fields[0] = '1';
  fields[2] = { reps: (p.identifier ?? []).filter((i) => i.value).map((i) => cx(i)) };
  fields[4] = { reps: (p.name ?? []).map((n) => xpn(n)) };
  fields[6] = dtm(p.birthDate);
  fields[7] = SEX[p.gender ?? ''] ?? '';
  fields[10] = { reps: (p.address ?? []).map((a) => xad(a)) };
  fields[12] = { reps: (p.telecom ?? []).filter((t) => t.use !== 'work').map((t) => xtn(t)) };
  fields[13] = { reps: (p.telecom ?? []).filter((t) => t.use === 'work').map((t) => xtn(t)) };
  if (p.deceasedDateTime) fields[28] = dtm(p.deceasedDateTime);
  if (p.deceasedBoolean !== undefined || p.deceasedDateTime) fields[29] = p.deceasedBoolean === false ? 'N' : 'Y';
  return { name: 'PID', fields: Array.from(fields, (f) => f ?? '') };
}

const CLASS: Record<string, string> = {
  IMP: 'I',
  AMB: 'O',
  EMER: 'E',
  PRENC: 'P',
  OBSENC: 'O',
  SS: 'O',
  HH: 'O',
  VR: 'O',
};

/** PV1 of the encounter; without one (person-only messages, results of no visit) class N, not applicable. */
export function pv1Segment(e: Encounter | undefined): SegmentIn {
  if (!e) return { name: 'PV1', fields: ['1', 'N'] };
  const fields: FieldIn[] = [];
  fields[0] = '1';
  fields[1] = CLASS[e.class?.code ?? ''] ?? 'U';
  fields[2] = e.location?.[0]?.location?.display ?? '';
  const attending = e.participant?.find((p) => p.type?.some((t) => t.coding?.some((c) => c.code === 'ATND')));
  if (attending?.individual) fields[6] = xcn(attending.individual);
  const visit = e.identifier?.[0];
  fields[18] = visit ? cx(visit) : '';
  fields[43] = dtm(e.period?.start);
  fields[44] = dtm(e.period?.end);
  return { name: 'PV1', fields: Array.from(fields, (f) => f ?? '') };
}
