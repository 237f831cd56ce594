/**
 * history(): one query on resource_history, newest first, keyset-paged. Instance history is ordered
 * by versionId; type and system history by lastUpdated, then type, id and version.
 */
import type { HistoryPage, HistoryQuery } from '../resource-store.js';
import { HISTORY_COLLECTION } from './collection-names.js';
import { decodeCursor, encodeCursor, queryHash } from './cursor.js';
import type { DocDatabase, Filter } from './doc-db.js';
import { instantMs, storedVersionOf } from './documents.js';
import { and } from './filter-parts.js';
import { afterFilter, rowValues, toSortSpec } from './keyset.js';
import type { FieldSort } from './sort-values.js';

const INSTANCE_ORDER: FieldSort[] = [{ field: 'versionId', dir: -1 }];
const TIMELINE_ORDER: FieldSort[] = [
  { field: 'lu', dir: -1 },
  { field: 'resourceType', dir: 1 },
  { field: 'id', dir: 1 },
  { field: 'versionId', dir: -1 },
];

export async function runHistory(db: DocDatabase, query: HistoryQuery): Promise<HistoryPage> {
  if (query.id !== undefined && query.resourceType === undefined)
    throw new Error('instance history needs a resourceType');
  const order = query.id !== undefined ? INSTANCE_ORDER : TIMELINE_ORDER;
  const hash = queryHash([
    'history',
    query.resourceType ?? null,
    query.id ?? null,
    query.since ?? null,
    query.before ?? null,
  ]);
  const cursor = query.cursor ? decodeCursor(query.cursor, hash) : undefined;
  const lu: Record<string, number> = {};
  if (query.since !== undefined) lu['$gte'] = instantMs(query.since);
  if (query.before !== undefined) lu['$lte'] = instantMs(query.before);
  const filter: Filter = and([
    query.resourceType !== undefined ? { resourceType: query.resourceType } : {},
    query.id !== undefined ? { id: query.id } : {},
    Object.keys(lu).length > 0 ? { lu } : {},
  ]);
  const count = Math.max(query.count, 0);
  const docs = await db
    .collection(HISTORY_COLLECTION)
    .find(and([filter, cursor ? afterFilter(order, cursor.k, false) : {}]), {
      sort: toSortSpec(order),
      limit: count + 1,
    });
  const page = docs.slice(0, count);
  const result: HistoryPage = { versions: page.map(storedVersionOf) };
  const last = page.at(-1);
  if (docs.length > count && last)
    result.nextCursor = encodeCursor({ d: 'next', k: rowValues(last, order), t: '', q: hash });
  // instance history is small and indexed: its total is cheap (as in the PostgreSQL store)
  if (query.id !== undefined) result.total = await db.collection(HISTORY_COLLECTION).countDocuments(filter);
  return result;
}
