/**
 * Golden comparison with FHIR-Converter's expected output: both bundles are reduced to "facts" for the elements
 * the v2-to-FHIR IG maps (Patient identifiers, names, gender, birth date, address; Encounter class and period;
 * Observation codes, values, units, ranges, flags; report, order, immunization, condition, allergy, appointment,
 * document codes and statuses). Agreement = expected facts we produce / expected facts.
 */
import type { Bundle } from '@medplum/fhirtypes';

type R = Record<string, any>;

/** Instants compare in UTC (FHIR-Converter shifts offsets); dates as they are. */
export function normTime(s: unknown): string | undefined {
  if (typeof s !== 'string') return undefined;
  if (!s.includes('T')) return s;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? s : new Date(ms).toISOString().replace('.000Z', 'Z');
}

const codes = (cc: R | undefined) => (cc?.coding ?? []).map((c: R) => c.code).filter(Boolean) as string[];
const num = (q: R | undefined) => (typeof q?.value === 'number' ? String(q.value) : undefined);

function factsOf(r: R): string[] {
  const t = r.resourceType as string;
  const f: (string | undefined)[] = [];
  const add = (k: string, v: unknown) => {
    if (v !== undefined && v !== null && v !== '') f.push(`${t}.${k}=${String(v).trim()}`);
  };
  switch (t) {
    case 'Patient':
      (r.identifier ?? []).forEach((i: R) => add('identifier.value', i.value));
      (r.name ?? []).forEach((n: R) => {
        add('name.family', n.family);
        (n.given ?? []).forEach((g: string) => add('name.given', g));
      });
      add('gender', r.gender);
      add('birthDate', r.birthDate);
      (r.address ?? []).forEach((a: R) => {
        add('address.city', a.city);
        add('address.postalCode', a.postalCode);
        add('address.state', a.state);
      });
      add('deceasedBoolean', r.deceasedBoolean);
      (r.telecom ?? []).forEach((c: R) => add('telecom.value', c.value));
      break;
    case 'Encounter':
      add('class.code', r.class?.code);
      add('status', r.status);
      add('period.start', normTime(r.period?.start));
      add('period.end', normTime(r.period?.end));
      (r.identifier ?? []).forEach((i: R) => add('identifier.value', i.value));
      break;
    case 'Observation':
      codes(r.code).forEach((c) => add('code', c));
      add('valueQuantity.value', num(r.valueQuantity));
      add('valueQuantity.unit', r.valueQuantity?.unit);
      add('valueString', r.valueString?.replace(/\s+/g, ' '));
      codes(r.valueCodeableConcept).forEach((c) => add('valueCodeableConcept', c));
      (r.interpretation ?? []).forEach((i: R) => codes(i).forEach((c) => add('interpretation', c)));
      (r.referenceRange ?? []).forEach((rr: R) => {
        add('referenceRange.low', num(rr.low));
        add('referenceRange.high', num(rr.high));
      });
      add('status', r.status);
      add('effectiveDateTime', normTime(r.effectiveDateTime));
      break;
    case 'DiagnosticReport':
      codes(r.code).forEach((c) => add('code', c));
      add('status', r.status);
      add('effectiveDateTime', normTime(r.effectiveDateTime));
      break;
    case 'ServiceRequest':
      codes(r.code).forEach((c) => add('code', c));
      add('intent', r.intent);
      add('status', r.status);
      (r.identifier ?? []).forEach((i: R) => add('identifier.value', i.value));
      break;
    case 'Immunization':
      codes(r.vaccineCode).forEach((c) => add('vaccineCode', c));
      add('occurrenceDateTime', normTime(r.occurrenceDateTime));
      add('lotNumber', r.lotNumber);
      add('status', r.status);
      break;
    case 'MedicationRequest':
      codes(r.medicationCodeableConcept).forEach((c) => add('medication', c));
      add('intent', r.intent);
      break;
    case 'Condition':
      codes(r.code).forEach((c) => add('code', c));
      break;
    case 'AllergyIntolerance':
      codes(r.code).forEach((c) => add('code', c));
      add('criticality', r.criticality);
      (r.category ?? []).forEach((c: string) => add('category', c));
      break;
    case 'Appointment':
      add('status', r.status);
      add('start', normTime(r.start));
      break;
    case 'DocumentReference':
      codes(r.type).forEach((c) => add('type', c));
      add('status', r.status);
      break;
    case 'Coverage':
      add('subscriberId', r.subscriberId);
      break;
    case 'ChargeItem':
      codes(r.code).forEach((c) => add('code', c));
      add('quantity', num(r.quantity));
      break;
    default:
      break;
  }
  return f.filter((x): x is string => !!x);
}

/** The facts of each resource of a bundle, one list per resource. */
export function resourceFacts(b: Bundle): string[][] {
  return (b.entry ?? []).filter((e) => e.resource).map((e) => factsOf(e.resource as R));
}

export function bundleFacts(b: Bundle): string[] {
  return (b.entry ?? []).flatMap((e) => (e.resource ? factsOf(e.resource as R) : []));
}

/** Multiset comparison: how many expected facts we produce, and which differ. */
export function compareFacts(
  expected: string[],
  ours: string[],
): { matched: number; total: number; missing: string[]; extra: string[] } {
  const pool = new Map<string, number>();
  for (const f of ours) pool.set(f, (pool.get(f) ?? 0) + 1);
  const missing: string[] = [];
  let matched = 0;
  for (const f of expected) {
    const n = pool.get(f) ?? 0;
    if (n > 0) {
      matched++;
      pool.set(f, n - 1);
    } else missing.push(f);
  }
  const extra = [...pool.entries()].flatMap(([f, n]) => Array(n).fill(f) as string[]);
  return { matched, total: expected.length, missing, extra };
}
