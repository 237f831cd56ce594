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
import { compileConditions } from './compile-condition.js';
import { entryPredicate, isEntryCondition, isNegated, tableOf } from './entry-predicates.js';

/** The statement (exported for the EXPLAIN tests); undefined when no query asks for a row. */
export function searchAnyStatement(queries: SearchQuery[]): { text: string; values: unknown[] } | undefined {
  const params = new SqlParams();
  const branches = queries
    .filter((query) => Math.floor(query.count) > 0)
    .map((query) => {
      const led = ledBranch(query, params);
      if (led) return led;
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

/**
 * A branch driven by its lead condition (SearchQuery.lead) whatever the planner estimates: the ids of the lead's
 * matches, read in full and sorted (the subquery with OFFSET 0 is planned on its own, so it is not folded into a join
 * order chosen from the estimates), then each id in order — current, the other conditions probed — until the page is
 * full, each other condition a per-row probe of its (resource_type, resource_id) index (RowRef.probe). Same rows as the
 * plain branch (the first `count` matches by id); its cost follows the lead's matches, not the planner's guess of
 * another condition's. Measured with 1,000 patients named alike (bench/explain-duplicate-check.ts):
 * the planner estimated their shared phonetic key at 1 row and drove each branch from it, probing the birth date (or
 * the gender) of every namesake. Undefined when the query has no usable lead (then the plain branch).
 */
function ledBranch(query: SearchQuery, params: SqlParams): string | undefined {
  const lead = query.lead === undefined ? undefined : query.conditions[query.lead];
  if (!lead || !isEntryCondition(lead) || isNegated(lead)) return undefined;
  if (query.sort.length > 0 || query.resourceTypes.length !== 1) return undefined;
  const type = params.bind(query.resourceTypes[0], 'text');
  const l = params.alias('l');
  const ids = `SELECT DISTINCT ${l}.resource_id AS id FROM ${tableOf(lead)} ${l} WHERE ${l}.resource_type = ${type} AND ${l}.param = ${params.bind(lead.param, 'text')} AND ${entryPredicate(lead, l, params)} ORDER BY 1 OFFSET 0`;
  // probes: the planner's estimate of another condition (Patient gender: 1 row, found on 8,000 patients at 1M
  // resources) must not turn it into a scan repeated for every id (bench of record, 3bbfc4f: 26 scans of the gender's
  // entries were 90 % of a namesake create's PostgreSQL CPU)
  const others = compileConditions(
    query.conditions.filter((_, i) => i !== query.lead),
    { ...ROW, probe: true },
    params,
  );
  const where = others === 'TRUE' ? 'NOT r.deleted' : `NOT r.deleted AND ${others}`;
  const limit = params.bind(Math.floor(query.count), 'int');
  return `(SELECT r.resource_type, r.id FROM (${ids}) ${l}k JOIN fhir_resource r ON r.resource_type = ${type} AND r.id = ${l}k.id WHERE ${where} ORDER BY r.id LIMIT ${limit})`;
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
