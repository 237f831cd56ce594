/**
 * The shared search suite: every store runs it from its own *.int.test.ts with a factory that opens a
 * fresh, empty store. A few Synthea bundles of both corpus sets (plus hand-written extras) are loaded,
 * and every result set is compared with an independent FHIRPath oracle (testing/oracle/).
 * Skipped with the reason when the Synthea corpus is absent (a failure under CI=true).
 */
import { describe, it, before, after } from 'node:test';
import type { StoreFactory } from '../../../store/testing/store-contract.js';
import type { ResourceStore } from '../../../store/resource-store.js';
import { SearchHarness } from './search-harness.js';
import { syntheaMissing } from './synthea-loader.js';
import { filterTests } from './contract-filters.js';
import { chainTests } from './contract-chains.js';
import { resultTests } from './contract-results.js';
import { accessTests } from './contract-access.js';
import { lastnTests } from './contract-lastn.js';
import { filterParamTests } from './contract-filter-param.js';
import { listParamTests } from './contract-list-param.js';
import { textParamTests } from './contract-text-param.js';
import { contentParamTests } from './contract-content-param.js';
import { comboParamTests } from './contract-combo-params.js';

export function describeSearchContract(label: string, factory: StoreFactory): void {
  describe(`Search contract: ${label}`, () => {
    const missing = syntheaMissing();
    if (missing) {
      it('runs the search contract over Synthea', { skip: missing }, () => {});
      return;
    }
    let store: ResourceStore;
    let dispose: () => Promise<void>;
    let harness: SearchHarness;
    before(async () => {
      ({ store, dispose } = await factory());
      await store.init();
      console.log(`# store under test: ${store.description}`);
      harness = await SearchHarness.open(store);
    });
    after(async () => {
      await store?.close();
      await dispose?.();
    });
    const h = () => harness;
    describe('parameter types and modifiers', () => filterTests(h));
    describe('chains and _has', () => chainTests(h));
    describe('sorting, paging, totals, summaries and includes', () => resultTests(h));
    describe('system and compartment search, access policy, errors', () => accessTests(h));
    describe('_filter', () => filterParamTests(h));
    describe('_list', () => listParamTests(h));
    describe('_text', () => textParamTests(h));
    describe('_content', () => contentParamTests(h));
    describe('Observation/$lastn', () => lastnTests(h));
    describe('Observation combo-* (unions of other parameters)', () => comboParamTests(h));
  });
}
