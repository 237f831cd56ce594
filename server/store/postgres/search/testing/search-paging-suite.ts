/**
 * Sorting (min ascending / max descending, missing last), keyset paging forwards and backwards while
 * rows change between pages, totals and cursor validation. Run on PGlite and on the server.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { IndexEntry } from '../../../../fhir/indexing/index-entry.js';
import type { SearchQuery, SortKey } from '../../../../fhir/search/search-query.js';
import { UnsupportedQueryError, type ResourceStore } from '../../../resource-store.js';
import type { StoreFactory } from '../../../testing/store-contract.js';
import { num, ordered, put, query, ref, remove, str, tok } from './search-test-helpers.js';

const range = (param: string, low: number, high: number): IndexEntry => ({ kind: 'date', param, low, high });

/** Follows nextCursor from the first page to the end; returns the pages' ids. */
async function forwardPages(store: ResourceStore, q: SearchQuery): Promise<{ pages: string[][]; lastCursor?: string }> {
  const pages: string[][] = [];
  let page = await store.search(q);
  pages.push(page.entries.map((e) => e.id));
  let current: string | undefined;
  while (page.nextCursor) {
    current = page.nextCursor;
    page = await store.search({ ...q, cursor: current });
    pages.push(page.entries.map((e) => e.id));
    assert.ok(pages.length < 100, 'paging terminates');
  }
  return { pages, lastCursor: current };
}

