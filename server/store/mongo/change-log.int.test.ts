/**
 * The MongoDB change log without a shared counter in the write path (change-log.ts): concurrent writers on two
 * store instances ("nodes") sharing one database never make a consumer skip or repeat a change; a change whose key
 * is older than what a reader already saw (a slow transaction, or a node with a clock behind) is still read; a
 * resource's versions are read in version order whatever their keys; writes leave the counter alone.
 * Runs on the server at MONGODB_URL when set, otherwise on the in-process mingo database — whose transactions are
 * serialised, so a transaction left open across a reader's run is argued in change-log.ts, not shown here.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import { VersionConflictError, type ChangeRecord, type VersionWrite } from '../resource-store.js';
import type { DocDatabaseHandle } from './doc-db.js';
import { DriverDatabase } from './driver-db.js';
import { MemoryDatabase } from './memory-db.js';
import { MongoStore } from './mongo-store.js';
import { nextChangeKey } from './change-keys.js';

const url = process.env['MONGODB_URL'] || undefined;

function versionWrite(resourceType: string, id: string, versionId: number): VersionWrite {
  const lastUpdated = new Date().toISOString();
  const resource = { resourceType, id, meta: { versionId: String(versionId), lastUpdated } } as unknown as Resource;
  return { resourceType, id, versionId, lastUpdated, resource, index: { entries: [], compartments: [] } };
}

const keyOf = (c: { resourceType: string; id: string; versionId: number }) =>
  `${c.resourceType}/${c.id}/${c.versionId}`;

/** Reads the feed from `cursor` to its end in pages of `page`, alternating between the stores. */
async function drain(stores: MongoStore[], cursor: number, page: number, into: ChangeRecord[]): Promise<number> {
  for (let turn = 0; ; turn++) {
    const got = await stores[turn % stores.length]!.changesAfter(cursor, page);
    if (got.length === 0) return cursor;
    into.push(...got);
    cursor = got.at(-1)!.seq;
  }
}

describe('mongo change log: ordered without a document every write touches', () => {
  let db: DocDatabaseHandle;
  let nodeA: MongoStore;
  let nodeB: MongoStore;

  before(async () => {
    db = url
      ? await DriverDatabase.connect(url, `nilecare_test_changelog_${randomBytes(4).toString('hex')}`)
      : new MemoryDatabase();
    nodeA = new MongoStore(db);
    nodeB = new MongoStore(db);
    await nodeA.init();
    await nodeB.init();
    console.log(`# store under test: ${nodeA.description}`);
  });
  after(async () => {
    await db?.dropDatabase();
    await db?.close();
  });

  it('concurrent writers on two nodes, three consumers polling meanwhile: each reads every committed version once, in order', async () => {
    const start = await drain([nodeA], 0, 1000, []);
    const committed = new Set<string>();
    const refused = new Set<string>();
    let writing = true;

    const writer = async (node: MongoStore, name: string) => {
      for (let i = 0; i < 12; i++) {
        const own = [versionWrite('Observation', `${name}-${i}`, 1)];
        await node.write(own);
        own.forEach((w) => committed.add(keyOf(w)));
        // a contended resource: every writer tries its next version; exactly one per version wins
        const current = (await node.read('Patient', 'shared'))?.versionId ?? 0;
        const next = versionWrite('Patient', 'shared', current + 1);
        try {
          await node.write([next, versionWrite('Encounter', `${name}-${i}`, 1)]);
          committed.add(keyOf(next));
          committed.add(`Encounter/${name}-${i}/1`);
        } catch (e) {
          if (!(e instanceof VersionConflictError)) throw e;
          refused.add(`Encounter/${name}-${i}/1`);
        }
      }
    };
    const consumer = async (page: number) => {
      const seen: ChangeRecord[] = [];
      let cursor = start;
      while (writing) {
        cursor = await drain([nodeA, nodeB], cursor, page, seen);
        await new Promise((r) => setImmediate(r));
      }
      await drain([nodeB, nodeA], cursor, page, seen);
      return seen;
    };

    const consumers = [consumer(1), consumer(7), consumer(50)];
    await Promise.all(
      ['a1', 'a2', 'a3', 'a4']
        .map((n) => writer(nodeA, n))
        .concat(['b1', 'b2', 'b3', 'b4'].map((n) => writer(nodeB, n))),
    );
    writing = false;
    const seenByEach = await Promise.all(consumers);

    console.log(`# ${committed.size} versions committed, ${refused.size} batches refused on the contended resource`);
    assert.ok(committed.size > 8 * 12, `writes committed: ${committed.size}`);
    for (const seen of seenByEach) {
      const keys = seen.map(keyOf);
      assert.equal(new Set(keys).size, keys.length, 'no change read twice');
      assert.deepEqual(new Set(keys), committed, 'every committed version read, nothing of a refused batch');
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.seq > seen[i - 1]!.seq, 'seq strictly increasing');
      const shared = seen.filter((c) => c.id === 'shared').map((c) => c.versionId);
      assert.deepEqual(
        shared,
        [...shared].sort((x, y) => x - y),
        "a resource's versions in version order",
      );
      assert.deepEqual(
        shared,
        Array.from({ length: shared.length }, (_, i) => i + 1),
        'no version missing',
      );
    }
    for (const r of refused) assert.ok(!committed.has(r));
  });

  it('a change committed after a reader went past its key is still read (slow transaction / clock behind)', async () => {
    const oldKey = nextChangeKey(Date.now() - 60_000);
    await nodeA.write([versionWrite('Observation', 'late-newer', 1)]);
    const cursor = await drain([nodeA], 0, 1000, []);
    // the slow writer commits now, with the key it took a minute ago
    await db.withTransaction(async (tx) => {
      await tx.collection('changes').insertOne({
        _id: oldKey,
        seq: 0,
        resourceType: 'Observation',
        id: 'late-older',
        versionId: 1,
        deleted: false,
        lastUpdated: new Date(Date.now() - 60_000).toISOString(),
      });
    });
    const after = await nodeB.changesAfter(cursor, 100);
    assert.deepEqual(
      after.map((c) => c.id),
      ['late-older'],
    );
    assert.ok(after[0]!.seq > cursor);
  });

  it("numbers a resource's pending versions in version order even when their keys say otherwise", async () => {
    const cursor = await drain([nodeA], 0, 1000, []);
    const now = Date.now();
    const pending = (versionId: number, at: number) => ({
      _id: nextChangeKey(at),
      seq: 0,
      resourceType: 'Patient',
      id: 'skewed',
      versionId,
      deleted: false,
      lastUpdated: new Date(now).toISOString(),
    });
    // version 2 from a node whose clock is 5 s behind the node that wrote version 1
    await db.collection('changes').insertMany([pending(1, now), pending(2, now - 5000)]);
    await db.collection('changes').insertOne({ ...pending(1, now - 2500), id: 'between' });
    const got = await nodeA.changesAfter(cursor, 100);
    assert.deepEqual(
      got.map((c) => `${c.id}/${c.versionId}`),
      ['skewed/1', 'between/1', 'skewed/2'],
    );
  });

  it('a write does not touch the counter; a reader moves it', async () => {
    await drain([nodeA], 0, 1000, []);
    const counter = async () => (await db.collection('counters').findOne({ _id: 'changes' }))?.['seq'];
    const before = await counter();
    await Promise.all([1, 2, 3].map((i) => nodeB.write([versionWrite('Basic', `quiet-${i}`, 1)])));
    assert.equal(await counter(), before);
    assert.equal((await nodeA.changesAfter(before as number, 10)).length, 3);
    assert.equal(await counter(), (before as number) + 3);
  });
});
