/**
 * searchAny(): the first pages of several searches as ONE statement (one round trip, one snapshot): each query's
 * keys chosen as its own page would be (same WHERE, same ORDER BY, LIMIT count), the union of those keys deduplicated,
 * then the rows with their JSON read once per resource. Used by patient matching, whose four or five blocking
 * searches were as many round trips (and transactions) per created Patient.
 */
import type { SearchQuery } from '../../../fhir/search/search-query.js';
import type { StoredVersion } from '../../resource-store.js';
import { toStoredVersion, type VersionRow } from '../read-versions.js';
import type { SqlClient } from '../sql-client.js';
import { baseWhere, OUTER, PAGE_COLUMNS, ROW, run } from './run-search.js';
import { orderBy, sortColumns } from './sort-keys.js';
import { SqlParams } from './sql-params.js';

/** The statement (exported for the EXPLAIN tests); undefined when no query asks for a row. */
export function searchAnyStatement(queries: SearchQuery[]): { text: string; values: unknown[] } | undefined {
  const params = new SqlParams();
  const branches = queries
    .filter((query) => Math.floor(query.count) > 0)
    .map((query) => {
      const columns = sortColumns(query.sort, ROW, params);
      const where = baseWhere(query, params);
      const keys = ['r.resource_type', 'r.id', ...columns.map((c, i) => `${c.expression} AS s${i}`)];
      const limit = params.bind(Math.floor(query.count), 'int');
      return `(SELECT q.resource_type, q.id FROM (SELECT ${keys.join(', ')} FROM fhir_resource r WHERE ${where}) q ORDER BY ${orderBy(columns, OUTER, false)} LIMIT ${limit})`;
    });
  if (branches.length === 0) return undefined;
  // UNION (not ALL): a resource found by several queries is read once
  const text = `SELECT ${PAGE_COLUMNS.join(', ')} FROM (${branches.join('\n  UNION ')}) k
    JOIN fhir_resource r ON r.resource_type = k.resource_type AND r.id = k.id`;
  return { text, values: params.values };
}

export async function runSearchAny(client: SqlClient, queries: SearchQuery[]): Promise<StoredVersion[]> {
  const statement = searchAnyStatement(queries);
  if (!statement) return [];
  const budgets = queries.flatMap((q) => (q.timeoutMs === undefined ? [] : [q.timeoutMs]));
  const query: SearchQuery = {
    resourceTypes: [],
    conditions: [],
    sort: [],
    count: 0,
    total: 'none',
    ...(budgets.length > 0 ? { timeoutMs: Math.min(...budgets) } : {}),
  };
  const { rows } = await run<VersionRow>(client, query, statement);
  return rows.map((r) => toStoredVersion(r));
}
