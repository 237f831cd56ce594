/**
 * search(): per collection, resolve joins → compile the filter → one find() with the keyset filter,
 * sort and limit count+1; several collections (system search, `_type`) are merged in JavaScript with
 * the same order (ties broken by resource type). Totals are counted only when asked.
 */
import type { SearchPage, SearchQuery, SortKey } from '../../fhir/search/search-query.js';
import type { StoredVersion } from '../resource-store.js';
import { collectionNameFor } from './collection-names.js';
import { compileSearchFilter } from './compile-condition.js';
import { decodeCursor, encodeCursor, queryHash, type CursorPayload } from './cursor.js';
import type { DocDatabase, Doc, Filter } from './doc-db.js';
import { storedVersionOf } from './documents.js';
import { and } from './filter-parts.js';
import { afterFilter, compareRows, compareValues, reverseOrder, rowValues, toSortSpec, type KeyValue } from './keyset.js';
import { resolveJoins } from './resolve-joins.js';
import { fieldSortFor, type FieldSort } from './sort-values.js';

const PROJECTION = { resourceType: 1, id: 1, versionId: 1, lastUpdated: 1, deleted: 1, resource: 1, lu: 1, sort: 1 } as const;

export type SearchOptions = { maxJoinIds?: number };

type Row = { doc: Doc; type: string; values: KeyValue[] };

/** The physical order of a search: the sort keys, then _id (unless already sorted by id). */
export function searchOrder(sort: SortKey[]): FieldSort[] {
  const order = sort.map(fieldSortFor);
  if (!order.some((k) => k.field === '_id')) order.push({ field: '_id', dir: 1 });
  return order;
}

export async function runSearch(db: DocDatabase, query: SearchQuery, types: string[], options: SearchOptions = {}): Promise<SearchPage<StoredVersion>> {
  const order = searchOrder(query.sort);
  const hash = queryHash([types, query.conditions, query.sort]);
  const cursor = query.cursor ? decodeCursor(query.cursor, hash) : undefined;
  const filters = new Map<string, Filter>();
  for (const type of types) filters.set(type, compileSearchFilter(await resolveJoins(db, query.conditions, type, options.maxJoinIds)));

  const count = async () => {
    let n = 0;
    for (const [type, filter] of filters) n += await db.collection(collectionNameFor(type)).countDocuments(filter);
    return n;
  };
  if (query.count <= 0) return { entries: [], total: await count() };

  const backwards = cursor?.d === 'prev';
  const walk = backwards ? reverseOrder(order) : order;
  const typeDir = backwards ? -1 : 1;
  const rows: Row[] = [];
  for (const [type, filter] of filters) {
    const keyset = cursor ? afterFilter(walk, cursor.k, typeDir * compareValues(type, cursor.t) > 0 || (type === cursor.t && cursor.i === true)) : {};
    const docs = await db.collection(collectionNameFor(type)).find(and([filter, keyset]), { sort: toSortSpec(walk), limit: query.count + 1, projection: PROJECTION });
    for (const doc of docs) rows.push({ doc, type, values: rowValues(doc, order) });
  }
  rows.sort((a, b) => compareRows(walk, a.values, b.values) || typeDir * compareValues(a.type, b.type));
  const more = rows.length > query.count;
  const page = rows.slice(0, query.count);
  if (backwards) page.reverse();

  const at = (d: CursorPayload['d'], row: Row): string => encodeCursor({ d, k: row.values, t: row.type, q: hash });
  const first = page[0];
  const last = page.at(-1);
  const result: SearchPage<StoredVersion> = { entries: page.map((r) => storedVersionOf(r.doc)) };
  if (backwards) {
    if (last) result.nextCursor = at('next', last);
    else if (cursor) result.nextCursor = encodeCursor({ ...cursor, d: 'next', i: true });
    if (more && first) result.previousCursor = at('prev', first);
  } else {
    if (more && last) result.nextCursor = at('next', last);
    if (cursor && first) result.previousCursor = at('prev', first);
    else if (cursor) result.previousCursor = encodeCursor({ ...cursor, d: 'prev', i: true });
  }
  if (query.total === 'accurate' || (query.total === 'estimate' && (cursor || more))) result.total = await count();
  else if (query.total === 'estimate') result.total = page.length;
  return result;
}
