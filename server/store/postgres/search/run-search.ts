/**
 * search(): compiles the SearchQuery, runs the page query (keyset, one row more than the page to know
 * whether another page follows) and, when asked, the total.
 */
import type { SearchPage, SearchQuery, SortKey } from '../../../fhir/search/search-query.js';
import type { StoredVersion } from '../../resource-store.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { toStoredVersion, type VersionRow } from '../read-versions.js';
import type { SqlClient, SqlStatement } from '../sql-client.js';
import { compileConditions } from './compile-condition.js';
import { ledRows } from './led-rows.js';
import { keysetPredicate, orderBy, sortColumns } from './sort-keys.js';
import { HiddenValueParams, SqlParams, type RowRef } from './sql-params.js';
import { statementNamer } from '../statement-names.js';

export const ROW: RowRef = { type: 'r.resource_type', id: 'r.id', lastUpdatedMs: 'r.last_updated_ms' };
export const OUTER = { type: 'q.resource_type', id: 'q.id' };
export const PAGE_COLUMNS = [
  'r.resource_type',
  'r.id',
  'r.version_id',
  'r.last_updated',
  'r.deleted',
  'r.content',
  'r.number_texts',
];

/** Above this planner estimate, `_total=estimate` returns the estimate instead of counting. */
const ESTIMATE_THRESHOLD = 10_000;

export type SearchCursor = {
  /** The sort the cursor belongs to. */
  k: string;
  /** 'n': the page after the boundary row; 'p': the page before it. */
  d: 'n' | 'p';
  /** Include the boundary row itself. */
  x: boolean;
  v: unknown[];
  t: string;
  i: string;
};

function sortSignature(sort: SortKey[]): string {
  return sort.map((k) => `${k.kind}:${'param' in k ? k.param : ''}:${k.descending ? 'd' : 'a'}`).join(',');
}

export async function runSearch(client: SqlClient, query: SearchQuery): Promise<SearchPage<StoredVersion>> {
  const signature = sortSignature(query.sort);
  const cursor = searchCursor(query);
  const count = Math.max(0, Math.floor(query.count));
  const [rows, total] = await Promise.all([
    count === 0 ? Promise.resolve(undefined) : pageRows(client, query, count, cursor),
    query.total === 'none' && count > 0 ? Promise.resolve(undefined) : countMatches(client, query),
  ]);
  const page: SearchPage<StoredVersion> = { entries: [] };
  if (total !== undefined) page.total = total;
  if (rows === undefined) return page;

  const forward = cursor?.d !== 'p';
  const more = rows.length > count;
  const pageRowsInOrder = forward ? rows.slice(0, count) : rows.slice(0, count).reverse();
  page.entries = pageRowsInOrder.map((r) => toStoredVersion(r));
  const first = pageRowsInOrder[0];
  const last = pageRowsInOrder.at(-1);
  const make = (d: 'n' | 'p', row: PageRow | undefined, inclusive = false): string | undefined => {
    if (row)
      return encodeCursor({
        k: signature,
        d,
        x: false,
        v: sortValues(row, query.sort.length),
        t: row.resource_type,
        i: row.id,
      } satisfies SearchCursor);
    // an empty page after/before a cursor: turn back from the same boundary, including it
    if (cursor) return encodeCursor({ ...cursor, d, x: inclusive } satisfies SearchCursor);
    return undefined;
  };
  if (forward) {
    if (more) page.nextCursor = make('n', last);
    if (cursor) page.previousCursor = make('p', first, !cursor.x);
  } else {
    if (more) page.previousCursor = make('p', first);
    page.nextCursor = make('n', last, !cursor.x);
  }
  return page;
}

type PageRow = VersionRow & Record<`s${number}`, unknown>;

function sortValues(row: PageRow, n: number): unknown[] {
  return Array.from({ length: n }, (_, i) => row[`s${i}`] ?? null);
}

export function baseWhere(query: SearchQuery, params: SqlParams): string {
  const filters = ['NOT r.deleted'];
  if (query.resourceTypes.length === 1)
    filters.push(`r.resource_type = ${params.bind(query.resourceTypes[0], 'text')}`);
  else if (query.resourceTypes.length > 1)
    filters.push(`r.resource_type = ANY(${params.bind(query.resourceTypes, 'text[]')})`);
  filters.push(compileConditions(query.conditions, ROW, params));
  return filters.filter((f) => f !== 'TRUE').join(' AND ');
}

async function pageRows(
  client: SqlClient,
  query: SearchQuery,
  count: number,
  cursor: SearchCursor | undefined,
): Promise<PageRow[]> {
  const prepared = byIdentifierOnly(query);
  const statement = pageStatement(query, count, cursor, prepared ? new HiddenValueParams() : new SqlParams());
  const name = prepared ? identifierStatementName(statement.text) : undefined;
  const { rows } = await run<PageRow>(client, query, name ? { ...statement, name } : statement);
  return rows;
}

/**
 * Page statements of searches by identifier or id alone, named per shape (bounded: a client can vary shapes): each is
 * prepared once per connection, its values behind `(SELECT $n)` (HiddenValueParams), so PostgreSQL keeps one generic
 * plan for every value after its first five custom ones.
 */
