/**
 * searchAny (the blocking searches of patient matching in one statement) answers exactly what the searches answer one
 * by one: each query's first `count` matches in its own order, each resource once, deleted ones left out, on PGlite
 * and the PostgreSQL server.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SearchQuery } from '../../../fhir/search/search-query.js';
import type { ResourceStore } from '../../resource-store.js';
import { searchEach } from '../../search-any.js';
import type { StoreFactory } from '../../testing/store-contract.js';
import { pgliteTestStore, postgresTestStore } from '../testing/test-stores.js';
import { day, put, query, remove, str, tok } from './testing/search-test-helpers.js';

const GENDER = 'http://hl7.org/fhir/administrative-gender';
const prefix = (value: string) => ({
  kind: 'string' as const,
  param: 'name',
  match: 'prefix' as const,
  values: [value],
});
const gender = (code: string) => ({
  kind: 'token' as const,
  param: 'gender',
  negate: false,
  values: [{ match: 'code' as const, system: GENDER, code }],
});

const born = (date: string) => ({
  kind: 'date' as const,
  param: 'birthdate',
  match: [[{ field: 'low' as const, op: 'le' as const, value: Date.parse(`${date}T23:59:59.999Z`) }]],
});

for (const [label, factory] of [
  ['PGlite', pgliteTestStore],
  ['PostgreSQL server', postgresTestStore],
] as Array<[string, StoreFactory]>) {
  describe(`searchAny: ${label}`, () => {
    let store: ResourceStore;
    let dispose: () => Promise<void>;
    before(async () => {
      ({ store, dispose } = await factory());
      await store.init();
      await put(
        store,
        ...Array.from({ length: 12 }, (_, i) => ({
          type: 'Patient',
          id: `p${String(i).padStart(2, '0')}`,
          entries: [
            str('name', i % 3 === 0 ? `Amna ${i}` : `Osman ${i}`),
            tok('gender', GENDER, i % 2 ? 'female' : 'male'),
            day('birthdate', `19${50 + i}-01-01`),
          ],
        })),
        { type: 'Observation', id: 'o1', entries: [str('name', 'Amna')] },
      );
      await remove(store, 'Patient', 'p03');
    });
    after(() => dispose());

    const cases: Array<[string, SearchQuery[]]> = [
      [
        'overlapping queries with caps, a query with count 0, a sorted query, another type',
        [
          query('Patient', [prefix('amna')], { count: 2 }),
          query('Patient', [gender('female')], { count: 3 }),
          query('Patient', [gender('male')], { count: 0 }),
          query('Patient', [], { count: 2, sort: [{ kind: 'date', param: 'birthdate', descending: true }] }),
          query('Observation', [prefix('amna')], { count: 5 }),
        ],
      ],
      [
        'queries led by one of their conditions (SearchQuery.lead): the same pages as without the hint',
        [
          query('Patient', [gender('male'), prefix('osman')], { count: 2, lead: 1 }),
          query('Patient', [prefix('osman'), born('1955-01-01')], { count: 3, lead: 1 }),
          query('Patient', [gender('female')], { count: 2, lead: 0 }),
          // a deleted patient's entries are still among the lead's matches (p03 is amna): left out
          query('Patient', [prefix('amna'), gender('male')], { count: 5, lead: 0 }),
          // hints the store cannot use: a sorted query, a negated lead, a lead past the conditions
          query('Patient', [prefix('osman')], {
            count: 2,
            lead: 0,
            sort: [{ kind: 'date', param: 'birthdate', descending: true }],
          }),
          query('Patient', [{ ...gender('male'), negate: true }], { count: 2, lead: 0 }),
          query('Patient', [gender('male')], { count: 1, lead: 5 }),
        ],
      ],
      ['a query without matches', [query('Patient', [prefix('nobody')], { count: 5 })]],
      ['no query', []],
    ];
    for (const [name, queries] of cases)
      it(name, async () => {
        assert.ok(store.searchAny, 'the PostgreSQL store answers searchAny itself');
        const together = await store.searchAny(queries);
        const oneByOne = await searchEach({ ...store, searchAny: undefined, search: (q) => store.search(q) }, queries);
        const keys = (versions: typeof together) => versions.map((v) => `${v.resourceType}/${v.id}`).sort();
        assert.deepEqual(keys(together), keys(oneByOne));
        assert.equal(new Set(keys(together)).size, together.length, 'each resource once');
        assert.ok(together.every((v) => v.resource && !v.deleted));
      });

    it('what the first case finds, named', async () => {
      const found = await store.searchAny!([
        query('Patient', [prefix('amna')], { count: 2 }),
        query('Patient', [], { count: 2, sort: [{ kind: 'date', param: 'birthdate', descending: true }] }),
      ]);
      // amna: p00, p03 (deleted), p06, p09 → p00, p06; latest birth dates: p11, p10
      assert.deepEqual(found.map((v) => v.id).sort(), ['p00', 'p06', 'p10', 'p11']);
    });
  });
}
