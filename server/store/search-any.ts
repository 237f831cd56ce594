/**
 * ResourceStore.searchAny for any store: its own (one round trip) when it has one, else the searches one by one,
 * in parallel, with the same result — each query's first `count` matches, each resource once.
 */
import type { SearchQuery } from '../fhir/search/search-query.js';
import type { ResourceStore, StoredVersion } from './resource-store.js';

export async function searchAny(store: ResourceStore, queries: SearchQuery[]): Promise<StoredVersion[]> {
  if (store.searchAny) return store.searchAny(queries);
  return searchEach(store, queries);
}

/** The searches one by one (the fallback, and what a store's own searchAny must answer alike). */
export async function searchEach(store: ResourceStore, queries: SearchQuery[]): Promise<StoredVersion[]> {
  const pages = await Promise.all(
    queries.map((q) =>
      Math.floor(q.count) > 0 ? store.search({ ...q, total: 'none' }).then((p) => p.entries) : Promise.resolve([]),
    ),
  );
  const byKey = new Map<string, StoredVersion>();
  for (const page of pages) for (const v of page) byKey.set(`${v.resourceType}/${v.id}`, v);
  return [...byKey.values()];
}
