/**
 * Test data for name search and $match quality, generated deterministically (seeded) from arabic-name-pairs.json:
 * - a population of Sudanese patients (personal name, father, grandfather, as the national convention has them),
 *   mostly written in Arabic script and some in Latin, with birth dates, sex, phones, a few national numbers;
 * - positive queries: a person registered again as a clerk would — the names in another script or spelling
 *   (Latin renderings of the sources, or Arabic typed with/without marks, hamza, ta marbuta), usually the same
 *   birth date (sometimes a slip: day and month swapped, a day off, or missing), a phone in another format;
 * - negative queries: people who are NOT in the population — strangers, siblings (same father and grandfather,
 *   another personal name and birth date), twins (the same, born the same day), namesakes (same full name, another
 *   birth date) and namesakes born the same year.
 */
import { readFileSync } from 'node:fs';
import type { Patient } from '@medplum/fhirtypes';

type NameEntry = { ar: string; latin: string[]; sex?: string };
type PairsFile = {
  given: NameEntry[];
  family: NameEntry[];
  people: NameEntry[];
  arabicSpellings: Array<{ ar: string; typed: string[] }>;
};

export const PAIRS: PairsFile = JSON.parse(
  readFileSync(new URL('./arabic-name-pairs.json', import.meta.url), 'utf8'),
) as PairsFile;

export const NATIONAL_ID = 'http://nilecare.sd/fhir/sid/national-id';

/** A small deterministic PRNG (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Person = {
  key: string;
  sex: 'male' | 'female';
  names: [NameEntry, NameEntry, NameEntry];
  birthDate: string;
  phone?: string;
  nationalId?: string;
  latin: boolean;
};

export type Query = { patient: Patient; expected?: string; kind: string };

export function makePopulation(size: number, seed = 24) {
  const rnd = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const males = PAIRS.given.filter((g) => g.sex === 'm');
  const females = PAIRS.given.filter((g) => g.sex === 'f');
  const date = () =>
    `${1940 + Math.floor(rnd() * 80)}-${String(1 + Math.floor(rnd() * 12)).padStart(2, '0')}-${String(1 + Math.floor(rnd() * 28)).padStart(2, '0')}`;
  const phone = () => `9${String(Math.floor(rnd() * 1e8)).padStart(8, '0')}`;
  const person = (key: string): Person => {
    const sex = rnd() < 0.5 ? 'male' : 'female';
    return {
      key,
      sex,
      names: [pick(sex === 'male' ? males : females), pick(males), rnd() < 0.15 ? pick(PAIRS.family) : pick(males)],
      birthDate: date(),
      ...(rnd() < 0.6 ? { phone: phone() } : {}),
      ...(rnd() < 0.2 ? { nationalId: String(1e10 + Math.floor(rnd() * 9e10)) } : {}),
      latin: rnd() < 0.2,
    };
  };
  const population = Array.from({ length: size }, (_, i) => person(`p${i}`));

  const arabicTyped = new Map(PAIRS.arabicSpellings.map((s) => [s.ar, s.typed]));
  const render = (entry: NameEntry, latin: boolean): string =>
    latin ? pick(entry.latin) : rnd() < 0.6 && arabicTyped.has(entry.ar) ? pick(arabicTyped.get(entry.ar)!) : entry.ar;
  const asPatient = (
    p: Person,
    latin: boolean,
    opts: { id?: string; birthDate?: string | null; phoneForm?: number },
  ) => {
    const [given, father, grandfather] = p.names.map((n) => render(n, latin)) as [string, string, string];
    const phoneForms = p.phone
      ? [`0${p.phone}`, `+249${p.phone}`, `+249 ${p.phone.slice(0, 2)} ${p.phone.slice(2)}`]
      : [];
    const patient: Patient = {
      resourceType: 'Patient',
      ...(opts.id ? { id: opts.id } : {}),
      name: [{ use: 'official', given: [given], family: `${father} ${grandfather}` }],
      gender: p.sex,
      ...(opts.birthDate !== null ? { birthDate: opts.birthDate ?? p.birthDate } : {}),
      ...(p.phone && opts.phoneForm !== undefined
        ? { telecom: [{ system: 'phone', value: phoneForms[opts.phoneForm % phoneForms.length] }] }
        : {}),
    };
    return patient;
  };
  const stored = population.map((p) => ({
    ...asPatient(p, p.latin, { id: p.key, phoneForm: 0 }),
    ...(p.nationalId ? { identifier: [{ system: NATIONAL_ID, value: p.nationalId }] } : {}),
  }));

  const slip = (d: string): string => {
    const [y, m, day] = d.split('-') as [string, string, string];
    return Number(day) <= 12 && m !== day && rnd() < 0.5
      ? `${y}-${day}-${m}`
      : `${y}-${m}-${String(Math.max(1, Number(day) + (Number(day) > 1 ? -1 : 1))).padStart(2, '0')}`;
  };
  const positives = (count: number): Query[] =>
    Array.from({ length: count }, () => {
      const p = pick(population);
      const r = rnd();
      const birthDate = r < 0.85 ? p.birthDate : r < 0.95 ? slip(p.birthDate) : null;
      const patient = asPatient(p, !p.latin ? rnd() < 0.7 : rnd() < 0.3, {
        birthDate,
        ...(rnd() < 0.4 ? { phoneForm: 1 + Math.floor(rnd() * 2) } : {}),
      });
      if (p.nationalId && rnd() < 0.3) patient.identifier = [{ system: NATIONAL_ID, value: p.nationalId }];
      return { patient, expected: p.key, kind: birthDate === p.birthDate ? 'positive' : 'positive-birthdate-slip' };
    });
  const negatives = (count: number): Query[] =>
    Array.from({ length: count }, (_, i) => {
      const kind = i % 5;
      if (kind === 0) return { patient: asPatient(person(`n${i}`), rnd() < 0.5, {}), kind: 'stranger' };
      const p = pick(population);
      const other = (given: NameEntry) => given.ar !== p.names[0].ar;
      if (kind === 1 || kind === 2) {
        const given = pick(PAIRS.given.filter(other));
        const sibling: Person = { ...person(`s${i}`), names: [given, p.names[1], p.names[2]] };
        if (kind === 2)
          return { patient: asPatient({ ...sibling, birthDate: p.birthDate }, rnd() < 0.5, {}), kind: 'twin' };
        return { patient: asPatient(sibling, rnd() < 0.5, {}), kind: 'sibling' };
      }
      const namesake: Person = { ...person(`h${i}`), sex: p.sex, names: p.names };
      if (kind === 4) {
        let birthDate = namesake.birthDate.replace(/^\d{4}/, p.birthDate.slice(0, 4));
        if (birthDate === p.birthDate)
          birthDate = birthDate.replace(/-(\d\d)$/, (_, d: string) => `-${d === '15' ? '16' : '15'}`);
        return { patient: asPatient({ ...namesake, birthDate }, rnd() < 0.5, {}), kind: 'namesake-same-year' };
      }
      return { patient: asPatient(namesake, rnd() < 0.5, {}), kind: 'namesake' };
    });
  return { population, stored, positives, negatives };
}
