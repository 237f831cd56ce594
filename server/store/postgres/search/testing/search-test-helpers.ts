/** Helpers for the search-compiler suites: write resources with hand-built index entries, then search. */
import type { Resource } from '@medplum/fhirtypes';
import type { IndexEntry } from '../../../../fhir/indexing/index-entry.js';
import { normalizeString } from '../../../../fhir/indexing/normalize.js';
import type { Condition, SearchQuery, SortKey } from '../../../../fhir/search/search-query.js';
import type { ResourceStore } from '../../../resource-store.js';

export type Fixture = {
  type: string;
  id: string;
  entries: IndexEntry[];
  compartments?: string[];
  lastUpdated?: string;
};

const versionsByStore = new WeakMap<ResourceStore, Map<string, number>>();
function versionsOf(store: ResourceStore): Map<string, number> {
  let versions = versionsByStore.get(store);
  if (!versions) versionsByStore.set(store, (versions = new Map()));
  return versions;
}

/** Writes the next version of each fixture (one batch). */
export async function put(store: ResourceStore, ...fixtures: Fixture[]): Promise<void> {
  const versions = versionsOf(store);
  await store.write(
    fixtures.map((f) => {
      const key = `${f.type}/${f.id}`;
      const versionId = (versions.get(key) ?? 0) + 1;
      versions.set(key, versionId);
      const lastUpdated = f.lastUpdated ?? new Date().toISOString();
      return {
        resourceType: f.type,
        id: f.id,
        versionId,
        lastUpdated,
        resource: { resourceType: f.type, id: f.id, meta: { versionId: String(versionId), lastUpdated } } as Resource,
        index: { entries: f.entries, compartments: f.compartments ?? [] },
      };
    }),
  );
}

export async function remove(store: ResourceStore, type: string, id: string): Promise<void> {
  const versions = versionsOf(store);
  const key = `${type}/${id}`;
  const versionId = (versions.get(key) ?? 0) + 1;
  versions.set(key, versionId);
  await store.write([
    {
      resourceType: type,
      id,
      versionId,
      lastUpdated: new Date().toISOString(),
      resource: null,
      index: { entries: [], compartments: [] },
    },
  ]);
}

export function query(
  types: string | string[],
  conditions: Condition[],
  extra: Partial<SearchQuery> = {},
): SearchQuery {
  return {
    resourceTypes: typeof types === 'string' ? [types] : types,
    conditions,
    sort: [],
    count: 100,
    total: 'none',
    ...extra,
  };
}

/** The ids found, sorted (for order-free comparisons). */
export async function ids(
  store: ResourceStore,
  types: string | string[],
  ...conditions: Condition[]
): Promise<string[]> {
  const page = await store.search(query(types, conditions));
  return page.entries.map((e) => e.id).sort();
}

/** The ids in the order returned. */
export async function ordered(
  store: ResourceStore,
  type: string,
  sort: SortKey[],
  conditions: Condition[] = [],
): Promise<string[]> {
  const page = await store.search(query(type, conditions, { sort }));
  return page.entries.map((e) => e.id);
}

export const str = (param: string, exact: string): IndexEntry => ({
  kind: 'string',
  param,
  exact,
  value: normalizeString(exact), // as the extractor writes it (:exact relies on value = normalizeString(exact))
});
export const tok = (
  param: string,
  system: string | null,
  code: string | null,
  extra: { text?: string; typeSystem?: string; typeCode?: string } = {},
): IndexEntry => ({
  kind: 'token',
  param,
  system,
  code,
  ...extra,
});
export const day = (param: string, iso: string): IndexEntry => {
  const low = Date.parse(`${iso}T00:00:00Z`);
  return { kind: 'date', param, low, high: low + 86_400_000 - 1 };
};
export const num = (param: string, value: number, halfStep = 0.5): IndexEntry => ({
  kind: 'number',
  param,
  value,
  low: value - halfStep,
  high: value + halfStep,
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
export const ref = (param: string, target: string): IndexEntry => {
  const [targetType, targetId] = target.split('/');
  return { kind: 'reference', param, targetType: targetType ?? null, targetId: targetId ?? null, url: null };
};
export const uri = (param: string, value: string): IndexEntry => ({ kind: 'uri', param, value });
export const composite = (param: string, ...parts: IndexEntry[]): IndexEntry => ({ kind: 'composite', param, parts });

export const ms = (iso: string): number => Date.parse(iso);
