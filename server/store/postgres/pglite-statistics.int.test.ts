/**
 * The embedded store's planner statistics across restarts (statistics.ts): a new folder is analysed before it
 * serves; a folder analysed before keeps its statistics at the next start instead of analysing everything again
 * (the largest part of a restart after kill -9 on a loaded folder); the growth since counts towards the next analysis.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPgliteStore, sqlClientOf } from './open-postgres-store.js';
import { embeddedGrowth } from './statistics.js';
import type { ResourceStore } from '../resource-store.js';

function patients(from: number, count: number) {
  const lastUpdated = new Date().toISOString();
  return Array.from({ length: count }, (_, k) => {
    const id = `p${from + k}`;
    return {
      resourceType: 'Patient',
      id,
      versionId: 1,
      lastUpdated,
      resource: { resourceType: 'Patient' as const, id, meta: { versionId: '1', lastUpdated } },
      index: { entries: [{ kind: 'string' as const, param: 'name', value: id, exact: id }], compartments: [] },
    };
  });
}

async function analysedRows(store: ResourceStore): Promise<number> {
  const { rows } = await sqlClientOf(store)!.query<{ n: number }>({
    text: `SELECT reltuples::float8 AS n FROM pg_class WHERE relname = 'fhir_history' AND relkind = 'r'`,
  });
  return Number(rows[0]!.n);
}

describe('PGlite planner statistics across restarts', () => {
  let dataDir = '';
  after(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('analyses a new folder at start, and does not analyse an analysed one again', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'nilecare-pglite-stats-'));
    let store = await openPgliteStore({ dataDir });
    await store.init();
    assert.equal(await analysedRows(store), 0, 'a new store is analysed (empty) before it serves');
    await store.write(patients(0, 1000)); // 1,000 versions: an analysis in the background, awaited by close()
    await store.close();

    store = await openPgliteStore({ dataDir });
    await store.init();
    assert.equal(await analysedRows(store), 1000);
    await store.write(patients(1000, 100)); // 10 %: no analysis due
    await store.close();

    store = await openPgliteStore({ dataDir });
    await store.init();
    // analysing at start would count 1,100; the statistics of 1,000 rows are kept (the planner scales them by pages)
    assert.equal(await analysedRows(store), 1000);
    assert.equal((await store.read('Patient', 'p1099'))?.versionId, 1);
    await store.close();
  });

  it('counts the growth since the last analysis from the table pages', () => {
    assert.equal(embeddedGrowth(undefined), undefined);
    assert.equal(embeddedGrowth({ tuples: -1, pages: 0, now: 0 }), undefined, 'never analysed');
    assert.equal(embeddedGrowth({ tuples: 0, pages: 0, now: 40 }), undefined, 'analysed empty');
    assert.equal(embeddedGrowth({ tuples: 1000, pages: 100, now: 100 }), 0);
    assert.equal(embeddedGrowth({ tuples: 1000, pages: 100, now: 150 }), 500);
    assert.equal(embeddedGrowth({ tuples: 1000, pages: 100, now: 90 }), 0, 'smaller (a vacuum): no growth');
  });
});
