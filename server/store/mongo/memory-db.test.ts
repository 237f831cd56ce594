import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DuplicateKeyError } from './doc-db.js';
import { MemoryDatabase } from './memory-db.js';

describe('MemoryDatabase (in-process collection layer evaluated by mingo)', () => {
  it('says it is in-process, not a server', () => {
    assert.match(new MemoryDatabase().description, /mingo in-process; no MONGODB_URL/);
  });

  it('enforces _id and unique indexes like MongoDB, on insert and on update, and creating a unique index over duplicates fails', async () => {
    const db = new MemoryDatabase();
    const c = db.collection('h');
    await c.createIndex({ name: 'u', keys: { t: 1, v: 1 }, unique: true });
    await c.createIndex({ name: 'u', keys: { t: 1, v: 1 }, unique: true }); // idempotent
    await c.insertOne({ _id: 'a', t: 'P', v: 1 });
    await assert.rejects(c.insertOne({ _id: 'a', t: 'P', v: 9 }), DuplicateKeyError);
    await assert.rejects(c.insertOne({ _id: 'b', t: 'P', v: 1 }), DuplicateKeyError);
    await c.insertOne({ _id: 'b', t: 'P', v: 2 });
    await assert.rejects(c.updateOne({ _id: 'b' }, { $set: { v: 1 } }), DuplicateKeyError);
    assert.equal((await c.findOne({ _id: 'b' }))?.['v'], 2, 'a refused update changes nothing');
    await c.deleteMany({ _id: 'a' });
    await c.updateOne({ _id: 'b' }, { $set: { v: 1 } }); // the key is free again
    const d = db.collection('d');
    await d.insertMany([
      { _id: 1, k: 'x' },
      { _id: 2, k: 'x' },
    ]);
    await assert.rejects(d.createIndex({ name: 'k', keys: { k: 1 }, unique: true }), DuplicateKeyError);
  });

  it('rolls a failed transaction back completely (inserts, updates, deletes, upserts) and commits a good one', async () => {
    const db = new MemoryDatabase();
    await db.collection('a').insertOne({ _id: 'keep', n: 1 });
    await db.collection('a').insertOne({ _id: 'gone', n: 1 });
    await assert.rejects(
      db.withTransaction(async (tx) => {
        await tx.collection('a').updateOne({ _id: 'keep' }, { $inc: { n: 5 } });
        await tx.collection('a').deleteMany({ _id: 'gone' });
        await tx.collection('b').insertMany([{ _id: 1 }, { _id: 2 }]);
        await tx.collection('c').updateOne({ _id: 'counter' }, { $inc: { seq: 1 } }, { upsert: true });
        await tx.collection('b').insertOne({ _id: 1 }); // duplicate → abort
      }),
      DuplicateKeyError,
    );
    assert.deepEqual(await db.collection('a').find({}, { sort: { _id: 1 } }), [
      { _id: 'gone', n: 1 },
      { _id: 'keep', n: 1 },
    ]);
    assert.equal(await db.collection('b').countDocuments({}), 0);
    assert.equal(await db.collection('c').countDocuments({}), 0);
    const result = await db.withTransaction(async (tx) => {
      await tx.collection('c').updateOne({ _id: 'counter' }, { $inc: { seq: 2 } }, { upsert: true });
      return (await tx.collection('c').findOne({ _id: 'counter' }))?.['seq'];
    });
    assert.equal(result, 2);
  });

  it('never shows a reader a transaction half-done', async () => {
    const db = new MemoryDatabase();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const tx = db.withTransaction(async (t) => {
      await t.collection('x').insertOne({ _id: 1 });
      await gate;
      await t.collection('x').insertOne({ _id: 2 });
    });
    const reader = db.collection('x').countDocuments({});
    release();
    await tx;
    assert.equal(await reader, 2, 'the read waited for the commit');
  });

  it('returns copies: mutating a result or an inserted object does not change the stored document', async () => {
    const db = new MemoryDatabase();
    const doc = { _id: 'a', nested: { v: 1 } };
    await db.collection('x').insertOne(doc);
    doc.nested.v = 2;
    const got = await db.collection('x').findOne({ _id: 'a' });
    (got!['nested'] as { v: number }).v = 3;
    assert.deepEqual(await db.collection('x').findOne({ _id: 'a' }), { _id: 'a', nested: { v: 1 } });
  });

  it('find applies filter, sort, limit and projection; count honours a limit', async () => {
    const db = new MemoryDatabase();
    const c = db.collection('x');
    await c.insertMany([
      { _id: 1, k: 3, tags: [{ p: 'a' }] },
      { _id: 2, k: 1, tags: [{ p: 'b' }] },
      { _id: 3, tags: [] },
    ]);
    assert.deepEqual(
      (await c.find({}, { sort: { k: -1 }, limit: 2 })).map((d) => d._id),
      [1, 2],
    );
    assert.deepEqual(await c.find({ tags: { $elemMatch: { p: 'b' } } }, { projection: { k: 1 } }), [{ _id: 2, k: 1 }]);
    assert.equal(await c.countDocuments({}, { limit: 2 }), 2);
    assert.deepEqual(await db.listCollectionNames(), ['x']);
    await db.close();
    assert.throws(() => db.collection('x'), /closed/);
  });
});
