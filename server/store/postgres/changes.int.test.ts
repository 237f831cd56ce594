/**
 * The outbox under concurrency: while 16 writers commit, a consumer that polls changesAfter(lastSeq)
 * sees every committed version exactly once, with strictly increasing seqs (nothing committed late
 * can slip in behind its cursor). On the server (a pool of 16) and on PGlite.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceStore } from '../resource-store.js';
import type { StoreFactory } from '../testing/store-contract.js';
import { put } from './search/testing/search-test-helpers.js';
import { pgliteTestStore, postgresTestStore } from './testing/test-stores.js';

function describeOutbox(label: string, factory: StoreFactory, total: number): void {
  describe(`PostgreSQL store outbox under concurrent writers: ${label}`, () => {
    let store: ResourceStore;
    let dispose: () => Promise<void>;
    before(async () => {
      ({ store, dispose } = await factory());
      await store.init();
    });
    after(async () => {
      await store?.close();
      await dispose?.();
    });

    it(`a polling consumer sees each of ${total} concurrent commits once, in increasing seq`, async () => {
      let next = 0;
      let writing = true;
      const writers = Array.from({ length: 16 }, async () => {
        while (next < total) {
          const i = next++;
          await put(store, { type: 'Observation', id: `w${i}`, entries: [] });
          if (i % 3 === 0) await put(store, { type: 'Observation', id: `w${i}`, entries: [] }); // a second version
        }
      });
      const seen: string[] = [];
      let lastSeq = 0;
      const consumer = (async () => {
        while (writing) {
          for (const change of await store.changesAfter(lastSeq, 50)) {
            assert.ok(change.seq > lastSeq, 'seqs increase');
            lastSeq = change.seq;
            seen.push(`${change.id}@${change.versionId}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();
      await Promise.all(writers);
      writing = false;
      await consumer;
      for (const change of await store.changesAfter(lastSeq, 100_000)) {
        assert.ok(change.seq > lastSeq);
        lastSeq = change.seq;
        seen.push(`${change.id}@${change.versionId}`);
      }
      const expected = Array.from({ length: total }, (_, i) =>
        i % 3 === 0 ? [`w${i}@1`, `w${i}@2`] : [`w${i}@1`],
      ).flat();
      assert.equal(new Set(seen).size, seen.length, 'no change twice');
      assert.deepEqual([...seen].sort(), expected.sort(), 'every committed version once');
      const position = new Map(seen.map((s, i) => [s, i]));
      for (let i = 0; i < total; i += 3)
        assert.ok(position.get(`w${i}@1`)! < position.get(`w${i}@2`)!, 'versions of a resource in order');
    });
  });
}

describeOutbox('PostgreSQL 15 server', postgresTestStore, 600);
describeOutbox('embedded PGlite', pgliteTestStore, 200);