const identifierStatementName = statementNamer('fhir_search_identifier_', 64);

/**
 * A search whose every condition is an identifier (`identifier=system|value`, several values or not) or `_id`, in
 * the default order: what an HL7 message's look-ups and a Bundle's ifNoneExist conditions ask, several times per
 * message or bundle. Such values are (nearly) unique, so one plan fits every value, and planning such a search anew
 * (parse + plan ~0.5 ms of PostgreSQL CPU) cost more than running it (~0.1 ms). Other searches stay planned per
 * request: their best plans depend on their values (a common name, a frequent code).
 */
export function byIdentifierOnly(query: SearchQuery): boolean {
  return (
    query.conditions.length > 0 &&
    query.sort.length === 0 &&
    query.lead === undefined &&
    query.conditions.every(
      (c) =>
        c.kind === 'id' ||
        (c.kind === 'token' && c.param === 'identifier' && !c.negate && c.values.every((v) => v.match === 'code')),
    )
  );
}

/** One statement of a search, cancelled by the server past the search's time budget when one is set. */
export function run<R extends Record<string, unknown>>(client: SqlClient, query: SearchQuery, statement: SqlStatement) {
  return query.timeoutMs !== undefined && client.queryWithTimeout
    ? client.queryWithTimeout<R>(statement, query.timeoutMs)
    : client.query<R>(statement);
}

/** The SQL of one page (exported for the EXPLAIN tests). */
export function pageStatement(
  query: SearchQuery,
  count: number,
  cursor?: SearchCursor,
  params: SqlParams = new SqlParams(),
): { text: string; values: unknown[] } {
  const columns = sortColumns(query.sort, ROW, params);
  const { from, where } = ledRows(query, ROW, params) ?? { from: 'fhir_resource r', where: baseWhere(query, params) };
  const forward = cursor?.d !== 'p';
  const keys = ['r.resource_type', 'r.id', ...columns.map((c, i) => `${c.expression} AS s${i}`)];
  const outerWhere = cursor
    ? `WHERE ${keysetPredicate(columns, { values: cursor.v, type: cursor.t, id: cursor.i }, OUTER, forward, cursor.x, params)}`
    : '';
  const order = orderBy(columns, OUTER, !forward);
  // The page is chosen on keys only (the narrow fhir_resource_current index can answer `NOT deleted`), from the rows
  // a record and a code in it lead to (led-rows.ts) when the search names them;
  // the wide rows with their JSON are fetched for the page rows alone.
  const page = `SELECT * FROM (SELECT ${keys.join(', ')} FROM ${from} WHERE ${where}) q ${outerWhere} ORDER BY ${order} LIMIT ${params.bind(count + 1, 'int')}`;
  const sorted = columns.map((_, i) => `q.s${i}`);
  const text = `SELECT ${[...PAGE_COLUMNS, ...sorted].join(', ')} FROM (${page}) q
    JOIN fhir_resource r ON r.resource_type = q.resource_type AND r.id = q.id ORDER BY ${order}`;
  return { text, values: params.values };
}

/** Decodes a cursor of `query` (exported for the EXPLAIN tests). */
export function searchCursor(query: SearchQuery): SearchCursor | undefined {
  return query.cursor === undefined
    ? undefined
    : decodeCursor(query.cursor, isCursor(sortSignature(query.sort), query.sort.length));
}

/** The SQL counting every match (exported for the EXPLAIN tests). */
export function countStatement(query: SearchQuery): { text: string; values: unknown[] } {
  const params = new SqlParams();
  return {
    text: `SELECT count(*)::bigint AS n FROM fhir_resource r WHERE ${baseWhere(query, params)}`,
    values: params.values,
  };
}

async function countMatches(client: SqlClient, query: SearchQuery): Promise<number> {
  const { text, values } = countStatement(query);
  if (query.total === 'estimate' && client.isServer) {
    const plan = await client.query<{ 'QUERY PLAN': unknown }>({
      text: `EXPLAIN (FORMAT JSON) ${text.replace('count(*)::bigint AS n', '1')}`,
      values,
    });
    const estimate = planRows(plan.rows[0]?.['QUERY PLAN']);
    if (estimate !== undefined && estimate > ESTIMATE_THRESHOLD) return estimate;
  }
  const { rows } = await run<{ n: number }>(client, query, { text, values });
  return Number(rows[0]?.n ?? 0);
}

function planRows(plan: unknown): number | undefined {
  const parsed = typeof plan === 'string' ? (JSON.parse(plan) as unknown) : plan;
  const rows = (parsed as [{ Plan?: { 'Plan Rows'?: number } }] | undefined)?.[0]?.Plan?.['Plan Rows'];
  return typeof rows === 'number' ? rows : undefined;
}

function isCursor(signature: string, keys: number) {
  return (v: unknown): v is SearchCursor => {
    const c = v as Partial<SearchCursor> | null;
    return (
      typeof c === 'object' &&
      c !== null &&
      c.k === signature &&
      (c.d === 'n' || c.d === 'p') &&
      typeof c.x === 'boolean' &&
      Array.isArray(c.v) &&
      c.v.length === keys &&
      typeof c.t === 'string' &&
      typeof c.i === 'string'
    );
  };
}
