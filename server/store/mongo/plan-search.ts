/**
 * The pure half of search(): a SearchQuery (whose chain/_has conditions are already resolved per type)
 * → exactly one find() per collection, with filter, sort, limit and the keyset condition of the cursor.
 */
import type { Condition, SearchQuery, SortKey } from '../../fhir/search/search-query.js';
import { collectionNameFor } from './collection-names.js';
import { compileSearchFilter } from './compile-condition.js';
import { decodeCursor, queryHash, type CursorPayload } from './cursor.js';
import type { Filter, SortSpec } from './doc-db.js';
import { and } from './filter-parts.js';
import { afterFilter, compareValues, reverseOrder, toSortSpec } from './keyset.js';
import { fieldSortFor, type FieldSort } from './sort-values.js';

export const SEARCH_PROJECTION = {
  resourceType: 1,
  id: 1,
  versionId: 1,
  lastUpdated: 1,
  deleted: 1,
  resource: 1,
  numberTexts: 1,
  lu: 1,
  sort: 1,
} as const;

export type FindPlan = {
  type: string;
  collection: string;
  filter: Filter;
  countFilter: Filter;
  sort: SortSpec;
  limit: number;
};

export type SearchPlan = {
  /** The result order (sort keys, then _id). */
  order: FieldSort[];
  /** The order the finds walk in (reversed for a previous-page cursor). */
  walk: FieldSort[];
  backwards: boolean;
  hash: string;
  cursor?: CursorPayload;
  finds: FindPlan[];
};

/** The physical order of a search: the sort keys, then _id (unless already sorted by id). */
export function searchOrder(sort: SortKey[]): FieldSort[] {
  const order: FieldSort[] = [];
  // a repeated key adds nothing (and one field cannot sort twice)
  for (const k of sort.map(fieldSortFor)) if (!order.some((o) => o.field === k.field)) order.push(k);
  if (!order.some((k) => k.field === '_id')) order.push({ field: '_id', dir: 1 });
  return order;
}

/** `resolved`: per resource type, the query's conditions with chain/_has rewritten (resolve-joins.ts). */
export function planSearch(query: SearchQuery, resolved: Array<{ type: string; conditions: Condition[] }>): SearchPlan {
  const order = searchOrder(query.sort);
  // the types as asked (not as found: a system search stays pageable when a new type appears meanwhile)
  const hash = queryHash([query.resourceTypes, query.conditions, query.sort]);
  const cursor = query.cursor ? decodeCursor(query.cursor, hash) : undefined;
  const backwards = cursor?.d === 'prev';
  const walk = backwards ? reverseOrder(order) : order;
  const typeDir = backwards ? -1 : 1;
  const finds = resolved.map(({ type, conditions }) => {
    const countFilter = compileSearchFilter(conditions);
    const tail =
      cursor !== undefined && (typeDir * compareValues(type, cursor.t) > 0 || (type === cursor.t && cursor.i === true));
    const filter = cursor ? and([countFilter, afterFilter(walk, cursor.k, tail)]) : countFilter;
    return {
      type,
      collection: collectionNameFor(type),
      filter,
      countFilter,
      sort: toSortSpec(walk),
      limit: Math.max(query.count, 0) + 1,
    };
  });
  return { order, walk, backwards, hash, ...(cursor ? { cursor } : {}), finds };
}
