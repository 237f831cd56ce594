/**
 * What the store leaves in the database: collection names, document shape (resource untouched + idx +
 * compartments + sort), history, outbox and counter, indexes; and the keys MongoDB cannot store.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import { FhirError } from '../../fhir/errors.js';
import type { VersionWrite } from '../resource-store.js';
import type { DocDatabaseHandle } from './doc-db.js';
import { DriverDatabase } from './driver-db.js';
import { MemoryDatabase } from './memory-db.js';
import { MongoStore } from './mongo-store.js';
import { ref, str, tok } from './testing/search-fixtures.js';

const url = process.env['MONGODB_URL'] || undefined;

function versionWrite(
  resourceType: string,
  id: string,
  versionId: number,
  body: Record<string, unknown>,
  index: VersionWrite['index'] = { entries: [], compartments: [] },
): VersionWrite {
  const lastUpdated = new Date(Date.UTC(2033, 0, 1, 0, 0, versionId)).toISOString();
  const resource = {
    resourceType,
    id,
    ...body,
    meta: { versionId: String(versionId), lastUpdated },
  } as unknown as Resource;
  return { resourceType, id, versionId, lastUpdated, resource, index };
}

describe('mongo store: documents and collections', () => {
  let db: DocDatabaseHandle;
  let store: MongoStore;

  before(async () => {
    db = url
      ? await DriverDatabase.connect(url, `nilecare_test_docs_${randomBytes(4).toString('hex')}`)
      : new MemoryDatabase();
    store = new MongoStore(db);
    await store.init();
    console.log(`# store under test: ${store.description}`);
  });
  after(async () => {
    await db?.dropDatabase();
    await store?.close();
  });

  it('creates the schema reference collections with their indexes at init()', async () => {
    const names = await db.listCollectionNames();
    for (const n of [
      'patients',
      'observations',
      'encounters',
      'conditions',
      'medications',
      'resource_history',
      'changes',
      'counters',
    ])
      assert.ok(names.includes(n), n);
  });

  it('stores the resource untouched beside idx (grouped by kind), compartments and sort fields', async () => {
    const body = {
      name: [{ family: 'Ahmed' }],
      _id: { extension: [{ url: 'http://x', valueString: 'primitive extension on id' }] },
    };
    await store.write([
      versionWrite('Patient', 'doc1', 1, body, {
        entries: [str('name', 'Ahmed'), tok('gender', null, 'male')],
        compartments: ['Patient/doc1', 'Patient/doc1'],
      }),
      versionWrite(
        'MedicationStatement',
        'ms1',
        1,
        { status: 'active' },
        { entries: [ref('subject', 'Patient', 'doc1')], compartments: ['Patient/doc1'] },
      ),
      versionWrite('AllergyIntolerance', 'al1', 1, { patient: { reference: 'Patient/doc1' } }),
    ]);
    const doc = await db.collection('patients').findOne({ _id: 'doc1' });
    assert.ok(doc);
    assert.deepEqual(doc['resource'], {
      resourceType: 'Patient',
      id: 'doc1',
      ...body,
      meta: { versionId: '1', lastUpdated: '2033-01-01T00:00:01.000Z' },
    });
    assert.deepEqual(doc['idx'], {
      string: [{ param: 'name', value: 'ahmed', exact: 'Ahmed' }],
      token: [{ param: 'gender', system: null, code: 'male' }],
    });
    assert.deepEqual(doc['compartments'], ['Patient/doc1']);
    assert.deepEqual(Object.keys(doc['sort'] as object).sort(), ['gender', 'name']);
    assert.equal(doc['versionId'], 1);
    assert.equal(doc['lu'], Date.UTC(2033, 0, 1, 0, 0, 1));
    assert.ok(await db.collection('medications').findOne({ _id: 'ms1' }), 'MedicationStatement lives in medications');
    assert.ok(await db.collection('allergyintolerances').findOne({ _id: 'al1' }));
    const history = await db.collection('resource_history').find({ id: 'doc1' });
    assert.deepEqual(
      history.map((h) => h._id),
      ['Patient/doc1/1'],
    );
    const counterBefore = (await db.collection('counters').findOne({ _id: 'changes' }))?.['seq'];
    const pending = await db.collection('changes').find({ seq: 0 }, { sort: { _id: 1 } });
    assert.deepEqual(
      pending.map((c) => c['id']),
      ['doc1', 'ms1', 'al1'],
      'the write left its changes pending (seq 0), keyed in batch order',
    );
    const read = await store.changesAfter(0, 1000);
    assert.deepEqual(
      read.slice(-3).map((c) => c.id),
      ['doc1', 'ms1', 'al1'],
    );
    const counter = await db.collection('counters').findOne({ _id: 'changes' });
    assert.equal(counterBefore, read.at(-1)!.seq - 3, 'the write did not move the counter');
    assert.equal(counter?.['seq'], read.at(-1)?.seq, 'the reader moved the counter to the last seq');
    assert.equal((await db.collection('changes').find({ seq: 0 })).length, 0, 'nothing left pending after a read');
  });

  it('refuses keys MongoDB cannot store ($-prefixed, dotted) with a clear 400, writing nothing', async () => {
    const before = await store.changesAfter(0, 1000);
    for (const bad of [{ extension: [{ url: 'x', $where: 'sleep(1)' }] }, { contained: [{ 'a.b': 1 }] }]) {
      await assert.rejects(
        store.write([versionWrite('Basic', 'ok', 1, {}), versionWrite('Basic', 'bad', 1, bad)]),
        (e: unknown) => e instanceof FhirError && e.status === 400 && /cannot be stored in MongoDB/.test(e.message),
      );
    }
    assert.equal(await store.read('Basic', 'ok'), undefined);
    assert.equal((await store.changesAfter(0, 1000)).length, before.length);
  });

  it('refuses malformed writes before touching the database', async () => {
    await assert.rejects(
      store.write([{ ...versionWrite('Basic', 'x1', 1, {}), lastUpdated: 'yesterday' }]),
      /ISO instant/,
    );
    await assert.rejects(store.write([{ ...versionWrite('Basic', 'x2', 1, {}), versionId: 0 }]), /positive integer/);
    await assert.rejects(store.write([versionWrite('Basic', 'bad id!', 1, {})]), /not a FHIR id/);
    await assert.rejects(
      store.write([{ ...versionWrite('Basic', 'x3', 1, {}), resourceType: 'Patient' }]),
      /written as Patient/,
    );
  });

  it('accepts two versions of one resource in one batch, in order', async () => {
    await store.write([
      versionWrite('Basic', 'twice', 1, { code: { text: 'a' } }),
      versionWrite('Basic', 'twice', 2, { code: { text: 'b' } }),
    ]);
    assert.equal((await store.read('Basic', 'twice'))?.versionId, 2);
    assert.equal((await store.vread('Basic', 'twice', 1))?.resource?.['code' as never]?.['text'], 'a');
    const page = await store.history({ resourceType: 'Basic', id: 'twice', count: 1 });
    assert.deepEqual(
      [page.versions.map((v) => v.versionId), page.total],
      [[2], 2],
      'instance history carries its total',
    );
    const next = await store.history({ resourceType: 'Basic', id: 'twice', count: 1, cursor: page.nextCursor });
    assert.deepEqual([next.versions.map((v) => v.versionId), next.total, next.nextCursor], [[1], 2, undefined]);
    await assert.rejects(
      store.history({ resourceType: 'Basic', count: 1, cursor: page.nextCursor }),
      /different search/,
      'a cursor is bound to its history query',
    );
  });

  it('concurrent batches each get their own seq range: one change per version, no duplicates, no gaps between them', async () => {
    const start = (await store.changesAfter(0, 100000)).at(-1)?.seq ?? 0;
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        store.write([versionWrite('Basic', `conc${i}a`, 1, {}), versionWrite('Basic', `conc${i}b`, 1, {})]),
      ),
    );
    const changes = await store.changesAfter(start, 1000);
    assert.equal(changes.length, 24);
    assert.deepEqual(
      changes.map((c) => c.seq),
      Array.from({ length: 24 }, (_, i) => start + 1 + i),
    );
    for (let i = 0; i < 24; i += 2)
      assert.equal(changes[i]!.id.replace(/a$/, 'b'), changes[i + 1]!.id, 'a batch occupies consecutive seqs');
  });

  it('search over all types finds types whose collection the process never wrote (existing data)', async () => {
    const second = new MongoStore(db); // a second API node over the same database
    const found = await second.search({
      resourceTypes: [],
      conditions: [{ kind: 'id', values: ['al1', 'doc1'] }],
      sort: [],
      count: 10,
      total: 'none',
    });
    assert.deepEqual(found.entries.map((e) => `${e.resourceType}/${e.id}`).sort(), [
      'AllergyIntolerance/al1',
      'Patient/doc1',
    ]);
  });
});
