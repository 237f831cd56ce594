/**
 * The MongoDB lock (lease documents + fence) between two stores on one database, as two server processes have:
 * in process with mingo (no MongoDB server here). What it shows holds on a replica set too: it relies only on a
 * unique _id, single-document updates and a write inside the write's transaction.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@medplum/fhirtypes';
import { MemoryDatabase } from './memory-db.js';
import { MongoStore } from './mongo-store.js';
import { LOCKS_COLLECTION } from './collection-names.js';
import { LockLostError, type VersionWrite } from '../resource-store.js';

const version = (id: string, versionId: number): VersionWrite => {
  const lastUpdated = new Date().toISOString();
  return {
    resourceType: 'Basic',
    id,
    versionId,
    lastUpdated,
    resource: { resourceType: 'Basic', id, meta: { versionId: String(versionId), lastUpdated } } as Resource,
    index: { entries: [], compartments: [] },
  };
};

async function twoStores() {
  const db = new MemoryDatabase();
  const stores = [new MongoStore(db), new MongoStore(db)] as const;
  await stores[0].init();
  return { db, stores };
}

describe('MongoDB locks (lease documents with a fence), two stores on one database', () => {
  it('holders on two stores are serialised: 40 read-then-write holders all succeed; no lease is left', async () => {
    const { db, stores } = await twoStores();
    const bump = (i: number) =>
      stores[i % 2]!.withLocks(['Patient?identifier=x'], async (locked) => {
        const current = await locked.read('Basic', 'n');
        await locked.write([version('n', (current?.versionId ?? 0) + 1)]);
      });
    await Promise.all(Array.from({ length: 40 }, (_, i) => bump(i)));
    assert.equal((await stores[0].read('Basic', 'n'))?.versionId, 40);
    assert.deepEqual(await db.collection(LOCKS_COLLECTION).find({}), [], 'every lease deleted on release');
  });

  it('a lease left by a dead holder is taken over once expired; a live one is waited for', async () => {
    const { db, stores } = await twoStores();
    const leases = db.collection(LOCKS_COLLECTION);
    await stores[0].withLocks(['k'], async () => {
      const [doc] = await leases.find({});
      assert.ok(doc, 'the lease document exists while held');
      // the holder "dies": its document stays, its lease runs out
      await leases.updateOne({ _id: doc._id }, { $set: { owner: 'dead-process', expiresAt: Date.now() - 1 } });
    });
    assert.equal((await leases.find({})).length, 1, 'the dead holder’s document is still there');
    const started = Date.now();
    assert.equal(await stores[1].withLocks(['k'], async () => 'taken over'), 'taken over');
    assert.ok(Date.now() - started < 5_000);
  });

  it('a holder whose lease was taken over writes nothing (fence): LockLostError', async () => {
    const { db, stores } = await twoStores();
    const leases = db.collection(LOCKS_COLLECTION);
    await assert.rejects(
      stores[0].withLocks(['fenced'], async (locked) => {
        const [doc] = await leases.find({});
        await leases.updateOne({ _id: doc!._id }, { $set: { expiresAt: Date.now() - 1 } }); // a stall past the lease
        await stores[1].withLocks(['fenced'], async (other) => other.write([version('f', 1)])); // taken over
        await locked.write([version('g', 1)]);
      }),
      LockLostError,
    );
    assert.equal(await stores[0].read('Basic', 'g'), undefined, 'the fenced write left nothing');
    assert.equal((await stores[0].read('Basic', 'f'))?.versionId, 1);
  });
});
