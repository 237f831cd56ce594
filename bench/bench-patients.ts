/**
 * The Patients the benchmarks create (bench/http-figures.ts, request-cpu.ts, sql-round-trips.ts).
 *
 * - `distinctPatient`: realistic, distinct Sudanese people, as a registry holds them: a personal name, the father's
 *   and the grandfather's (sometimes a family name) drawn from the public name-pair set of #24
 *   (server/fhir/matching/testing/arabic-name-pairs.json, through name-population.ts), written in Arabic (4 in 5) or
 *   in a Latin transliteration, a birth date anywhere in 1940–2019, a phone for 3 in 5. With about 200 personal and
 *   150 father's names and 27,000 birth dates, two creates rarely share a name pair and almost never a name and a
 *   birth date, so the duplicate check on create finds few candidates and hardly any probable duplicate — as in a
 *   real registry. (The names are drawn uniformly: a real population has more Mohammeds; the common-name case is
 *   measured apart.)
 * - `commonNamePatient`: the same person's name again and again ("محمد أحمد علي", male) with distinct birth dates:
 *   every create's duplicate check meets all the earlier ones as candidates of its name blocking keys (hardly any is
 *   a probable duplicate: the birth dates are two days apart or more, and the matching profile takes one day apart —
 *   or day and month swapped — as a partial agreement, enough for a namesake to be probable). The worst case of a hospital where many patients are Mohammed Ahmed.
 *
 * Deterministic: patient i of a seed is always the same person; use another seed for another batch on the same
 * database (a batch created twice would be nothing but duplicates).
 */
import type { Patient } from '@medplum/fhirtypes';
import { PAIRS, random } from '../server/fhir/matching/testing/name-population.js';

const MALES = PAIRS.given.filter((g) => g.sex === 'm');
const FEMALES = PAIRS.given.filter((g) => g.sex === 'f');
const DAY_MS = 86_400_000;
const FIRST_DAY = Date.UTC(1940, 0, 1);
const DAYS = Math.floor((Date.UTC(2020, 0, 1) - FIRST_DAY) / DAY_MS);

/** Day n (0 = 1940-01-01, wrapping after 2019-12-31) as a FHIR date. */
function day(n: number): string {
  return new Date(FIRST_DAY + (n % DAYS) * DAY_MS).toISOString().slice(0, 10);
}

/** Patient i of batch `seed`: a realistic person, distinct from the others of the batch (see above). */
export function distinctPatient(seed: number, i: number, identifierPrefix = 'B'): Patient {
  const rnd = random((Math.imul(seed, 0x9e3779b1) ^ Math.imul(i, 0x85ebca6b)) >>> 0);
  rnd(); // the first draw of neighbouring seeds is the least mixed
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const sex = rnd() < 0.5 ? 'male' : 'female';
  const entries = [
    pick(sex === 'male' ? MALES : FEMALES),
    pick(MALES),
    rnd() < 0.15 ? pick(PAIRS.family) : pick(MALES),
  ];
  const latin = rnd() < 0.2;
  const [given, father, grandfather] = entries.map((e) => (latin ? pick(e.latin) : e.ar)) as [string, string, string];
  const phone = rnd() < 0.6 ? `+2499${String(Math.floor(rnd() * 1e8)).padStart(8, '0')}` : undefined;
  return {
    resourceType: 'Patient',
    identifier: [{ system: 'urn:nilecare:bench', value: `${identifierPrefix}-${process.pid}-${seed}-${i}` }],
    name: [{ use: 'official', given: [given], family: `${father} ${grandfather}` }],
    gender: sex,
    birthDate: day(Math.floor(rnd() * DAYS)),
    ...(phone ? { telecom: [{ system: 'phone', value: phone }] } : {}),
    address: [{ city: 'Khartoum', country: 'SD' }],
  };
}

/**
 * Patient i of a common-name batch: always "محمد أحمد علي", male, born on a day of its own, every other day (distinct
 * for the first 14,600 of a batch; batches of another seed take other days while they fit).
 */
export function commonNamePatient(seed: number, i: number, identifierPrefix = 'M'): Patient {
  return {
    resourceType: 'Patient',
    identifier: [{ system: 'urn:nilecare:bench', value: `${identifierPrefix}-${process.pid}-${seed}-${i}` }],
    name: [{ use: 'official', given: ['محمد'], family: 'أحمد علي' }],
    gender: 'male',
    birthDate: day(2 * (seed * 7919 + i)),
    address: [{ city: 'Khartoum', country: 'SD' }],
  };
}
