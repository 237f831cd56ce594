import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Condition, SearchQuery } from '../../fhir/search/search-query.js';
import { UnsupportedQueryError } from '../resource-store.js';
import { encodeCursor } from './cursor.js';
import { planSearch } from './plan-search.js';

const male: Condition = { kind: 'token', param: 'gender', negate: false, values: [{ match: 'code', code: 'male' }] };
const q = (extra: Partial<SearchQuery> = {}): SearchQuery => ({
  resourceTypes: ['Patient'],
  conditions: [male],
  sort: [{ kind: 'string', param: 'name', descending: false }],
  count: 10,
  total: 'none',
  ...extra,
});

describe('planSearch (SearchQuery → finds, pure)', () => {
  it('a type search is one find: compiled filter, sort key then _id, limit count+1', () => {
    const plan = planSearch(q(), [{ type: 'Patient', conditions: [male] }]);
    assert.deepEqual(plan.finds, [
      {
        type: 'Patient',
        collection: 'patients',
        filter: { deleted: false, 'idx.token': { $elemMatch: { param: 'gender', code: 'male' } } },
        countFilter: { deleted: false, 'idx.token': { $elemMatch: { param: 'gender', code: 'male' } } },
        sort: { 'sort.name.a': -1, _id: 1 },
        limit: 11,
      },
    ]);
  });

  it('a system search is one find per collection', () => {
    const types = ['Encounter', 'Observation', 'Patient'];
    const plan = planSearch(
      q({ resourceTypes: [], conditions: [], sort: [] }),
      types.map((type) => ({ type, conditions: [] })),
    );
    assert.deepEqual(
      plan.finds.map((f) => [f.collection, f.sort]),
      [
        ['encounters', { _id: 1 }],
        ['observations', { _id: 1 }],
        ['patients', { _id: 1 }],
      ],
    );
  });

  it('a next cursor adds the keyset condition (missing values lowest), and rows equal on every key only in later types', () => {
    const resolved = [
      { type: 'Observation', conditions: [] },
      { type: 'Patient', conditions: [] },
    ];
    const first = planSearch(
      q({ conditions: [], sort: [{ kind: 'date', param: 'date', descending: true }] }),
      resolved,
    );
    const cursor = encodeCursor({ d: 'next', k: [1000, 'o5'], t: 'Observation', q: first.hash });
    const plan = planSearch(
      q({ conditions: [], sort: [{ kind: 'date', param: 'date', descending: true }], cursor }),
      resolved,
    );
    const after = {
      $or: [
        { $or: [{ 'sort.date.d': { $lt: 1000 } }, { 'sort.date.d': null }] },
        { 'sort.date.d': 1000, _id: { $gt: 'o5' } },
      ],
    };
    assert.deepEqual(plan.finds[0]!.filter, { deleted: false, ...after });
    assert.deepEqual(plan.finds[1]!.filter, {
      deleted: false,
      $or: [...after.$or, { 'sort.date.d': 1000, _id: 'o5' }],
    });
    assert.deepEqual(plan.finds[0]!.countFilter, { deleted: false }, 'totals ignore the cursor');
  });

  it('a previous cursor walks the reversed order', () => {
    const resolved = [{ type: 'Patient', conditions: [male] }];
    const hash = planSearch(q(), resolved).hash;
    const plan = planSearch(
      q({ cursor: encodeCursor({ d: 'prev', k: [null, 'p9'], t: 'Patient', q: hash }) }),
      resolved,
    );
    assert.equal(plan.backwards, true);
    assert.deepEqual(plan.finds[0]!.sort, { 'sort.name.a': 1, _id: -1 });
    assert.deepEqual(plan.finds[0]!.filter, {
      deleted: false,
      'idx.token': { $elemMatch: { param: 'gender', code: 'male' } },
      $or: [{ 'sort.name.a': { $ne: null } }, { 'sort.name.a': null, $or: [{ _id: { $lt: 'p9' } }, { _id: null }] }],
    });
  });

  it('refuses a cursor made for another query', () => {
    const cursor = encodeCursor({ d: 'next', k: [null, 'x'], t: 'Patient', q: 'other' });
    assert.throws(() => planSearch(q({ cursor }), [{ type: 'Patient', conditions: [male] }]), UnsupportedQueryError);
  });
});

describe('searchOrder', () => {
  it('appends _id as the tie-break and drops repeated keys', async () => {
    const { searchOrder } = await import('./plan-search.js');
    assert.deepEqual(
      searchOrder([
        { kind: 'lastUpdated', descending: true },
        { kind: 'lastUpdated', descending: false },
      ]),
      [
        { field: 'lu', dir: -1 },
        { field: '_id', dir: 1 },
      ],
    );
    assert.deepEqual(searchOrder([{ kind: 'id', descending: true }]), [{ field: '_id', dir: -1 }]);
  });
});
