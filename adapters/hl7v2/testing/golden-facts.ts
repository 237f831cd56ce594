/**
 * Golden comparison with FHIR-Converter's expected output: both bundles are reduced to "facts" for the elements
 * the v2-to-FHIR IG maps (Patient identifiers, names, gender, birth date, address; Encounter class and period;
 * Observation codes, values, units, ranges, flags; report, order, immunization, condition, allergy, appointment,
 * document codes and statuses). Agreement = expected facts we produce / expected facts.
 */
import type { Bundle } from '@medplum/fhirtypes';

type R = Record<string, any>;

/** Between a time fact's instant and its local (wall-clock) reading. */
export const LOCAL = ' @local ';

/**
 * Instants compare in UTC (FHIR-Converter shifts offsets); dates as they are. A time also carries its wall-clock
 * reading (`… @local 2023-06-03T04:50:00`): when the message gave that time without an offset, the zone is each
 * tool's assumption (the IG names none), and the comparison may match on the reading instead (see compareFacts).
 */
export function normTime(s: unknown): string | undefined {
  if (typeof s !== 'string') return undefined;
  if (!s.includes('T')) return s;
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) return s;
  const wall = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?)/.exec(s)?.[1];
  return new Date(ms).toISOString().replace('.000Z', 'Z') + (wall ? `${LOCAL}${wall}` : '');
}

/** The fact without the wall-clock reading of its time (what is compared first, and shown). */
export const shown = (fact: string) => fact.split(LOCAL)[0]!;

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
      (r.identifier ?? []).forEach((i: R) => add('identifier.value', i.value));
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

/**
 * Multiset comparison: how many expected facts we produce, and which differ (missing: the expected facts as given;
 * extra: ours, shown). Times compare as instants; a time the message gave without an offset (`zoneFree` says so of
 * its wall-clock reading) also matches ours with the same reading in another zone, counted in `zoneOnly`.
 */
export function compareFacts(
  expected: string[],
  ours: string[],
  zoneFree: (wall: string) => boolean = () => false,
): { matched: number; total: number; missing: string[]; extra: string[]; zoneOnly: number } {
  const pool = new Map<string, string[]>();
  for (const f of ours) pool.set(shown(f), [...(pool.get(shown(f)) ?? []), f]);
  const unmatched: string[] = [];
  let matched = 0;
  for (const f of expected) {
    const same = pool.get(shown(f));
    if (same?.length) {
      matched++;
      same.pop();
    } else unmatched.push(f);
  }
  const missing: string[] = [];
  let zoneOnly = 0;
  for (const f of unmatched) {
    const [, wall] = f.split(LOCAL);
    const element = f.slice(0, f.indexOf('=') + 1);
    const reading = wall && zoneFree(wall) ? `${LOCAL}${wall}` : undefined;
    const list = reading
      ? [...pool.values()].find((l) => l.some((x) => x.startsWith(element) && x.endsWith(reading)))
      : undefined;
    if (list) {
      list.splice(
        list.findIndex((x) => x.startsWith(element) && x.endsWith(reading!)),
        1,
      );
      matched++;
      zoneOnly++;
    } else missing.push(f);
  }
  const extra = [...pool.values()].flat().map(shown);
  return { matched, total: expected.length, missing, extra, zoneOnly };
}

/** Does the message carry this wall-clock time (`2023-06-03T04:50:00`) as a DTM without an offset? */
export function givenWithoutOffset(messageText: string, wall: string): boolean {
  const digits = wall.replace(/[-:T]/g, '');
  const seconds = digits.slice(12) || '00';
  const dtm = `${digits.slice(0, 12)}${seconds === '00' ? '(00)?' : seconds}(\\.\\d+)?`;
  return new RegExp(`(^|[^\\d])${dtm}(?![\\d+-])`).test(messageText);
}
