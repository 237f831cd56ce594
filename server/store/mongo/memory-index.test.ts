import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Query } from 'mingo';
import type { Condition } from '../../fhir/search/search-query.js';
import { compileSearchFilter } from './compile-condition.js';
import type { Doc, Filter } from './doc-db.js';
import { currentDocOf } from './documents.js';
import { HISTORY_INDEXES, RESOURCE_INDEXES } from './indexes.js';
import { MemoryCollection } from './memory-collection.js';
import { equalitiesOf, MemoryIndex } from './memory-index.js';
import { ref, tok } from './testing/search-fixtures.js';

/** Deterministic pseudo-random numbers (mulberry32; a failing case replays). */
function rng(seed: number) {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

function randomDoc(r: (n: number) => number, i: number, version: number): Doc {
  const entries = Array.from({ length: r(4) }, () =>
    tok(['code', 'status', 'category'][r(3)]!, r(2) ? 's1' : null, `c${r(5)}`),
  );
  if (r(2)) entries.push(ref('subject', 'Patient', `p${r(6)}`));
  return currentDocOf({
    resourceType: 'Observation',
    id: `o${i}`,
    versionId: version,
    lastUpdated: new Date(Date.UTC(2030, 0, 1) + r(100) * 1000).toISOString(),
    resource: { resourceType: 'Observation', id: `o${i}` } as never,
    index: { entries, compartments: r(2) ? [`Patient/p${r(6)}`] : [] },
  });
}

function randomCondition(r: (n: number) => number): Condition {
  switch (r(6)) {
    case 0:
      return {
        kind: 'token',
        param: ['code', 'status'][r(2)]!,
        negate: r(4) === 0,
        values: [
          { match: 'code', ...(r(3) ? { code: `c${r(5)}` } : {}), ...(r(2) ? { system: r(2) ? 's1' : null } : {}) },
        ],
      };
    case 1:
      return {
        kind: 'reference',
        param: 'subject',
        values: [{ match: 'literal', targetType: 'Patient', targetId: `p${r(6)}` }],
      };
    case 2:
      return { kind: 'compartment', ref: `Patient/p${r(6)}` };
    case 3:
      return { kind: 'missing', param: 'category', paramKind: 'token', missing: r(2) === 0 };
    case 4:
      return {
        kind: 'or',
        any: [
          { kind: 'token', param: 'code', negate: false, values: [{ match: 'code', code: `c${r(5)}` }] },
          { kind: 'compartment', ref: `Patient/p${r(6)}` },
        ],
      };
    default:
      return {
        kind: 'lastUpdated',
        match: [[{ field: 'value', op: 'ge', value: Date.UTC(2030, 0, 1) + r(100) * 1000 }]],
      };
  }
}

describe('in-process secondary indexes', () => {
  it('collects the equalities every match must satisfy, and nothing under $or/$nor', () => {
    const eq = equalitiesOf({
      deleted: false,
      $and: [{ _id: 'a' }],
      'idx.token': { $elemMatch: { param: 'code', code: 'x', system: null } },
      $or: [{ z: 1 }],
      lu: { $gte: 3 },
    });
    assert.deepEqual(
      [...eq.top],
      [
        ['deleted', false],
        ['_id', 'a'],
      ],
    );
    assert.deepEqual(
      [...eq.element.get('idx.token')!],
      [
        ['param', 'code'],
        ['code', 'x'],
      ],
    );
  });

  it('looks up equality prefixes of multikey element tuples and of document tuples', () => {
    const token = new MemoryIndex({
      name: 't',
      keys: { 'idx.token.param': 1, 'idx.token.code': 1, 'idx.token.system': 1 },
    });
    token.add({
      _id: 'a',
      idx: {
        token: [
          { param: 'code', code: 'x', system: 's' },
          { param: 'status', code: 'final', system: null },
        ],
      },
    });
    token.add({ _id: 'b', idx: { token: [{ param: 'code', code: 'y', system: 's' }] } });
    const ids = (f: Filter) => [...(token.lookup(equalitiesOf(f)) ?? ['(scan)'])];
    assert.deepEqual(ids({ 'idx.token': { $elemMatch: { param: 'code', code: 'x' } } }), ['a']);
    assert.deepEqual(ids({ 'idx.token': { $elemMatch: { param: 'code' } } }), ['a', 'b']);
    assert.deepEqual(ids({ 'idx.token': { $elemMatch: { param: 'status', code: 'final' } } }), ['a']);
    assert.deepEqual(ids({ 'idx.token.param': 'status' }), ['a']);
    assert.deepEqual(ids({ 'idx.token': { $elemMatch: { param: 'code', code: 'final' } } }), [], 'not across elements');
    assert.deepEqual(ids({ other: 1 }), ['(scan)']);
    const history = new MemoryIndex({ name: 'h', keys: { resourceType: 1, id: 1, versionId: 1 } });
    history.add({ _id: 'P/1/1', resourceType: 'P', id: '1', versionId: 1 });
    history.add({ _id: 'P/1/2', resourceType: 'P', id: '1', versionId: 2 });
    assert.deepEqual([...history.lookup(equalitiesOf({ resourceType: 'P', id: '1' }))!], ['P/1/1', 'P/1/2']);
    assert.deepEqual([...history.lookup(equalitiesOf({ resourceType: 'P', id: '1', versionId: 2 }))!], ['P/1/2']);
    history.remove({ _id: 'P/1/2', resourceType: 'P', id: '1', versionId: 2 });
    assert.deepEqual([...history.lookup(equalitiesOf({ resourceType: 'P', id: '1' }))!], ['P/1/1']);
  });

  it('never changes a result: random documents, updates, deletes and filters agree with a full mingo scan', () => {
    const r = rng(20261125);
    const collection = new MemoryCollection('observations');
    for (const spec of [...RESOURCE_INDEXES, ...HISTORY_INDEXES.filter((s) => !s.unique)]) collection.createIndex(spec);
    const live = new Map<string, Doc>();
    for (let i = 0; i < 300; i++) {
      const doc = randomDoc(r, i, 1);
      collection.insert(doc);
      live.set(String(doc._id), doc);
    }
    for (let round = 0; round < 4; round++) {
      for (let k = 0; k < 60; k++) {
        const i = r(300);
        const { _id, ...fields } = randomDoc(r, i, 1);
        if (!live.has(String(_id))) continue;
        if (r(5) === 0) {
          collection.deleteMany({ _id });
          live.delete(String(_id));
        } else {
          collection.updateOne({ _id }, { $set: fields }, false);
          live.set(String(_id), { _id, ...fields });
        }
      }
      for (let q = 0; q < 150; q++) {
        const filter = compileSearchFilter(Array.from({ length: 1 + r(3) }, () => randomCondition(r)));
        const got = collection.find(filter, { sort: { _id: 1 } }).map((d) => d._id);
        const want = new Query(filter)
          .find([...live.values()])
          .sort({ _id: 1 })
          .all()
          .map((d) => (d as Doc)._id);
        assert.deepEqual(got, want, JSON.stringify(filter));
      }
    }
  });
});
