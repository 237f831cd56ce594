/**
 * searchEntries() with NewestPerCode ($lastn) when the query names its subjects plainly (`patient=123`, lastn-keys.ts
 * querySubjects) and asks the keys fhir_lastn keeps: the matches are not all read at all. Per (subject, code) of
 * fhir_lastn — the subject's codes found through fhir_lastn_newest with the subject in its index condition, one
 * lookup per subject — its rows are walked newest first, each checked against the query, until `max` match (ties:
 * lastUpdated, then id, as lastn-groups.ts); the subject's non-rankable rows (code NULL) are all checked and kept when
 * they match. Those few matches come with their current version (MatchEntries.version) and, when ranked, with the key
 * the walk found them by (MatchEntries.lastnKey: lastn-groups.ts groups by it, so no index entry of theirs is read).
 * Only the non-rankable matches (several subjects or codes, no coded code: rare) need their entries: a second
 * statement reads them, when there are any.
 * The walk's text depends on the query's shape only (every value is bound), so it is a named statement, prepared on
 * each connection once, and every value is behind `(SELECT $n)` (HiddenValueParams, sql-params.ts): a plan for given values then costs
 * what the generic plan costs, so after its five custom plans PostgreSQL keeps the generic one (plan_cache_mode auto
 * prefers a custom plan only when it is cheaper, and with a known one-subject array it was: the walk stayed planned
 * per request on small databases). Planning — ~3 ms of the 3-part statement at 1M, more than its execution — is then
 * no longer paid per request; the plan stays the nested walk (the LATERAL joins and OFFSET 0 leave it no other order).
 */
import type { SearchQuery } from '../../../fhir/search/search-query.js';
import type { MatchEntries, NewestPerCode } from '../../resource-store.js';
import { toStoredVersion, type VersionRow } from '../read-versions.js';
import { LASTN_KEYED, subjectCondition } from '../../lastn-keys.js';
import type { SqlClient } from '../sql-client.js';
import { baseWhere, ROW } from './run-search.js';
import { compileConditions } from './compile-condition.js';
import { HiddenValueParams, SqlParams, type RowRef } from './sql-params.js';
import { statementNamer } from '../statement-names.js';

type Row = VersionRow & {
  last_updated_ms: string | number;
  /** fhir_lastn's key of a ranked match; NULLs for a non-rankable one. */
  lastn_subject: string | null;
  lastn_code: string | null;
  lastn_at: string | number | null;
};

/** The subjects to walk, when the walk answers `query` with `newest` (else the store evaluates it in full). */
export function walkSubjects(query: SearchQuery, newest: NewestPerCode | undefined): string[] | undefined {
  const keyed =
    newest !== undefined &&
    query.resourceTypes.length === 1 &&
    query.resourceTypes[0] === LASTN_KEYED.resourceType &&
    newest.subject === LASTN_KEYED.subject &&
    newest.code === LASTN_KEYED.code &&
    newest.date === LASTN_KEYED.date;
  return keyed ? subjectCondition(query.conditions)?.keys : undefined;
}

/** The walked row's key as a condition's row: its conditions probe their index tables by fhir_lastn's key. */
const KEY_ROW: RowRef = { type: 'l.resource_type', id: 'l.resource_id', lastUpdatedMs: ROW.lastUpdatedMs, probe: true };

/**
 * The walk: the matches NewestPerCode keeps, with their current version and (ranked ones) their fhir_lastn key, at
 * most `limit` rows. The query's conditions are checked on each row walked (walkWhere).
 */
