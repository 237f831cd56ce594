/**
 * searchEntries(): the matches of a query (its types and conditions) with their index entries of a few parameters,
 * in one statement: the matching keys (a materialised CTE, limited), then each asked kind's side-table rows of those
 * keys through the (resource_type, resource_id, param) indexes, as JSON rows turned back into IndexEntries.
 * With `newest` ($lastn) a step between them keeps only what NewestPerCode allows: each match's single subject key
 * and single coded code (the keys lastn-groups.ts builds) and its latest date, ranked per (subject, code) with a
 * window; so the entries of the matches left out are never turned into JSON nor sent.
 * When the query names its subjects plainly (`patient=123`) and asks the keys fhir_lastn keeps, the walk of
 * lastn-walk.ts answers instead (the few kept matches with their bodies, most without any entry read).
 */
import type { IndexEntry } from '../../../fhir/indexing/index-entry.js';
import type { SearchQuery } from '../../../fhir/search/search-query.js';
import type { EntryParam, MatchEntries, NewestPerCode } from '../../resource-store.js';
import { tableOfKind } from '../index-rows.js';
import type { SqlClient } from '../sql-client.js';
import { baseWhere } from './run-search.js';
import { SqlParams } from './sql-params.js';
import { lastnWalk, walkSubjects } from './lastn-walk.js';

type Row = {
  resource_type: string;
  id: string;
  version_id: number | null;
  last_updated_ms: string | number | null;
  entry: unknown;
};

/** The full evaluation (no walk): every match of the query, or with `newest` those NewestPerCode keeps. */
export function searchEntriesStatement(
  query: SearchQuery,
  params: readonly EntryParam[],
  limit: number,
  newest?: NewestPerCode,
): { text: string; values: unknown[] } {
  const sql = new SqlParams();
  const where = baseWhere(query, sql);
  const limitValue = sql.bind(Math.max(0, limit), 'int');
  const matches = `SELECT r.resource_type, r.id, r.version_id, r.last_updated_ms FROM fhir_resource r WHERE ${where} LIMIT ${limitValue}`;
  const kept = newest ? `, k AS MATERIALIZED (${newestStatement(newest, limitValue, sql)})` : '';
  const m = newest ? 'k' : 'm';
  const parts = [`SELECT m.resource_type, m.id, m.version_id, m.last_updated_ms, NULL::jsonb AS entry FROM ${m} m`];
  parts.push(...entryParts(m, params, sql));
  return { text: `WITH m AS MATERIALIZED (${matches})${kept} ${parts.join(' UNION ALL ')}`, values: sql.values };
}

/** The entries of given matches (the walk's non-rankable ones): rows of (resource_type, id, entry). */
export function matchEntriesStatement(
  keys: readonly MatchEntries[],
  params: readonly EntryParam[],
): { text: string; values: unknown[] } {
  const sql = new SqlParams();
  const types = sql.bind(
    keys.map((k) => k.resourceType),
    'text[]',
  );
  const ids = sql.bind(
    keys.map((k) => k.id),
    'text[]',
  );
  const parts = entryParts('m', params, sql);
  const text = `WITH m AS MATERIALIZED (SELECT * FROM unnest(${types}, ${ids}) m(resource_type, id)) ${parts.join(' UNION ALL ')}`;
  return { text, values: sql.values };
}

/** Per asked kind: each match's side-table rows of the asked params as (resource_type, id, entry) rows. */
function entryParts(m: string, params: readonly EntryParam[], sql: SqlParams): string[] {
  const byKind = new Map<string, string[]>();
  for (const p of params) byKind.set(p.kind, [...(byKind.get(p.kind) ?? []), p.param]);
  return [...byKind].map(([kind, names]) => {
    const entry = `to_jsonb(a) - 'resource_type' - 'resource_id' - 'tuple' || jsonb_build_object('kind', ${sql.bind(kind, 'text')})`;
    // LATERAL: each match's rows through the (resource_type, resource_id, param) index, whatever the estimate of m
    return `SELECT m.resource_type, m.id, NULL::integer, NULL::bigint, a.entry FROM ${m} m CROSS JOIN LATERAL (SELECT ${entry} AS entry FROM ${tableOfKind(kind as IndexEntry['kind'])} a WHERE a.resource_type = m.resource_type AND a.resource_id = m.id AND a.param = ANY(${sql.bind(names, 'text[]')}) AND a.tuple IS NULL OFFSET 0) a`;
  });
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
  const subjects = walkSubjects(query, newest);
  if (newest && subjects)
    return lastnWalk(client, query, newest, subjects, limit, async (keys) => {
      const byKey = new Map(keys.map((k) => [`${k.resourceType}/${k.id}`, k]));
      addEntries(byKey, await run(client, query, matchEntriesStatement(keys, params)));
    });
  const rows = await run(client, query, searchEntriesStatement(query, params, limit, newest));
  const byKey = new Map<string, MatchEntries>();
  for (const r of rows) {
    if (r.entry !== null) continue;
    byKey.set(`${r.resource_type}/${r.id}`, {
      resourceType: r.resource_type,
      id: r.id,
      versionId: Number(r.version_id),
      lastUpdatedMs: Number(r.last_updated_ms),
      entries: [],
    });
  }
  addEntries(byKey, rows);
  return [...byKey.values()];
}

async function run(
  client: SqlClient,
  query: SearchQuery,
  statement: { text: string; values: unknown[] },
): Promise<Row[]> {
  const { rows } =
    query.timeoutMs !== undefined && client.queryWithTimeout
      ? await client.queryWithTimeout<Row>(statement, query.timeoutMs)
      : await client.query<Row>(statement);
  return rows;
}

function addEntries(byKey: Map<string, MatchEntries>, rows: readonly Row[]): void {
  for (const r of rows) {
    if (r.entry === null) continue;
    const entry = typeof r.entry === 'string' ? (JSON.parse(r.entry) as unknown) : r.entry;
    byKey.get(`${r.resource_type}/${r.id}`)?.entries.push(entryOf(entry as Record<string, unknown>));
  }
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