export function describeSearchPaging(label: string, factory: StoreFactory): void {
  describe(`PostgreSQL search sort and paging: ${label}`, () => {
    let store: ResourceStore;
    let dispose: () => Promise<void>;

    before(async () => {
      ({ store, dispose } = await factory());
      await store.init();
      await put(
        store,
        {
          type: 'Device',
          id: 'd1',
          entries: [
            str('name', 'zeta'),
            range('date', 10, 100),
            num('n', 3),
            tok('type', 's', 'b'),
            ref('owner', 'Organization/o2'),
          ],
          lastUpdated: '2030-01-01T00:00:03.000Z',
        },
        {
          type: 'Device',
          id: 'd2',
          entries: [
            str('name', 'alpha'),
            str('name', 'omega'),
            range('date', 20, 30),
            num('n', -1),
            num('n', 7),
            tok('type', 's', 'a'),
            ref('owner', 'Organization/o1'),
          ],
          lastUpdated: '2030-01-01T00:00:01.000Z',
        },
        { type: 'Device', id: 'd3', entries: [], lastUpdated: '2030-01-01T00:00:02.000Z' },
        {
          type: 'Device',
          id: 'd4',
          entries: [str('name', 'mid'), range('date', 5, 50), num('n', 2.5), tok('type', 's', 'a')],
          lastUpdated: '2030-01-01T00:00:04.000Z',
        },
      );
    });
    after(async () => {
      await store?.close();
      await dispose?.();
    });

    it('sorts by the smallest value ascending and the largest descending, missing last', async () => {
      const by = (kind: SortKey['kind'], param: string, descending = false) =>
        ordered(store, 'Device', [{ kind, param, descending }]);
      assert.deepEqual(await by('string', 'name'), ['d2', 'd4', 'd1', 'd3']);
      assert.deepEqual(await by('string', 'name', true), ['d1', 'd2', 'd4', 'd3']);
      assert.deepEqual(await by('date', 'date'), ['d4', 'd1', 'd2', 'd3'], 'low ascending');
      assert.deepEqual(await by('date', 'date', true), ['d1', 'd4', 'd2', 'd3'], 'high descending');
      assert.deepEqual(await by('number', 'n'), ['d2', 'd4', 'd1', 'd3']);
      assert.deepEqual(await by('number', 'n', true), ['d2', 'd1', 'd4', 'd3']);
      assert.deepEqual(
        await by('reference', 'owner'),
        ['d2', 'd1', 'd3', 'd4'],
        'd3 and d4 have no owner: last, by id',
      );
    });

    it('sorts by several keys, _id and _lastUpdated', async () => {
      const two: SortKey[] = [
        { kind: 'token', param: 'type', descending: false },
        { kind: 'lastUpdated', descending: true },
      ];
      assert.deepEqual(await ordered(store, 'Device', two), ['d4', 'd2', 'd1', 'd3']);
      assert.deepEqual(await ordered(store, 'Device', [{ kind: 'lastUpdated', descending: false }]), [
        'd2',
        'd3',
        'd1',
        'd4',
      ]);
      assert.deepEqual(await ordered(store, 'Device', [{ kind: 'id', descending: true }]), ['d4', 'd3', 'd2', 'd1']);
      await assert.rejects(
        store.search(query('Device', [], { sort: [{ kind: 'composite', param: 'x', descending: false }] })),
        UnsupportedQueryError,
      );
    });

    it('pages forwards and backwards across ties and missing values, without gaps or repeats', async () => {
      const ranks: [string, number | null][] = [
        ['t1', 1],
        ['t2', 1],
        ['t3', 1],
        ['t4', 2],
        ['t5', null],
        ['t6', null],
        ['t7', null],
        ['t8', 0],
      ];
      await put(
        store,
        ...ranks.map(([id, rank]) => ({ type: 'Basic', id, entries: rank === null ? [] : [num('rank', rank)] })),
      );
      for (const descending of [false, true]) {
        const q = query('Basic', [], { sort: [{ kind: 'number', param: 'rank', descending }], count: 2 });
        const all = await ordered(store, 'Basic', q.sort);
        const expected = descending
          ? ['t4', 't1', 't2', 't3', 't8', 't5', 't6', 't7']
          : ['t8', 't1', 't2', 't3', 't4', 't5', 't6', 't7'];
        assert.deepEqual(all, expected);
        const { pages } = await forwardPages(store, q);
        assert.deepEqual(pages.flat(), expected, 'forward pages cover every row once, in order');
        assert.deepEqual(
          pages.map((p) => p.length),
          [2, 2, 2, 2],
        );
        // walk back from the last page with previousCursor
        let page = await store.search(q);
        while (page.nextCursor) page = await store.search({ ...q, cursor: page.nextCursor });
        const back: string[][] = [page.entries.map((e) => e.id)];
        while (page.previousCursor) {
          page = await store.search({ ...q, cursor: page.previousCursor });
          back.unshift(page.entries.map((e) => e.id));
          assert.ok(back.length < 100);
        }
        assert.deepEqual(back.flat(), expected, 'backward pages cover every row once, in order');
        assert.equal(page.previousCursor, undefined, 'the first page has no previous page');
      }
    });

    it('keeps its place while rows are inserted and deleted between pages', async () => {
      await put(
        store,
        ...Array.from({ length: 10 }, (_, i) => ({
          type: 'Account',
          id: `a${String(i + 1).padStart(2, '0')}`,
          entries: [num('rank', i + 1)],
        })),
      );
      const q = query('Account', [], { sort: [{ kind: 'number', param: 'rank', descending: false }], count: 3 });
      const page1 = await store.search(q);
      assert.deepEqual(
        page1.entries.map((e) => e.id),
        ['a01', 'a02', 'a03'],
      );
      assert.equal(page1.previousCursor, undefined);
      await put(
        store,
        { type: 'Account', id: 'a00', entries: [num('rank', 0.5)] },
        { type: 'Account', id: 'a035', entries: [num('rank', 3.5)] },
      );
      await remove(store, 'Account', 'a05');
      const page2 = await store.search({ ...q, cursor: page1.nextCursor });
      assert.deepEqual(
        page2.entries.map((e) => e.id),
        ['a035', 'a04', 'a06'],
        'continues right after a03',
      );
      const back = await store.search({ ...q, cursor: page2.previousCursor });
      assert.deepEqual(
        back.entries.map((e) => e.id),
        ['a01', 'a02', 'a03'],
        'the page before a035',
      );
      assert.ok(back.previousCursor, 'a00 now lies before');
      const first = await store.search({ ...q, cursor: back.previousCursor });
      assert.deepEqual(
        first.entries.map((e) => e.id),
        ['a00'],
      );
      assert.equal(first.previousCursor, undefined);
      const again = await store.search({ ...q, cursor: first.nextCursor });
      assert.deepEqual(
        again.entries.map((e) => e.id),
        ['a01', 'a02', 'a03'],
      );
      const rest = await store.search({ ...q, cursor: page2.nextCursor, count: 10 });
      assert.deepEqual(
        rest.entries.map((e) => e.id),
        ['a07', 'a08', 'a09', 'a10'],
      );
      assert.equal(rest.nextCursor, undefined);
      // past the end: empty, but it can turn back
      await remove(store, 'Account', 'a07');
      await remove(store, 'Account', 'a08');
      await remove(store, 'Account', 'a09');
      await remove(store, 'Account', 'a10');
      const empty = await store.search({ ...q, cursor: page2.nextCursor });
      assert.deepEqual(empty.entries, []);
      const turned = await store.search({ ...q, cursor: empty.previousCursor });
      assert.deepEqual(
        turned.entries.map((e) => e.id),
        ['a035', 'a04', 'a06'],
      );
    });

    it('pages in the default order (type, id) when no sort is given', async () => {
      const q = query(['Device', 'Account'], [], { count: 4 });
      const { pages } = await forwardPages(store, q);
      const flat = pages.flat();
      assert.deepEqual(flat, ['a00', 'a01', 'a02', 'a03', 'a035', 'a04', 'a06', 'd1', 'd2', 'd3', 'd4']);
    });

    it('counts: accurate, estimate, none, and count-only', async () => {
      const named = { kind: 'missing' as const, param: 'name', paramKind: 'string' as const, missing: false };
      const accurate = await store.search(query('Device', [named], { total: 'accurate', count: 1 }));
      assert.equal(accurate.total, 3);
      assert.equal(accurate.entries.length, 1);
      assert.equal(
        (await store.search(query('Device', [named], { total: 'estimate' }))).total,
        3,
        'small results are counted',
      );
      assert.equal((await store.search(query('Device', [named], { total: 'none' }))).total, undefined);
      const countOnly = await store.search(query('Device', [], { total: 'accurate', count: 0 }));
      assert.deepEqual(countOnly.entries, []);
      assert.equal(countOnly.total, 4);
      assert.equal(countOnly.nextCursor, undefined);
      assert.equal(
        (await store.search(query('Device', [], { total: 'none', count: 0 }))).total,
        4,
        'count-only always counts',
      );
    });

    it('refuses a cursor that is garbage or belongs to another sort', async () => {
      const q = query('Device', [], { sort: [{ kind: 'id', descending: false }], count: 1 });
      const page = await store.search(q);
      assert.ok(page.nextCursor);
      await assert.rejects(store.search({ ...q, cursor: 'not-a-cursor' }), UnsupportedQueryError);
      await assert.rejects(
        store.search({ ...q, cursor: page.nextCursor, sort: [{ kind: 'lastUpdated', descending: false }] }),
        UnsupportedQueryError,
      );
      await assert.rejects(store.history({ resourceType: 'Device', count: 1, cursor: '%%%' }), UnsupportedQueryError);
    });
  });
}
