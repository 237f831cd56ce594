/**
 * searchEntries(): the matches of a query (its types and conditions) with their index entries of a few parameters,
 * in one statement: the matching keys (a materialised CTE, limited), then each asked kind's side-table rows of those
 * keys through the (resource_type, resource_id, param) indexes, as JSON rows turned back into IndexEntries.
 */
import type { IndexEntry } from '../../../fhir/indexing/index-entry.js';
import type { SearchQuery } from '../../../fhir/search/search-query.js';
import type { EntryParam, MatchEntries } from '../../resource-store.js';
import { tableOfKind } from '../index-rows.js';
import type { SqlClient } from '../sql-client.js';
import { baseWhere } from './run-search.js';
import { SqlParams } from './sql-params.js';

type Row = {
  resource_type: string;
  id: string;
  version_id: number | null;
  last_updated_ms: string | number | null;
  entry: unknown;
};

export function searchEntriesStatement(
  query: SearchQuery,
  params: readonly EntryParam[],
  limit: number,
): { text: string; values: unknown[] } {
  const sql = new SqlParams();
  const where = baseWhere(query, sql);
  const matches = `SELECT r.resource_type, r.id, r.version_id, r.last_updated_ms FROM fhir_resource r WHERE ${where} LIMIT ${sql.bind(Math.max(0, limit), 'int')}`;
  const byKind = new Map<string, string[]>();
  for (const p of params) byKind.set(p.kind, [...(byKind.get(p.kind) ?? []), p.param]);
  const parts = [`SELECT m.resource_type, m.id, m.version_id, m.last_updated_ms, NULL::jsonb AS entry FROM m`];
  for (const [kind, names] of byKind) {
    const entry = `to_jsonb(a) - 'resource_type' - 'resource_id' - 'tuple' || jsonb_build_object('kind', ${sql.bind(kind, 'text')})`;
    parts.push(
      // LATERAL: each match's rows through the (resource_type, resource_id, param) index, whatever the estimate of m
      `SELECT m.resource_type, m.id, NULL::integer, NULL::bigint, a.entry FROM m CROSS JOIN LATERAL (SELECT ${entry} AS entry FROM ${tableOfKind(kind as IndexEntry['kind'])} a WHERE a.resource_type = m.resource_type AND a.resource_id = m.id AND a.param = ANY(${sql.bind(names, 'text[]')}) AND a.tuple IS NULL OFFSET 0) a`,
    );
  }
  return { text: `WITH m AS MATERIALIZED (${matches}) ${parts.join(' UNION ALL ')}`, values: sql.values };
}

export async function searchEntries(
  client: SqlClient,
  query: SearchQuery,
  params: readonly EntryParam[],
  limit: number,
): Promise<MatchEntries[]> {
  const statement = searchEntriesStatement(query, params, limit);
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
