/**
 * searchEntries(): the matches of a query (its types and conditions) with their index entries of a few parameters,
 * in one statement: the matching keys (a materialised CTE, limited), then each asked kind's side-table rows of those
 * keys through the (resource_type, resource_id, param) indexes, as JSON rows turned back into IndexEntries.
 * With `newest` ($lastn) a step between them keeps only what NewestPerCode allows: each match's single subject key
 * and single coded code (the keys lastn-groups.ts builds) and its latest date, ranked per (subject, code) with a
 * window; so the entries of the matches left out are never turned into JSON nor sent.
 * When the query names its subjects plainly (`patient=123`, lastn-keys.ts querySubjects) and asks the keys fhir_lastn
 * keeps, the matches are not all read at all: per (subject, code) of fhir_lastn, its rows are walked newest first
 * through fhir_lastn_newest, each checked against the query, until `max` match (ties: lastUpdated, then id, as
 * lastn-groups.ts); the subject's non-rankable rows (code NULL) are all checked and kept when they match. Those few
 * matches come with their current version (MatchEntries.version) from the same statement: one round trip in all.
 */
import type { IndexEntry } from '../../../fhir/indexing/index-entry.js';
import type { SearchQuery } from '../../../fhir/search/search-query.js';
import type { EntryParam, MatchEntries, NewestPerCode } from '../../resource-store.js';
import { toStoredVersion, type VersionRow } from '../read-versions.js';
import { tableOfKind } from '../index-rows.js';
import { LASTN_KEYED, querySubjects } from '../../lastn-keys.js';
import type { SqlClient } from '../sql-client.js';
import { baseWhere } from './run-search.js';
import { SqlParams } from './sql-params.js';

type Row = {
  resource_type: string;
  id: string;
  version_id: number | null;
  last_updated_ms: string | number | null;
  entry: unknown;
  /** The version's columns, on a match's own row when the statement reads its body (the walk through fhir_lastn). */
  last_updated?: string | null;
  deleted?: boolean | null;
  content?: VersionRow['content'];
  number_texts?: unknown;
};

/** The version columns a walk's matches carry (read-versions.ts VERSION_COLUMNS but the key and version_id). */
const BODY_COLUMNS = ['last_updated', 'deleted', 'content', 'number_texts'];
const NO_BODY = ', NULL::text, NULL::boolean, NULL::jsonb, NULL::jsonb';

export function searchEntriesStatement(
  query: SearchQuery,
  params: readonly EntryParam[],
  limit: number,
  newest?: NewestPerCode,
): { text: string; values: unknown[] } {
  const sql = new SqlParams();
  const where = baseWhere(query, sql);
  const limitValue = sql.bind(Math.max(0, limit), 'int');
  const subjects = newest && keyed(query, newest) ? querySubjects(query.conditions) : undefined;
  const matches = subjects
    ? keyedStatement(newest!, subjects, where, limitValue, sql)
    : `SELECT r.resource_type, r.id, r.version_id, r.last_updated_ms FROM fhir_resource r WHERE ${where} LIMIT ${limitValue}`;
  const kept = newest && !subjects ? `, k AS MATERIALIZED (${newestStatement(newest, limitValue, sql)})` : '';
  const m = newest && !subjects ? 'k' : 'm';
  const byKind = new Map<string, string[]>();
  for (const p of params) byKind.set(p.kind, [...(byKind.get(p.kind) ?? []), p.param]);
  const body = subjects ? BODY_COLUMNS.map((c) => `, m.${c}`).join('') : '';
  const parts = [
    `SELECT m.resource_type, m.id, m.version_id, m.last_updated_ms, NULL::jsonb AS entry${body} FROM ${m} m`,
  ];
  for (const [kind, names] of byKind) {
    const entry = `to_jsonb(a) - 'resource_type' - 'resource_id' - 'tuple' || jsonb_build_object('kind', ${sql.bind(kind, 'text')})`;
    parts.push(
      // LATERAL: each match's rows through the (resource_type, resource_id, param) index, whatever the estimate of m
      `SELECT m.resource_type, m.id, NULL::integer, NULL::bigint, a.entry${body ? NO_BODY : ''} FROM ${m} m CROSS JOIN LATERAL (SELECT ${entry} AS entry FROM ${tableOfKind(kind as IndexEntry['kind'])} a WHERE a.resource_type = m.resource_type AND a.resource_id = m.id AND a.param = ANY(${sql.bind(names, 'text[]')}) AND a.tuple IS NULL OFFSET 0) a`,
    );
  }
  return { text: `WITH m AS MATERIALIZED (${matches})${kept} ${parts.join(' UNION ALL ')}`, values: sql.values };
}

/** Whether fhir_lastn keeps the keys `newest` groups by, for every type the query searches. */
function keyed(query: SearchQuery, newest: NewestPerCode): boolean {
  return (
    query.resourceTypes.length === 1 &&
    query.resourceTypes[0] === LASTN_KEYED.resourceType &&
    newest.subject === LASTN_KEYED.subject &&
    newest.code === LASTN_KEYED.code &&
    newest.date === LASTN_KEYED.date
  );
}

/**
 * The matches NewestPerCode keeps, through fhir_lastn: the newest `max` matches of each (subject, code) of the
 * query's subjects, and every match among their non-rankable rows. `where` (on r) is checked on each row walked.
 */
