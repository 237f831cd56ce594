/**
 * The upgrade path of the stored index, on every store: a database written before the Arabic folds (index values
 * as the earlier normalisation wrote them, no name parts, no phonetic keys, no recorded index version) misses the
 * new matches; `reindexStore` (what the server runs in the background and `npm run reindex` runs) re-extracts it,
 * resumes after a stop, skips a resource updated meanwhile, and records the version so the next start does nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Patient, Resource } from '@medplum/fhirtypes';
import type { ResourceStore, VersionWrite } from '../../store/resource-store.js';
import type { StoreFactory } from '../../store/testing/store-contract.js';
import { pgliteTestStore, postgresTestStore } from '../../store/postgres/testing/test-stores.js';
import { mongoTestStore } from '../../store/mongo/testing/test-stores.js';
import { extractIndex } from './extract-index.js';
import type { ResourceIndex } from './index-entry.js';
import { INDEX_VERSION_SETTING, indexStatus, reindexStore } from './reindex.js';
import { INDEX_TEXT_VERSION } from './text/fold-text.js';
import { parseSearch } from '../search/parse-search.js';
import { FULL_ACCESS } from '../access-policy.js';

/** What the index held before (normalizeString of the earlier version: NFD, Latin accents only). */
function oldIndex(resource: Resource): ResourceIndex {
  const index = extractIndex(resource);
  const fold = (s: string) =>
    s
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/\s+/g, ' ')
      .trim();
  return {
    ...index,
    entries: index.entries
      .filter(
        (e) =>
          !(e.kind === 'string' && (e.param === 'phonetic' || e.param.endsWith('~part') || e.param.endsWith('~pair'))),
      )
      .map((e) => (e.kind === 'string' ? { ...e, value: fold(e.exact) } : e)),
  };
}

const patient = (id: string, given: string, family: string): Patient => ({
  resourceType: 'Patient',
  id,
  name: [{ given: [given], family }],
  meta: { versionId: '1', lastUpdated: '2024-01-01T00:00:00.000Z' },
});

function write(resource: Patient, versionId: number, index: ResourceIndex): VersionWrite {
  const lastUpdated = new Date(Date.UTC(2024, 0, 1, 0, 0, versionId)).toISOString();
  return {
    resourceType: 'Patient',
    id: resource.id!,
    versionId,
    lastUpdated,
    resource: { ...resource, meta: { versionId: String(versionId), lastUpdated } },
    index,
  };
}

async function ids(store: ResourceStore, name: string, value: string): Promise<string[]> {
  const { query } = parseSearch(['Patient'], [[name, value]], { baseUrl: 'http://h/fhir', access: FULL_ACCESS });
  query.count = 100;
  return (await store.search(query)).entries.map((v) => v.id).sort();
}

const STORES: Array<[string, StoreFactory]> = [
  ['pglite', pgliteTestStore],
  ['postgres', postgresTestStore],
  ['mongo', mongoTestStore],
];

for (const [label, factory] of STORES) {
  describe(`reindex after an index text change: ${label}`, () => {
    let store: ResourceStore;
    let dispose: () => Promise<void>;
    const TYPES = ['Observation', 'Patient'];

    before(async () => {
      ({ store, dispose } = await factory());
      await store.init();
      console.log(`# store under test: ${store.description}`);
      const old = Array.from({ length: 25 }, (_, i) => patient(`p${i}`, i % 2 ? 'مُحَمَّد' : 'فاطمة', 'أَحْمَد'));
      await store.write(old.map((p) => write(p, 1, oldIndex(p))));
    });
    after(async () => {
      await store?.close();
      await dispose?.();
    });

    it('an index without a recorded version is outdated; the old values miss the new matches', async () => {
      assert.deepEqual(await indexStatus(store), { stored: 1, current: INDEX_TEXT_VERSION, upToDate: false });
      assert.deepEqual(await ids(store, 'family', 'احمد'), []);
      assert.deepEqual(await ids(store, 'phonetic', 'Mohamed'), []);
    });

    it('resumes after a stop, skips a version written meanwhile, and records the version when complete', async () => {
      const controller = new AbortController();
      const first = await reindexStore(store, {
        resourceTypes: TYPES,
        extractIndex,
        batchSize: 10,
        signal: controller.signal,
        onProgress: () => controller.abort(), // stop after the first batch
      });
      assert.deepEqual(first, { resources: 10, replaced: 10, completed: false });
      assert.equal((await indexStatus(store)).upToDate, false);
      assert.equal((await ids(store, 'family', 'احمد')).length, 10);

      // p24 is updated by the new code after a reindex batch read version 1: that batch must not overwrite it
      const stale = patient('p24', 'فاطمة', 'أَحْمَد');
      const updated = { ...patient('p24', 'Mahmoud', 'Osman') };
      await store.write([write(updated, 2, extractIndex(updated))]);
      const replacedStale = await store.replaceIndexes([
        { resourceType: 'Patient', id: 'p24', versionId: 1, index: extractIndex(stale) },
      ]);
      assert.equal(replacedStale, 0);
      assert.deepEqual(await ids(store, 'family', 'osman'), ['p24']);

      const second = await reindexStore(store, { resourceTypes: TYPES, extractIndex, batchSize: 10 });
      assert.equal(second.completed, true);
      assert.equal(second.resources, 15);
      assert.equal(second.replaced, 15);
      assert.deepEqual(await indexStatus(store), {
        stored: INDEX_TEXT_VERSION,
        current: INDEX_TEXT_VERSION,
        upToDate: true,
      });
      assert.equal(await store.readSetting(INDEX_VERSION_SETTING), String(INDEX_TEXT_VERSION));

      assert.equal((await ids(store, 'family', 'احمد')).length, 24);
      assert.deepEqual(await ids(store, 'family', 'osman'), ['p24']);
      assert.equal((await ids(store, 'phonetic', 'Mohamed')).length, 12);
      assert.equal((await ids(store, 'given', 'فاطمه')).length, 12);
    });

    it('running it again changes nothing', async () => {
      const before = await ids(store, 'phonetic', 'Fatma');
      const again = await reindexStore(store, { resourceTypes: TYPES, extractIndex, batchSize: 7 });
      assert.equal(again.completed, true);
      assert.deepEqual(await ids(store, 'phonetic', 'Fatma'), before);
      assert.equal(before.length, 12);
    });
  });
}

describe('a new, empty store needs no reindex', () => {
  it('records the current version at the first status check', async () => {
    const { store, dispose } = await pgliteTestStore();
    try {
      await store.init();
      assert.deepEqual(await indexStatus(store), {
        stored: INDEX_TEXT_VERSION,
        current: INDEX_TEXT_VERSION,
        upToDate: true,
      });
      assert.equal(await store.readSetting(INDEX_VERSION_SETTING), String(INDEX_TEXT_VERSION));
    } finally {
      await store.close();
      await dispose();
    }
  });
});