export function lastnWalkStatement(
  query: SearchQuery,
  newest: NewestPerCode,
  subjects: string[],
  limit: number,
): { text: string; values: unknown[] } {
  const sql = new HiddenValueParams();
  const where = walkWhere(query, subjects, sql);
  const limitValue = sql.bind(Math.max(0, limit), 'int');
  const type = sql.bind(LASTN_KEYED.resourceType, 'text');
  const keys = sql.bind(subjects, 'text[]');
  const join = `fhir_lastn l JOIN fhir_resource r ON r.resource_type = l.resource_type AND r.id = l.resource_id`;
  const columns = ['resource_type', 'id', 'version_id', 'last_updated_ms', 'last_updated', 'deleted', 'content']
    .concat(['number_texts'])
    .map((c) => `r.${c}`)
    .join(', ');
  // LATERAL per subject: the subject is in fhir_lastn_newest's index condition (with `subject = ANY(…)` the planner
  // may walk every Observation's entry of the index in (subject, code) order, the subject a mere filter)
  const codes = `SELECT DISTINCT s.subject, k.code FROM unnest(${keys}) s(subject) CROSS JOIN LATERAL (SELECT l.code FROM fhir_lastn l WHERE l.resource_type = ${type} AND l.subject = s.subject AND l.code IS NOT NULL OFFSET 0) k`;
  const ranked = `SELECT n.* FROM (${codes}) c CROSS JOIN LATERAL (SELECT ${columns}, l.subject AS lastn_subject, l.code AS lastn_code, l.at AS lastn_at FROM ${join}
    WHERE l.resource_type = ${type} AND l.subject = c.subject AND l.code = c.code AND ${where}
    ORDER BY l.at DESC NULLS LAST, r.last_updated_ms DESC, r.id COLLATE "C" LIMIT ${sql.bind(newest.max, 'int')}) n`;
  // one row per match (it has a code-NULL row per subject)
  const others = `SELECT DISTINCT ON (r.resource_type, r.id) ${columns}, NULL::text, NULL::text, NULL::bigint FROM ${join}
    WHERE l.resource_type = ${type} AND l.subject = ANY(${keys}) AND l.code IS NULL AND ${where}`;
  return { text: `SELECT * FROM (${ranked} UNION ALL ${others}) u LIMIT ${limitValue}`, values: sql.values };
}

/**
 * The query's conditions on a walked row r, the subject condition the walk follows (lastn-keys.ts subjectCondition)
 * put behind a test of the row's own body: every row walked has one of the subject keys, and when the body's
 * `subject.reference` is literally one of them (`Patient/123`), the row has that very `subject` entry and, resolved to
 * that type, that `patient` entry; only otherwise (an absolute URL, a version) is the condition itself evaluated. So
 * the planner never sees the condition as a join it could start from: with the patient's rows estimated at 1 (a
 * patient written after the last ANALYZE) it did, reading all his index rows once per code (8,814 rows for a patient
 * with 226 Observations and 39 codes: 320 ms). The other conditions probe their index tables by the fhir_lastn row's
 * key (KEY_ROW), so a walked row that fails them (an Observation of another category: most of a patient's codes) is
 * rejected before its resource row is read (1,745 → 1,145 buffers for a patient with 150 laboratory results).
 */
function walkWhere(query: SearchQuery, subjects: string[], sql: SqlParams): string {
  const chosen = subjectCondition(query.conditions);
  if (!chosen) return baseWhere(query, sql);
  const rest = query.conditions.filter((_, i) => i !== chosen.index);
  const others = `${baseWhere({ ...query, conditions: [] }, sql)} AND ${compileConditions(rest, KEY_ROW, sql)}`;
  const condition = compileConditions([query.conditions[chosen.index]!], ROW, sql);
  const literal = `r.content -> 'subject' ->> 'reference' = ANY(${sql.bind(subjects, 'text[]')})`;
  return `${others} AND (${literal} OR ${condition})`;
}

/**
 * Runs the walk; `readEntries` reads the entries of the non-rankable matches (search-entries.ts), called only when
 * there are some.
 */
export async function lastnWalk(
  client: SqlClient,
  query: SearchQuery,
  newest: NewestPerCode,
  subjects: string[],
  limit: number,
  readEntries: (keys: MatchEntries[]) => Promise<void>,
): Promise<MatchEntries[]> {
  const { text, values } = lastnWalkStatement(query, newest, subjects, limit);
  const name = walkStatementName(text);
  const statement = name ? { name, text, values } : { text, values };
  const { rows } =
    query.timeoutMs !== undefined && client.queryWithTimeout
      ? await client.queryWithTimeout<Row>(statement, query.timeoutMs)
      : await client.query<Row>(statement);
  const matches = rows.map((r): MatchEntries => ({
    resourceType: r.resource_type,
    id: r.id,
    versionId: Number(r.version_id),
    lastUpdatedMs: Number(r.last_updated_ms),
    entries: [],
    version: toStoredVersion(r),
    ...(r.lastn_code !== null && r.lastn_subject !== null
      ? {
          lastnKey: {
            subject: r.lastn_subject,
            code: r.lastn_code,
            at: r.lastn_at === null ? null : Number(r.lastn_at),
          },
        }
      : {}),
  }));
  const unkeyed = matches.filter((m) => !m.lastnKey);
  if (unkeyed.length > 0) await readEntries(unkeyed);
  return matches;
}

/** Bounds what each connection keeps prepared (shapes come from requests: a client could vary them at will). */
const MAX_NAMED = 64;
/** The walk's statement name by its text; beyond MAX_NAMED shapes a walk is planned per request (unnamed). */
export const walkStatementName = statementNamer('fhir_lastn_walk_', MAX_NAMED);