function keyedStatement(
  newest: NewestPerCode,
  subjects: string[],
  where: string,
  limit: string,
  sql: SqlParams,
): string {
  const type = sql.bind(LASTN_KEYED.resourceType, 'text');
  const keys = sql.bind(subjects, 'text[]');
  const join = `fhir_lastn l JOIN fhir_resource r ON r.resource_type = l.resource_type AND r.id = l.resource_id`;
  const columns = ['resource_type', 'id', 'version_id', 'last_updated_ms', ...BODY_COLUMNS]
    .map((c) => `r.${c}`)
    .join(', ');
  const codes = `SELECT DISTINCT l.subject, l.code FROM fhir_lastn l WHERE l.resource_type = ${type} AND l.subject = ANY(${keys}) AND l.code IS NOT NULL`;
  const ranked = `SELECT n.* FROM (${codes}) c CROSS JOIN LATERAL (SELECT ${columns} FROM ${join}
    WHERE l.resource_type = ${type} AND l.subject = c.subject AND l.code = c.code AND ${where}
    ORDER BY l.at DESC NULLS LAST, r.last_updated_ms DESC, r.id COLLATE "C" LIMIT ${sql.bind(newest.max, 'int')}) n`;
  // one row per match (it has a code-NULL row per subject)
  const others = `SELECT DISTINCT ON (r.resource_type, r.id) ${columns} FROM ${join}
    WHERE l.resource_type = ${type} AND l.subject = ANY(${keys}) AND l.code IS NULL AND ${where}`;
  return `SELECT * FROM (${ranked} UNION ALL ${others}) u LIMIT ${limit}`;
}

/**
 * The matches of m that NewestPerCode keeps. Per match: the distinct subject keys (`Type/id`, else the URL, as
 * lastn-groups.ts keys them), the distinct coded codes (`system\tcode`) and the latest date high; a match with one of
 * each is ranked among those with the same two keys (newest first, ids in code-unit order as lastn-groups.ts sorts
 * them) and kept when within `max`; every other match is kept, and all are when m reached the limit.
 */
function newestStatement(newest: NewestPerCode, limit: string, sql: SqlParams): string {
  const own = (a: string) => `${a}.resource_type = m.resource_type AND ${a}.resource_id = m.id AND ${a}.tuple IS NULL`;
  const subjectKey = `CASE WHEN COALESCE(s.target_type, '') <> '' AND COALESCE(s.target_id, '') <> '' THEN s.target_type || '/' || s.target_id ELSE COALESCE(s.url, '') END`;
  const keyed = `SELECT m.resource_type, m.id, m.version_id, m.last_updated_ms, sk.n AS subjects, sk.key AS subject, ck.n AS codes, ck.key AS code, dk.at
    FROM m
    CROSS JOIN LATERAL (SELECT count(DISTINCT ${subjectKey}) AS n, min(${subjectKey}) AS key FROM fhir_idx_reference s WHERE ${own('s')} AND s.param = ${sql.bind(newest.subject, 'text')}) sk
    CROSS JOIN LATERAL (SELECT count(DISTINCT t.key) AS n, min(t.key) AS key FROM (SELECT COALESCE(c.system, '') || E'\t' || c.code AS key FROM fhir_idx_token c WHERE ${own('c')} AND c.param = ${sql.bind(newest.code, 'text')} AND c.code IS NOT NULL) t) ck
    CROSS JOIN LATERAL (SELECT max(d.high) AS at FROM fhir_idx_date d WHERE ${own('d')} AND d.param = ${sql.bind(newest.date, 'text')}) dk`;
  const single = `x.subjects = 1 AND x.codes = 1`;
  const ranked = `SELECT x.*, CASE WHEN ${single} THEN row_number() OVER (PARTITION BY ${single}, x.resource_type, x.subject, x.code ORDER BY x.at DESC NULLS LAST, x.last_updated_ms DESC, x.id COLLATE "C") END AS rank FROM (${keyed}) x`;
  return `SELECT y.resource_type, y.id, y.version_id, y.last_updated_ms FROM (${ranked}) y WHERE y.rank IS NULL OR y.rank <= ${sql.bind(newest.max, 'int')} OR (SELECT count(*) FROM m) >= ${limit}`;
}

export async function searchEntries(
  client: SqlClient,
  query: SearchQuery,
  params: readonly EntryParam[],
  limit: number,
  newest?: NewestPerCode,
): Promise<MatchEntries[]> {
  const statement = searchEntriesStatement(query, params, limit, newest);
  const { rows } =
    query.timeoutMs !== undefined && client.queryWithTimeout
      ? await client.queryWithTimeout<Row>(statement, query.timeoutMs)
      : await client.query<Row>(statement);
  const byKey = new Map<string, MatchEntries>();
  const keyOf = (r: Row) => `${r.resource_type}/${r.id}`;
  for (const r of rows) {
    if (r.entry !== null) continue;
    byKey.set(keyOf(r), {
      resourceType: r.resource_type,
      id: r.id,
      versionId: Number(r.version_id),
      lastUpdatedMs: Number(r.last_updated_ms),
      entries: [],
      ...(r.content !== undefined ? { version: toStoredVersion(r as VersionRow) } : {}),
    });
  }
  for (const r of rows) {
    if (r.entry === null) continue;
    const entry = typeof r.entry === 'string' ? (JSON.parse(r.entry) as unknown) : r.entry;
    byKey.get(keyOf(r))?.entries.push(entryOf(entry as Record<string, unknown>));
  }
  return [...byKey.values()];
}

/** A side-table row as JSON (snake_case columns) → the IndexEntry it was written from (absent optionals dropped). */
function entryOf(row: Record<string, unknown>): IndexEntry {
  const out: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    const name = column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    if (value === null && OPTIONAL.has(name)) continue;
    out[name] = value;
  }
  return out as IndexEntry;
}

/** Entry fields that are absent (not null) when the entry has no value for them. */
const OPTIONAL = new Set([
  'text',
  'typeSystem',
  'typeCode',
  'identifierSystem',
  'identifierValue',
  'canonicalValue',
  'canonicalLow',
  'canonicalHigh',
  'canonicalCode',
]);
