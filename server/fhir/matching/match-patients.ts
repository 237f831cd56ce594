/**
 * Matching one patient against the store: candidates are gathered by a few indexed searches (blocking keys: each
 * identifier, the phonetic keys of the personal name with the birth date, of the family name with the birth date (each
 * with the dates it matches partially: a day apart, day and month swapped),
 * the key pairs of personal and father's names — one indexed lookup of `phonetic~pair`, extracted with the phonetic
 * keys — with the gender, the phone number) through the store-level search with the caller's
 * access policy — never a scan, and never a record the caller may not read — then each candidate is scored
 * (compare-patients.ts) and graded.
 */
import { LRUCache } from '@medplum/core';
import type { Patient } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir-context.js';
import type { StoredVersion } from '../../store/resource-store.js';
import type { Condition } from '../search/search-query.js';
import { phoneticPairParam, phoneticPairs } from '../indexing/text/name-parameters.js';
import { comparePatients, nearBirthDates, type MatchResult } from './compare-patients.js';
import type { MatchProfile } from './match-profile.js';
import { patientFeatures, phoneSearchForms, type MatchWord, type PatientFeatures } from './patient-features.js';
import { escapeValue } from '../search/split-values.js';
import { storeSearchAny, type AnySearchArgs } from '../search/search-any.js';

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
    const result = comparePatients(query, candidateFeatures(ctx.store, version, profile), profile);
    if (result.grade !== 'certainly-not') matches.push({ ...result, version });
  }
  matches.sort((a, b) => b.score - a.score || a.version.id.localeCompare(b.version.id));
  return matches.slice(0, options.count);
}

/** Features of stored versions kept per store and profile, at most this many (least recently used dropped). */
const FEATURES_KEPT = 4096;
const keptFeatures = new WeakMap<object, WeakMap<MatchProfile, LRUCache<PatientFeatures>>>();

/**
 * The features of a stored version, computed once: a version never changes, and a common name brings the same
 * namesakes back as candidates of every create (their phonetic keys were recomputed for each: ~26 per create).
 */
function candidateFeatures(store: object, version: StoredVersion, profile: MatchProfile): PatientFeatures {
  let byProfile = keptFeatures.get(store);
  if (!byProfile) keptFeatures.set(store, (byProfile = new WeakMap()));
  let kept = byProfile.get(profile);
  if (!kept) byProfile.set(profile, (kept = new LRUCache<PatientFeatures>(FEATURES_KEPT)));
  const key = `${version.resourceType}/${version.id}/${version.versionId}/${version.lastUpdated}`;
  let features = kept.get(key);
  if (!features) kept.set(key, (features = patientFeatures(version.resource as Patient, profile)));
  return features;
}

/**
 * One blocking search: search parameters and internal conditions, all AND-ed; `lead`: the parameter that selects the
 * fewest patients (a birth date, a name pair rather than a gender), from which a SQL store drives the search (a plan
 * hint: a common name's key can be estimated rare by stale statistics and found on thousands of patients).
 */
export type BlockingQuery = { params: Array<[string, string]>; where?: Condition[]; lead?: string };

/** The blocking searches of a patient. */
export function blockingQueries(query: PatientFeatures, profile: MatchProfile): BlockingQuery[] {
  const queries: BlockingQuery[] = [];
  for (const { system, value } of query.identifiers)
    queries.push({ params: [['identifier', `${escapeValue(system)}|${escapeValue(value)}`]] });
  const seen = new Set<string>();
  // the birth date and the dates it matches partially (a day apart, day and month swapped), OR-ed: a namesake born so
  // is found by the birth date, not only among the pair search's first page (a common name has thousands)
  const birthDates = query.birthDate ? [query.birthDate, ...nearBirthDates(query.birthDate)].join(',') : undefined;
  for (const words of query.names) {
    const [first, second] = words;
    const last = words.length > 1 ? words[words.length - 1] : undefined;
    const add = (lead: string, params: Array<[string, string]>, where?: Condition[]) => {
      const key = JSON.stringify([params, where]);
      if (!seen.has(key)) queries.push(where ? { params, where, lead } : { params, lead });
      seen.add(key);
    };
    if (first && birthDates) add('birthdate', [['birthdate', birthDates]], [phoneticWord(first)]);
    if (last && birthDates) add('birthdate', [['birthdate', birthDates]], [phoneticWord(last)]);
    if (first && second) {
      // every pair of their keys (not capped as stored pairs are: a stored pair is one of these when the words meet)
      const pairs = first.keys.flatMap((a) => phoneticPairs([a], second.keys));
      add(phoneticPairParam('phonetic'), query.gender ? [['gender', query.gender]] : [], [
        { kind: 'string', param: phoneticPairParam('phonetic'), match: 'equals', values: pairs },
      ]);
    }
  }
  for (const phone of query.phones) queries.push({ params: [['phone', phoneSearchForms(phone, profile).join(',')]] });
  return queries;
}

/**
 * `phonetic=<the word>` as its condition, from the keys the features hold: a search's parse would compute them again
 * from the word's text (the same keys: a word of nameWords is one word with those keys when read again, tested on the
 * match test set and a generated population in phonetic-word.test.ts).
 */
export function phoneticWord(word: MatchWord): Condition {
  return { kind: 'string', param: 'phonetic', match: 'equals', values: word.keys };
}

/**
 * The candidates of every blocking query, each query capped at `candidates.perQuery`, read together (one statement on
 * PostgreSQL: the duplicate check runs for every created Patient).
 */
async function findCandidates(
  ctx: FhirContext,
  query: PatientFeatures,
  profile: MatchProfile,
  excludeId: string | undefined,
): Promise<StoredVersion[]> {
  const found = await storeSearchAny(ctx.store, candidateSearches(ctx, query, profile, excludeId));
  return found.filter((version) => version.id !== excludeId && version.resource);
}

/** The store-level searches of the blocking queries (exported for the tests of the statement that answers them). */
export function candidateSearches(
  ctx: Pick<FhirContext, 'baseUrl' | 'access'>,
  query: PatientFeatures,
  profile: MatchProfile,
  excludeId: string | undefined,
): AnySearchArgs[] {
  return blockingQueries(query, profile).map(({ params, where, lead }) => ({
    resourceTypes: ['Patient'],
    params,
    ...(where ? { where } : {}),
    ...(lead ? { lead } : {}),
    baseUrl: ctx.baseUrl,
    access: ctx.access,
    handling: 'strict' as const,
    count: profile.candidates.perQuery + (excludeId ? 1 : 0),
  }));
}
