/**
 * Matching one patient against the store: candidates are gathered by a few indexed searches (blocking keys: each
 * identifier, the phonetic keys of the personal name with the birth date, of the family name with the birth date,
 * of personal and father's names together, the phone number) through the store-level search with the caller's
 * access policy — never a scan, and never a record the caller may not read — then each candidate is scored
 * (compare-patients.ts) and graded.
 */
import type { Patient } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir-context.js';
import type { StoredVersion } from '../../store/resource-store.js';
import { comparePatients, type MatchResult } from './compare-patients.js';
import type { MatchProfile } from './match-profile.js';
import { patientFeatures, phoneSearchForms, type PatientFeatures } from './patient-features.js';

export type PatientMatch = MatchResult & { version: StoredVersion };

export type MatchOptions = {
  /** Leave out this id (the patient just created, matched against the others). */
  excludeId?: string;
  /** Results at or above `possible`, best first, at most this many. */
  count: number;
};

export async function matchPatient(
  ctx: FhirContext,
  patient: Patient,
  profile: MatchProfile,
  options: MatchOptions,
): Promise<PatientMatch[]> {
  const query = patientFeatures(patient, profile);
  const candidates = await findCandidates(ctx, query, profile, options.excludeId);
  const matches: PatientMatch[] = [];
  for (const version of candidates) {
    const result = comparePatients(query, patientFeatures(version.resource as Patient, profile), profile);
    if (result.grade !== 'certainly-not') matches.push({ ...result, version });
  }
  matches.sort((a, b) => b.score - a.score || a.version.id.localeCompare(b.version.id));
  return matches.slice(0, options.count);
}

/** The blocking searches of a patient (each a list of search parameters, AND-ed). */
export function blockingQueries(query: PatientFeatures, profile: MatchProfile): Array<Array<[string, string]>> {
  const queries: Array<Array<[string, string]>> = [];
  for (const { system, value } of query.identifiers)
    queries.push([['identifier', `${escape(system)}|${escape(value)}`]]);
  const seen = new Set<string>();
  for (const words of query.names) {
    const [first, second] = words;
    const last = words.length > 1 ? words[words.length - 1] : undefined;
    const add = (q: Array<[string, string]>) => {
      const key = JSON.stringify(q);
      if (!seen.has(key)) queries.push(q);
      seen.add(key);
    };
    if (first && query.birthDate)
      add([
        ['phonetic', escape(first.text)],
        ['birthdate', query.birthDate],
      ]);
    if (last && query.birthDate)
      add([
        ['phonetic', escape(last.text)],
        ['birthdate', query.birthDate],
      ]);
    if (first && second)
      add([
        ['phonetic', escape(`${first.text} ${second.text}`)],
        ...(query.gender ? ([['gender', query.gender]] as Array<[string, string]>) : []),
      ]);
  }
  for (const phone of query.phones) queries.push([['phone', phoneSearchForms(phone, profile).join(',')]]);
  return queries;
}

async function findCandidates(
  ctx: FhirContext,
  query: PatientFeatures,
  profile: MatchProfile,
  excludeId: string | undefined,
): Promise<StoredVersion[]> {
  const pages = await Promise.all(
    blockingQueries(query, profile).map((params) =>
      ctx.search({
        store: ctx.store,
        resourceTypes: ['Patient'],
        params,
        baseUrl: ctx.baseUrl,
        access: ctx.access,
        handling: 'strict',
        count: profile.candidates.perQuery + (excludeId ? 1 : 0),
      }),
    ),
  );
  const byId = new Map<string, StoredVersion>();
  for (const page of pages)
    for (const version of page.matches) if (version.id !== excludeId && version.resource) byId.set(version.id, version);
  return [...byId.values()];
}

/** Search values are comma-separated alternatives: a literal comma, `$` or `|` in a value is escaped. */
function escape(value: string): string {
  return value.replace(/[\\,$|]/g, (c) => `\\${c}`);
}
