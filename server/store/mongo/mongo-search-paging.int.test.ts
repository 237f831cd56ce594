/** Sorting (min/max per direction, missing last), keyset paging both ways while data changes, totals, system search. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { UnsupportedQueryError, type ResourceStore } from '../resource-store.js';
import type { SearchQuery, SortKey } from '../../fhir/search/search-query.js';
import { day, num, put, query, remove, str, tok } from './testing/search-fixtures.js';
import { mongoTestStore } from './testing/test-stores.js';

const order = async (store: ResourceStore, sort: SortKey[], resourceTypes = ['Patient']) =>
  (await store.search(query(resourceTypes, [], { sort }))).entries.map((e) => e.id);

/** Follows nextCursor from the first page; returns the pages' ids. */
async function pagesForward(store: ResourceStore, q: SearchQuery): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await store.search({ ...q, cursor });
    pages.push(page.entries.map((e) => `${e.resourceType}/${e.id}`));
    if (pages.length === 1) assert.equal(page.previousCursor, undefined, 'the first page has no previous cursor');
    else assert.ok(page.previousCursor, 'a later page has a previous cursor');
    cursor = page.nextCursor;
  } while (cursor && pages.length < 50);
  return pages;
}

describe('mongo store search: sort, paging, totals', () => {
  let store: ResourceStore;
  let dispose: () => Promise<void>;

  before(async () => {
    ({ store, dispose } = await mongoTestStore());
    await store.init();
    console.log(`# store under test: ${store.description}`);
    await put(store, 'Patient', 'sA', [
      str('name', 'Zaki'),
      str('name', 'Adam'),
      tok('gender', null, 'male'),
      day('birthdate', '1990-03-01'),
      num('rank', -5),
    ]);
    await put(store, 'Patient', 'sB', [
      str('name', 'Bakr'),
      tok('gender', null, 'male'),
      day('birthdate', '1970-01-01'),
      num('rank', 0),
    ]);
    await put(store, 'Patient', 'sC', [tok('gender', null, 'female')]);
    await put(store, 'Patient', 'sD', [
      str('name', 'Musa'),
      tok('gender', null, 'female'),
      day('birthdate', '2000-12-31'),
      num('rank', 3.25),
    ]);
    await put(store, 'Patient', 'sE', [str('name', 'abc'), tok('gender', null, 'other'), num('rank', -0.5)]);
    await put(store, 'Patient', 'sF', [
      str('name', 'ab'),
      tok('gender', null, 'female'),
      day('birthdate', '1985-07-04'),
    ]);
    // a year covers [Jan 1, Dec 31]; a day inside it sorts after it ascending (low) and after it descending (high)
    await put(store, 'Encounter', 'yearly', [
      { kind: 'date', param: 'date', low: Date.UTC(2020, 0, 1), high: Date.UTC(2021, 0, 1) - 1 },
    ]);
    await put(store, 'Encounter', 'daily', [day('date', '2020-06-15')]);
  });
  after(async () => {
    await store?.close();
    await dispose?.();
  });

  it('sorts strings by the smallest value ascending and the largest descending; missing last both ways', async () => {
    assert.deepEqual(await order(store, [{ kind: 'string', param: 'name', descending: false }]), [
      'sF',
      'sE',
      'sA',
      'sB',
      'sD',
      'sC',
    ]);
    assert.deepEqual(await order(store, [{ kind: 'string', param: 'name', descending: true }]), [
      'sA',
      'sD',
      'sB',
      'sE',
      'sF',
      'sC',
    ]);
  });

  it('sorts dates by low ascending and high descending, numbers with negatives, missing last', async () => {
    assert.deepEqual(await order(store, [{ kind: 'date', param: 'birthdate', descending: false }]), [
      'sB',
      'sF',
      'sA',
      'sD',
      'sC',
      'sE',
    ]);
    assert.deepEqual(await order(store, [{ kind: 'date', param: 'birthdate', descending: true }]), [
      'sD',
      'sA',
      'sF',
      'sB',
      'sC',
      'sE',
    ]);
    assert.deepEqual(await order(store, [{ kind: 'number', param: 'rank', descending: false }]), [
      'sA',
      'sE',
      'sB',
      'sD',
      'sC',
      'sF',
    ]);
    assert.deepEqual(await order(store, [{ kind: 'date', param: 'date', descending: false }], ['Encounter']), [
      'yearly',
      'daily',
    ]);
    assert.deepEqual(await order(store, [{ kind: 'date', param: 'date', descending: true }], ['Encounter']), [
      'yearly',
      'daily',
    ]);
  });

  it('sorts by several keys, by _id and by _lastUpdated', async () => {
    assert.deepEqual(
      await order(store, [
        { kind: 'token', param: 'gender', descending: false },
        { kind: 'date', param: 'birthdate', descending: true },
      ]),
      ['sD', 'sF', 'sC', 'sA', 'sB', 'sE'],
    );
    assert.deepEqual(await order(store, [{ kind: 'id', descending: true }]), ['sF', 'sE', 'sD', 'sC', 'sB', 'sA']);
    assert.deepEqual(await order(store, [{ kind: 'lastUpdated', descending: true }]), [
      'sF',
      'sE',
      'sD',
      'sC',
      'sB',
      'sA',
    ]);
    await assert.rejects(
      store.search(query(['Patient'], [], { sort: [{ kind: 'composite', param: 'x', descending: false }] })),
      UnsupportedQueryError,
    );
  });

  it('pages forward and back with keyset cursors, every row exactly once, in order', async () => {
    const sort: SortKey[] = [{ kind: 'string', param: 'name', descending: false }];
    const q = query(['Patient'], [], { sort, count: 2 });
    const pages = await pagesForward(store, q);
    assert.deepEqual(pages, [
      ['Patient/sF', 'Patient/sE'],
      ['Patient/sA', 'Patient/sB'],
      ['Patient/sD', 'Patient/sC'],
    ]);
    // walk back from the last page
    const p1 = await store.search(q);
    const p2 = await store.search({ ...q, cursor: p1.nextCursor });
    const p3 = await store.search({ ...q, cursor: p2.nextCursor });
    assert.equal(p3.nextCursor, undefined);
    const back2 = await store.search({ ...q, cursor: p3.previousCursor });
    assert.deepEqual(
      back2.entries.map((e) => e.id),
      ['sA', 'sB'],
    );
    assert.ok(back2.previousCursor && back2.nextCursor);
    const back1 = await store.search({ ...q, cursor: back2.previousCursor });
    assert.deepEqual(
      back1.entries.map((e) => e.id),
      ['sF', 'sE'],
    );
    assert.equal(back1.previousCursor, undefined, 'back at the first page');
    assert.deepEqual(
      (await store.search({ ...q, cursor: back1.nextCursor })).entries.map((e) => e.id),
      ['sA', 'sB'],
    );
  });

  it('keeps paging stable while data changes: no duplicates, no skipped survivors', async () => {
    const q = query(
      ['Patient'],
      [{ kind: 'token', param: 'gender', negate: false, values: [{ match: 'code', code: 'pager' }] }],
      { sort: [{ kind: 'id', descending: false }], count: 3 },
    );
    for (const id of ['q1', 'q3', 'q5', 'q7', 'q9', 'q11'])
      await put(store, 'Patient', id, [tok('gender', null, 'pager')]);
    const page1 = await store.search(q);
    assert.deepEqual(
      page1.entries.map((e) => e.id),
      ['q1', 'q11', 'q3'],
    );
    await put(store, 'Patient', 'q0', [tok('gender', null, 'pager')]); // sorts before the cursor: not on later pages
    await put(store, 'Patient', 'q6', [tok('gender', null, 'pager')]); // sorts after: shows up
    await remove(store, 'Patient', 'q7'); // was on the next page: gone
    await put(store, 'Patient', 'q5', [tok('gender', null, 'pager'), str('name', 'updated')]); // updated in place: still once
    const page2 = await store.search({ ...q, cursor: page1.nextCursor });
    assert.deepEqual(
      page2.entries.map((e) => e.id),
      ['q5', 'q6', 'q9'],
    );
    assert.equal(page2.nextCursor, undefined, 'q9 is the last match');
    // everything after the cursor deleted: an empty page, which still leads back to the rows before it
    for (const id of ['q5', 'q6', 'q9']) await remove(store, 'Patient', id);
    const empty = await store.search({ ...q, cursor: page1.nextCursor });
    assert.deepEqual(empty.entries, []);
    assert.equal(empty.nextCursor, undefined);
    assert.ok(empty.previousCursor);
    const back = await store.search({ ...q, cursor: empty.previousCursor });
    assert.deepEqual(
      back.entries.map((e) => e.id),
      ['q1', 'q11', 'q3'],
    );
    assert.ok(back.previousCursor, 'q0 was inserted before them');
    assert.deepEqual(
      (await store.search({ ...q, cursor: back.previousCursor })).entries.map((e) => e.id),
      ['q0'],
    );
  });

  it('counts only when asked: none, accurate, estimate; count 0 gives the total alone', async () => {
    const males = [
      { kind: 'token' as const, param: 'gender', negate: false, values: [{ match: 'code' as const, code: 'male' }] },
    ];
    const none = await store.search(query(['Patient'], males, { count: 1 }));
    assert.equal(none.total, undefined);
    assert.equal(none.entries.length, 1);
    assert.ok(none.nextCursor);
    assert.equal((await store.search(query(['Patient'], males, { count: 1, total: 'accurate' }))).total, 2);
    assert.equal((await store.search(query(['Patient'], males, { count: 1, total: 'estimate' }))).total, 2);
    assert.equal((await store.search(query(['Patient'], males, { count: 10, total: 'estimate' }))).total, 2);
    const only = await store.search(query(['Patient'], males, { count: 0 }));
    assert.deepEqual(only.entries, []);
    assert.equal(only.total, 2);
    assert.equal(only.nextCursor, undefined);
  });

  it('searches several types (and all types) merged in one order, paged across collections', async () => {
    const q = query(['Encounter', 'Patient'], [], { sort: [{ kind: 'lastUpdated', descending: false }], count: 3 });
    const pages = (await pagesForward(store, q)).flat();
    const all = (await store.search({ ...q, count: 1000 })).entries;
    assert.deepEqual(
      pages,
      all.map((e) => `${e.resourceType}/${e.id}`),
      'paged = unpaged',
    );
    assert.equal(new Set(pages).size, pages.length, 'no duplicates');
    const stamps = all.map((e) => e.lastUpdated);
    assert.deepEqual([...stamps].sort(), stamps);
    assert.ok(pages.includes('Encounter/daily') && pages.includes('Patient/sA'));
    const everything = await store.search(query([], [{ kind: 'id', values: ['sA', 'daily'] }], { total: 'accurate' }));
    assert.deepEqual(everything.entries.map((e) => `${e.resourceType}/${e.id}`).sort(), [
      'Encounter/daily',
      'Patient/sA',
    ]);
    assert.equal(everything.total, 2);
  });

  it('ties across collections are broken by type, so same ids in two types page correctly', async () => {
    const at = Date.UTC(2040, 0, 1);
    for (const type of ['Basic', 'Device', 'Group']) await put(store, type, 'same', [tok('tie', null, 'x')], { at });
    const q = query(
      ['Group', 'Basic', 'Device'],
      [{ kind: 'token', param: 'tie', negate: false, values: [{ match: 'code', code: 'x' }] }],
      { sort: [{ kind: 'lastUpdated', descending: true }], count: 1 },
    );
    assert.deepEqual((await pagesForward(store, q)).flat(), ['Basic/same', 'Device/same', 'Group/same']);
  });

  it('a search over all types keeps paging when a new type appears between pages', async () => {
    const q = query([], [{ kind: 'token', param: 'wave', negate: false, values: [{ match: 'code', code: 'w' }] }], {
      sort: [{ kind: 'id', descending: false }],
      count: 2,
    });
    for (const id of ['w1', 'w2', 'w3']) await put(store, 'Patient', id, [tok('wave', null, 'w')]);
    const page1 = await store.search(q);
    assert.deepEqual(
      page1.entries.map((e) => e.id),
      ['w1', 'w2'],
    );
    await put(store, 'Substance', 'w4', [tok('wave', null, 'w')]); // a collection that did not exist
    const page2 = await store.search({ ...q, cursor: page1.nextCursor });
    assert.deepEqual(
      page2.entries.map((e) => `${e.resourceType}/${e.id}`),
      ['Patient/w3', 'Substance/w4'],
    );
  });

  it('refuses a cursor from another search, and a forged one', async () => {
    const a = await store.search(query(['Patient'], [], { count: 1 }));
    await assert.rejects(
      store.search(query(['Patient'], [{ kind: 'id', values: ['sA'] }], { count: 1, cursor: a.nextCursor })),
      /different search/,
    );
    await assert.rejects(
      store.search(query(['Patient'], [], { count: 1, cursor: 'not-a-cursor' })),
      UnsupportedQueryError,
    );
  });
});
