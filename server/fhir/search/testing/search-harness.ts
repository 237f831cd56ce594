/**
 * What the shared search suite's tests use: the store under test with the corpus loaded, the oracle over
 * the same resources, and helpers that run searchInteraction and compare with the oracle.
 */
import assert from 'node:assert/strict';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { ResourceStore } from '../../../store/resource-store.js';
import { FULL_ACCESS, type AccessPolicy } from '../../access-policy.js';
import { searchInteraction } from '../search-interaction.js';
import { CURSOR_PARAM } from '../search-constants.js';
import { SearchOracle } from './oracle/search-oracle.js';
import { loadSynthea, writeAll } from './synthea-loader.js';
import { extraResources } from './extra-resources.js';

export const TEST_BASE = 'http://nilecare.test/fhir';

export type SearchOptions = {
  access?: AccessPolicy;
  compartment?: { resourceType: string; id: string };
  handling?: 'strict' | 'lenient';
};

export class SearchHarness {
  private constructor(
    readonly store: ResourceStore,
    readonly oracle: SearchOracle,
  ) {}

  static async open(store: ResourceStore): Promise<SearchHarness> {
    const loaded = await loadSynthea(store);
    const patients = loaded.filter((r) => r.resourceType === 'Patient').map((r) => r.id!);
    const extras = extraResources(patients);
    await writeAll(store, extras);
    return new SearchHarness(store, new SearchOracle([...loaded, ...extras], TEST_BASE));
  }

  search(types: string[], params: Array<[string, string]>, options: SearchOptions = {}): Promise<Bundle> {
    return searchInteraction({
      store: this.store,
      resourceTypes: types,
      params,
      baseUrl: TEST_BASE,
      compartment: options.compartment,
      access: options.access ?? FULL_ACCESS,
      handling: options.handling ?? 'strict',
    });
  }

  /** Every match over all pages (following `next` links), as `Type/id` in page order. */
  async collect(
    types: string[],
    params: Array<[string, string]>,
    options: SearchOptions = {},
  ): Promise<{ keys: string[]; pages: Bundle[] }> {
    const pages: Bundle[] = [];
    let current = params;
    for (let i = 0; i < 500; i++) {
      const bundle = await this.search(types, current, options);
      pages.push(bundle);
      const next = bundle.link?.find((l) => l.relation === 'next')?.url;
      if (!next) break;
      current = paramsOf(next);
    }
    return { keys: pages.flatMap(matchKeys), pages };
  }

  /** Asserts that the search returns exactly what the oracle computes (and at least `min` resources). */
  async expectOracle(
    types: string[],
    params: Array<[string, string]>,
    min = 1,
    options: SearchOptions = {},
  ): Promise<string[]> {
    const { keys } = await this.collect(types, [...params, ['_count', '1000']], options);
    const expected = this.oracle.search(types, params);
    assert.deepEqual(
      [...keys].sort(),
      expected,
      `${types.join(',') || '*'}?${params.map((p) => p.join('=')).join('&')}`,
    );
    assert.ok(
      expected.length >= min,
      `oracle found ${expected.length} < ${min} for ${params.map((p) => p.join('=')).join('&')}: choose a better probe`,
    );
    assert.equal(new Set(keys).size, keys.length, 'no resource is returned twice');
    return keys;
  }

  async add(resources: Resource[]): Promise<void> {
    await writeAll(this.store, resources);
    for (const r of resources) this.oracle.add(r);
  }

  /** Resources of a type, sorted by id (to pick probe values from the data deterministically). */
  sample(type: string): Resource[] {
    return this.oracle.all([type]).sort((a, b) => a.id!.localeCompare(b.id!));
  }
}

export function matchKeys(bundle: Bundle): string[] {
  return (bundle.entry ?? [])
    .filter((e) => e.search?.mode === 'match')
    .map((e) => `${e.resource!.resourceType}/${e.resource!.id}`);
}

export function includeKeys(bundle: Bundle): string[] {
  return (bundle.entry ?? [])
    .filter((e) => e.search?.mode === 'include')
    .map((e) => `${e.resource!.resourceType}/${e.resource!.id}`)
    .sort();
}

/** The parameters of a link URL (cursor included), decoded, in order. */
export function paramsOf(url: string): Array<[string, string]> {
  return [...new URL(url).searchParams.entries()];
}

export function cursorOf(url: string | undefined): string | undefined {
  return url ? (new URL(url).searchParams.get(CURSOR_PARAM) ?? undefined) : undefined;
}
