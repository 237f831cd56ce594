/** Test helpers: hand-built index entries and a writer that continues each resource's version sequence. */
import type { Resource } from '@medplum/fhirtypes';
import type { IndexEntry } from '../../../fhir/indexing/index-entry.js';
import type { ResourceStore } from '../../resource-store.js';
import type { Condition, SearchQuery } from '../../../fhir/search/search-query.js';

export const str = (param: string, exact: string): IndexEntry => ({
  kind: 'string',
  param,
  value: exact.toLowerCase(),
  exact,
});
export const tok = (param: string, system: string | null, code: string | null, text?: string): IndexEntry => ({
  kind: 'token',
  param,
  system,
  code,
  ...(text ? { text } : {}),
});
export const day = (param: string, isoDay: string): IndexEntry => {
  const low = Date.parse(`${isoDay}T00:00:00Z`);
  return { kind: 'date', param, low, high: low + 86_400_000 - 1 };
};
export const num = (param: string, value: number): IndexEntry => ({
  kind: 'number',
  param,
  value,
  low: value - 0.05,
  high: value + 0.05,
});
export const qty = (
  param: string,
  value: number,
  code: string,
  canonical?: { value: number; code: string },
): IndexEntry => ({
  kind: 'quantity',
  param,
  value,
  low: value - 0.05,
  high: value + 0.05,
  system: 'http://unitsofmeasure.org',
  code,
  unit: code,
  ...(canonical ? { canonicalValue: canonical.value, canonicalCode: canonical.code } : {}),
});
export const ref = (param: string, targetType: string, targetId: string, url: string | null = null): IndexEntry => ({
  kind: 'reference',
  param,
  targetType,
  targetId,
  url,
});
export const uri = (param: string, value: string): IndexEntry => ({ kind: 'uri', param, value });

let clock = Date.UTC(2031, 0, 1);

/** Writes the next version of a resource with the given entries; returns the version written. */
export async function put(
  store: ResourceStore,
  resourceType: string,
  id: string,
  entries: IndexEntry[],
  options: { compartments?: string[]; body?: Record<string, unknown>; at?: number } = {},
): Promise<number> {
  const current = await store.read(resourceType, id);
  const versionId = (current?.versionId ?? 0) + 1;
  clock += 1000;
  const lastUpdated = new Date(options.at ?? clock).toISOString();
  const resource = {
    resourceType,
    id,
    ...options.body,
    meta: { versionId: String(versionId), lastUpdated },
  } as unknown as Resource;
  await store.write([
    {
      resourceType,
      id,
      versionId,
      lastUpdated,
      resource,
      index: { entries, compartments: options.compartments ?? [] },
    },
  ]);
  return versionId;
}

export async function remove(store: ResourceStore, resourceType: string, id: string): Promise<void> {
  const current = await store.read(resourceType, id);
  clock += 1000;
  await store.write([
    {
      resourceType,
      id,
      versionId: (current?.versionId ?? 0) + 1,
      lastUpdated: new Date(clock).toISOString(),
      resource: null,
      index: { entries: [], compartments: [] },
    },
  ]);
}

export function query(resourceTypes: string[], conditions: Condition[], extra: Partial<SearchQuery> = {}): SearchQuery {
  return { resourceTypes, conditions, sort: [], count: 100, total: 'none', ...extra };
}

/** Ids found by a search, sorted (for conditions, where order does not matter). */
export async function ids(store: ResourceStore, q: SearchQuery): Promise<string[]> {
  return (await store.search(q)).entries.map((e) => e.id).sort();
}
