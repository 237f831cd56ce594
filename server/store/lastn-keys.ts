/**
 * The keys of the $lastn structure both stores keep beside the index (PostgreSQL/PGlite: fhir_lastn; MongoDB: the
 * `lastn` array of the current document), derived from a version's index entries exactly as lastn-groups.ts and
 * NewestPerCode key them, so that a store finds the newest Observations of each (subject, code) by a direct, ordered
 * lookup instead of reading every match's entries:
 * - an Observation with exactly one distinct `subject` key (`Type/id`, else its URL) and exactly one distinct coded
 *   `code` (`system\tcode`) has one key: that subject, that code and `at`, the latest high of its `date` entries
 *   (null when it has none) — it is ranked among the Observations with the same subject and code;
 * - any other Observation (several subjects or codes, or no coded code) has one key per subject with code null — it
 *   is never left out of a group, so the store only needs to find it by its subject;
 * - an Observation without a subject, and every other type, has none.
 * Current, non-deleted versions only (history versions and deletes have no keys), written and removed with the
 * version's index rows.
 */
import type { IndexEntry } from '../fhir/indexing/index-entry.js';
import type { Condition } from '../fhir/search/search-query.js';

/** The type and parameters the structure is kept for (what Observation/$lastn passes as NewestPerCode). */
export const LASTN_KEYED = { resourceType: 'Observation', subject: 'subject', code: 'code', date: 'date' } as const;

/** The param column of every fhir_lastn row (PostgreSQL; the table keeps the index tables' key columns). */
export const LASTN_PARAM = 'lastn';

export type LastnKey = { subject: string; code: string | null; at: number | null };

export function lastnKeys(resourceType: string, entries: readonly IndexEntry[]): LastnKey[] {
  if (resourceType !== LASTN_KEYED.resourceType) return [];
  const subjects = new Set<string>();
  const codes = new Set<string>();
  let at: number | null = null;
  for (const e of entries) {
    if (e.kind === 'reference' && e.param === LASTN_KEYED.subject)
      subjects.add(e.targetType && e.targetId ? `${e.targetType}/${e.targetId}` : (e.url ?? ''));
    else if (e.kind === 'token' && e.param === LASTN_KEYED.code && e.code !== null)
      codes.add(`${e.system ?? ''}\t${e.code}`);
    else if (e.kind === 'date' && e.param === LASTN_KEYED.date) at = at === null ? e.high : Math.max(at, e.high);
  }
  if (subjects.size === 1 && codes.size === 1) return [{ subject: [...subjects][0]!, code: [...codes][0]!, at }];
  return [...subjects].map((subject) => ({ subject, code: null, at: null }));
}

/**
 * The subject keys a query restricts its matches to, when it does so plainly: a `patient` or `subject` condition
 * whose values are all literal references with a type (`patient=123` is `Patient/123`). Every match then has a
 * subject key among them (the `patient` entries are the `subject` entries that point at a Patient). Undefined when
 * the query has no such condition (a chain, an identifier, an untyped id, a URL): the store evaluates it in full.
 */
export function querySubjects(conditions: readonly Condition[]): string[] | undefined {
  return subjectCondition(conditions)?.keys;
}

/** querySubjects' keys with the position of the condition they come from (the first plain one). */
export function subjectCondition(conditions: readonly Condition[]): { index: number; keys: string[] } | undefined {
  for (const [index, c] of conditions.entries()) {
    if (c.kind !== 'reference' || (c.param !== 'patient' && c.param !== LASTN_KEYED.subject)) continue;
    const keys = c.values.map((v) =>
      v.match === 'literal' && v.targetType && v.targetId ? `${v.targetType}/${v.targetId}` : '',
    );
    if (keys.length > 0 && keys.every(Boolean)) return { index, keys: [...new Set(keys)] };
  }
  return undefined;
}
