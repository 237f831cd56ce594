/**
 * search(): resolve joins per type (I/O) → plan (pure: one find per collection) → run the finds,
 * merge several collections in JavaScript in the same order (ties broken by resource type), cut the
 * page, make the cursors. Totals are counted only when asked.
 */
import type { SearchPage, SearchQuery } from '../../fhir/search/search-query.js';
import { QueryTimeoutError, type StoredVersion } from '../resource-store.js';
import { encodeCursor, type CursorPayload } from './cursor.js';
import type { DocDatabase, Doc } from './doc-db.js';
import { storedVersionOf } from './documents.js';
import { compareRows, compareValues, rowValues, type KeyValue } from './keyset.js';
import { planSearch, SEARCH_PROJECTION } from './plan-search.js';
import { resolveJoins } from './resolve-joins.js';

export type SearchOptions = { maxJoinIds?: number };

type Row = { doc: Doc; type: string; values: KeyValue[] };

export async function runSearch(
  db: DocDatabase,
  query: SearchQuery,
  types: string[],
  options: SearchOptions = {},
): Promise<SearchPage<StoredVersion>> {
  return withTimeLimit(query.timeoutMs, (remaining) => searchWithin(db, query, types, options, remaining));
}

/**
 * Runs the search with its time budget: each find gets the time left as maxTimeMS (a MongoDB server stops it:
 * MaxTimeMSExpired, code 50), and the budget is checked between steps (the in-process collections cannot be
 * stopped mid-query, but the search ends there). Either way: QueryTimeoutError.
 */
async function withTimeLimit<T>(
  timeoutMs: number | undefined,
  fn: (remaining: () => number | undefined) => Promise<T>,
): Promise<T> {
  if (timeoutMs === undefined) return fn(() => undefined);
  const deadline = Date.now() + timeoutMs;
  const remaining = () => {
    const left = deadline - Date.now();
    if (left <= 0) throw new QueryTimeoutError(timeoutMs);
    return left;
  };
  try {
    return await fn(remaining);
  } catch (error) {
    if ((error as { code?: number }).code === 50) throw new QueryTimeoutError(timeoutMs);
    throw error;
  }
}

async function searchWithin(
  db: DocDatabase,
  query: SearchQuery,
  types: string[],
  options: SearchOptions,
  remaining: () => number | undefined,
): Promise<SearchPage<StoredVersion>> {
  const resolved = [];
  for (const type of types) {
    resolved.push({ type, conditions: await resolveJoins(db, query.conditions, type, options.maxJoinIds) });
    remaining();
  }
  const plan = planSearch(query, resolved);
  const limit = () => {
    const left = remaining();
    return left === undefined ? {} : { maxTimeMS: left };
  };
  const count = async () => {
    let n = 0;
    for (const f of plan.finds) n += await db.collection(f.collection).countDocuments(f.countFilter, limit());
    remaining();
    return n;
  };
  if (query.count <= 0) return { entries: [], total: await count() };

  const { cursor, backwards, walk, order, hash } = plan;
  const typeDir = backwards ? -1 : 1;
  const rows: Row[] = [];
  for (const f of plan.finds) {
    const docs = await db
      .collection(f.collection)
      .find(f.filter, { sort: f.sort, limit: f.limit, projection: SEARCH_PROJECTION, ...limit() });
    for (const doc of docs) rows.push({ doc, type: f.type, values: rowValues(doc, order) });
  }
  remaining();
  rows.sort((a, b) => compareRows(walk, a.values, b.values) || typeDir * compareValues(a.type, b.type));
  const more = rows.length > query.count;
  const page = rows.slice(0, query.count);
  if (backwards) page.reverse();

  const at = (d: CursorPayload['d'], row: Row): string => encodeCursor({ d, k: row.values, t: row.type, q: hash });
  const first = page[0];
  const last = page.at(-1);
  const result: SearchPage<StoredVersion> = { entries: page.map((r) => storedVersionOf(r.doc)) };
  if (backwards) {
    // there is always the page we came from after this one
    if (last) result.nextCursor = at('next', last);
    else if (cursor) result.nextCursor = encodeCursor({ ...cursor, d: 'next', i: true });
    if (more && first) result.previousCursor = at('prev', first);
  } else {
    if (more && last) result.nextCursor = at('next', last);
    // an empty later page leads back to the rows up to and including the cursor row
    if (cursor && first) result.previousCursor = at('prev', first);
    else if (cursor) result.previousCursor = encodeCursor({ ...cursor, d: 'prev', i: true });
  }
  if (query.total === 'accurate' || (query.total === 'estimate' && (cursor || more))) result.total = await count();
  else if (query.total === 'estimate') result.total = page.length;
  return result;
}
