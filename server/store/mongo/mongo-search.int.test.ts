/**
 * Every Condition kind and modifier, compiled and run by the store over documents written through it
 * (mingo in process, or a real server when MONGODB_URL is set — the output names which).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { UnsupportedQueryError, type ResourceStore } from '../resource-store.js';
import { day, ids, num, put, qty, query, ref, remove, str, tok, uri } from './testing/search-fixtures.js';
import { mongoTestStore, openMongoTestStore } from './testing/test-stores.js';

const LOINC = 'http://loinc.org';
const GENDER = 'http://hl7.org/fhir/administrative-gender';
const V2 = 'http://terminology.hl7.org/CodeSystem/v2-0203';

describe('mongo store search: conditions', () => {
  let store: ResourceStore;
  let dispose: () => Promise<void>;
  const t0 = Date.UTC(2032, 5, 1);

  before(async () => {
    ({ store, dispose } = await mongoTestStore());
    await store.init();
    console.log(`# store under test: ${store.description}`);
    await put(
      store,
      'Patient',
      'p1',
      [
        str('name', 'Ahmed'),
        str('name', 'Ali'),
        tok('gender', GENDER, 'male'),
        day('birthdate', '1980-05-01'),
        {
          kind: 'token',
          param: 'identifier',
          system: 'urn:nilecare:mrn',
          code: 'MRN-1',
          typeSystem: V2,
          typeCode: 'MR',
        },
        tok('identifier', 'urn:nilecare:nid', 'NID-9'),
      ],
      { at: t0 },
    );
    await put(
      store,
      'Patient',
      'p2',
      [
        str('name', 'Fatima'),
        str('name', 'Osman'),
        tok('gender', GENDER, 'female'),
        day('birthdate', '1992-11-20'),
        tok('identifier', 'urn:nilecare:mrn', 'MRN-2'),
      ],
      { at: t0 + 1000 },
    );
    await put(
      store,
      'Patient',
      'p3',
      [str('name', 'Muñoz'), tok('gender', null, 'unknown'), tok('identifier', 'urn:nilecare:nid', 'MRN-1')],
      { at: t0 + 2000 },
    );
    const hb = (v: number) => ({
      kind: 'composite' as const,
      param: 'code-value-quantity',
      parts: [tok('code', LOINC, '718-7'), qty('value-quantity', v, 'g/dL')],
    });
    await put(
      store,
      'Observation',
      'o1',
      [
        tok('code', LOINC, '718-7', 'hemoglobin [mass/volume] in blood'),
        tok('status', 'http://hl7.org/fhir/observation-status', 'final'),
        ref('subject', 'Patient', 'p1'),
        qty('value-quantity', 13.5, 'g/dL', { value: 135, code: 'g/L' }),
        hb(13.5),
        day('date', '2024-01-10'),
        num('probability', 0.8),
      ],
      { compartments: ['Patient/p1'], at: t0 + 3000 },
    );
    await put(
      store,
      'Observation',
      'o2',
      [
        tok('code', LOINC, '2339-0', 'glucose'),
        tok('status', null, 'amended'),
        ref('subject', 'Patient', 'p2', 'http://other.example/fhir/Patient/p2'),
        qty('value-quantity', 5.4, 'mmol/L'),
        day('date', '2024-02-01'),
        num('probability', 0.2),
      ],
      { compartments: ['Patient/p2'], at: t0 + 4000 },
    );
    // two tuples in one resource: (718-7, 9.1) and (2339-0, 20) — no single tuple is (718-7, >10)
    await put(
      store,
      'Observation',
      'o3',
      [
        tok('code', LOINC, '718-7'),
        tok('code', LOINC, '2339-0'),
        ref('subject', 'Patient', 'p1'),
        {
          kind: 'reference',
          param: 'performer',
          targetType: null,
          targetId: null,
          url: null,
          identifierSystem: 'urn:nilecare:staff',
          identifierValue: 'DR-7',
        },
        hb(9.1),
        {
          kind: 'composite',
          param: 'code-value-quantity',
          parts: [tok('code', LOINC, '2339-0'), qty('value-quantity', 20, 'mmol/L')],
        },
      ],
      { compartments: ['Patient/p1'], at: t0 + 5000 },
    );
    await put(store, 'ValueSet', 'vs1', [uri('url', 'http://nilecare.sd/fhir/ValueSet/wards')]);
    await put(store, 'ValueSet', 'vs2', [uri('url', 'http://nilecare.sd/fhir')]);
    await put(store, 'ValueSet', 'vs3', [uri('url', 'http://nilecare.sd/fhirx')]);
  });
  after(async () => {
    await store?.close();
    await dispose?.();
  });

  it('string: prefix (normalised), contains, exact (case-sensitive), values OR-ed', async () => {
    assert.deepEqual(
      await ids(store, query(['Patient'], [{ kind: 'string', param: 'name', match: 'prefix', values: ['ahm'] }])),
      ['p1'],
    );
    assert.deepEqual(
      await ids(store, query(['Patient'], [{ kind: 'string', param: 'name', match: 'prefix', values: ['hmed'] }])),
      [],
    );
    assert.deepEqual(
      await ids(store, query(['Patient'], [{ kind: 'string', param: 'name', match: 'contains', values: ['sma'] }])),
      ['p2'],
    );
    assert.deepEqual(
      await ids(store, query(['Patient'], [{ kind: 'string', param: 'name', match: 'exact', values: ['Muñoz'] }])),
      ['p3'],
    );
    assert.deepEqual(
      await ids(store, query(['Patient'], [{ kind: 'string', param: 'name', match: 'exact', values: ['muñoz'] }])),
      [],
    );
    assert.deepEqual(
      await ids(store, query(['Patient'], [{ kind: 'string', param: 'name', match: 'prefix', values: ['fat', 'al'] }])),
      ['p1', 'p2'],
    );
    assert.deepEqual(
      await ids(store, query(['Patient'], [{ kind: 'string', param: 'name', match: 'prefix', values: ['a.'] }])),
      [],
      'regex metacharacters are literal',
    );
  });

  it('token: code, system|code, |code, system|, :text, :of-type, :not', async () => {
    const t = (values: Parameters<typeof tokenQ>[0], negate = false, param = 'gender') =>
      ids(store, tokenQ(values, negate, param));
    assert.deepEqual(await t([{ match: 'code', code: 'male' }]), ['p1']);
    assert.deepEqual(await t([{ match: 'code', system: GENDER, code: 'female' }]), ['p2']);
    assert.deepEqual(await t([{ match: 'code', system: 'http://wrong', code: 'female' }]), []);
    assert.deepEqual(await t([{ match: 'code', system: null, code: 'unknown' }]), ['p3']);
    assert.deepEqual(
      await t([{ match: 'code', system: null, code: 'male' }]),
      [],
      '|code needs an entry without system',
    );
    assert.deepEqual(await t([{ match: 'code', system: 'urn:nilecare:nid' }], false, 'identifier'), ['p1', 'p3']);
    assert.deepEqual(
      await t([{ match: 'code', system: 'urn:nilecare:mrn', code: 'MRN-1' }], false, 'identifier'),
      ['p1'],
      'system and code must hold in the same entry',
    );
    assert.deepEqual(
      await t([{ match: 'of-type', typeSystem: V2, typeCode: 'MR', value: 'MRN-1' }], false, 'identifier'),
      ['p1'],
    );
    assert.deepEqual(
      await t([{ match: 'of-type', typeSystem: V2, typeCode: 'MR', value: 'NID-9' }], false, 'identifier'),
      [],
    );
    assert.deepEqual(
      await ids(store, { ...tokenQ([{ match: 'text', text: 'hemo' }], false, 'code'), resourceTypes: ['Observation'] }),
      ['o1'],
    );
    assert.deepEqual(
      await t([
        { match: 'code', code: 'male' },
        { match: 'code', code: 'unknown' },
      ]),
      ['p1', 'p3'],
    );
    assert.deepEqual(await t([{ match: 'code', code: 'male' }], true), ['p2', 'p3']);
    const notFinal = await ids(store, {
      ...tokenQ([{ match: 'code', code: 'final' }], true, 'status'),
      resourceTypes: ['Observation'],
    });
    assert.deepEqual(notFinal, ['o2', 'o3'], ':not keeps resources that lack the parameter');
  });

  it('date: ranges with prefixes already applied (eq, lt, ge, overlap)', async () => {
    const d = (iso: string) => Date.parse(`${iso}T00:00:00Z`);
    const dq = (match: Parameters<typeof dateQ>[0]) => ids(store, dateQ(match));
    assert.deepEqual(
      await dq([
        [
          { field: 'low', op: 'ge', value: d('1980-01-01') },
          { field: 'high', op: 'le', value: d('1981-01-01') - 1 },
        ],
      ]),
      ['p1'],
      'eq 1980',
    );
    assert.deepEqual(await dq([[{ field: 'high', op: 'lt', value: d('1990-01-01') }]]), ['p1'], 'lt 1990');
    assert.deepEqual(await dq([[{ field: 'low', op: 'ge', value: d('1990-01-01') }]]), ['p2'], 'ge 1990');
    assert.deepEqual(
      await dq([
        [{ field: 'high', op: 'lt', value: d('1985-01-01') }],
        [{ field: 'low', op: 'gt', value: d('1992-11-20') }],
      ]),
      ['p1'],
      'ne-style OR of ranges',
    );
    assert.deepEqual(await dq([]), [], 'an empty range matches nothing');
  });

  it('number and quantity: value ranges, unit/code, canonical form', async () => {
    const nq = (op: 'gt' | 'lt', value: number) =>
      ids(
        store,
        query(['Observation'], [{ kind: 'number', param: 'probability', match: [[{ field: 'value', op, value }]] }]),
      );
    assert.deepEqual(await nq('gt', 0.5), ['o1']);
    assert.deepEqual(await nq('lt', 0.5), ['o2']);
    const qq = (value: {
      match: [[{ field: 'low' | 'high' | 'value'; op: 'ge' | 'le' | 'gt' | 'eq'; value: number }]];
      system?: string;
      code?: string;
      canonical?: boolean;
    }) => ids(store, query(['Observation'], [{ kind: 'quantity', param: 'value-quantity', values: [value] }]));
    assert.deepEqual(await qq({ match: [[{ field: 'value', op: 'gt', value: 5 }]] }), ['o1', 'o2']);
    assert.deepEqual(
      await qq({ match: [[{ field: 'value', op: 'gt', value: 5 }]], code: 'g/dL' }),
      ['o1'],
      'code matched against code or unit',
    );
    assert.deepEqual(
      await qq({
        match: [[{ field: 'value', op: 'gt', value: 5 }]],
        system: 'http://unitsofmeasure.org',
        code: 'mmol/L',
      }),
      ['o2'],
    );
    assert.deepEqual(
      await qq({ match: [[{ field: 'value', op: 'eq', value: 135 }]], code: 'g/L', canonical: true }),
      ['o1'],
      'canonical value/code',
    );
  });

  it('reference: literal with and without type, absolute url, :identifier', async () => {
    const rq = (values: Parameters<typeof refQ>[0], param = 'subject') => ids(store, refQ(values, param));
    assert.deepEqual(await rq([{ match: 'literal', targetType: 'Patient', targetId: 'p1' }]), ['o1', 'o3']);
    assert.deepEqual(await rq([{ match: 'literal', targetId: 'p2' }]), ['o2']);
    assert.deepEqual(await rq([{ match: 'literal', targetType: 'Group', targetId: 'p1' }]), []);
    assert.deepEqual(await rq([{ match: 'url', url: 'http://other.example/fhir/Patient/p2' }]), ['o2']);
    assert.deepEqual(await rq([{ match: 'identifier', system: 'urn:nilecare:staff', value: 'DR-7' }], 'performer'), [
      'o3',
    ]);
    assert.deepEqual(await rq([{ match: 'identifier', value: 'DR-8' }], 'performer'), []);
  });

  it('uri: eq, :below, :above', async () => {
    const u = (match: 'eq' | 'above' | 'below', value: string) =>
      ids(store, query(['ValueSet'], [{ kind: 'uri', param: 'url', match, values: [value] }]));
    assert.deepEqual(await u('eq', 'http://nilecare.sd/fhir'), ['vs2']);
    assert.deepEqual(await u('below', 'http://nilecare.sd/fhir'), ['vs1', 'vs2', 'vs3']);
    assert.deepEqual(
      await u('above', 'http://nilecare.sd/fhir/ValueSet/wards'),
      ['vs1', 'vs2'],
      'ancestors by path, not by characters',
    );
  });

  it(':missing true/false', async () => {
    const m = (missing: boolean) =>
      ids(store, query(['Patient'], [{ kind: 'missing', param: 'birthdate', paramKind: 'date', missing }]));
    assert.deepEqual(await m(true), ['p3']);
    assert.deepEqual(await m(false), ['p1', 'p2']);
  });

  it('composite: one tuple must satisfy every component', async () => {
    const c = (code: string, gt: number) =>
      ids(
        store,
        query(
          ['Observation'],
          [
            {
              kind: 'composite',
              param: 'code-value-quantity',
              values: [
                [
                  { kind: 'token', param: 'code', negate: false, values: [{ match: 'code', system: LOINC, code }] },
                  {
                    kind: 'quantity',
                    param: 'value-quantity',
                    values: [{ match: [[{ field: 'value', op: 'gt', value: gt }]] }],
                  },
                ],
              ],
            },
          ],
        ),
      );
    assert.deepEqual(await c('718-7', 10), ['o1'], 'o3 has 718-7 and a value > 10, but not in the same tuple');
    assert.deepEqual(await c('718-7', 5), ['o1', 'o3']);
    assert.deepEqual(await c('2339-0', 10), ['o3']);
  });

  it('chain (ids resolved on the target collection, then $in) and _has', async () => {
    const chain = (prefix: string) =>
      ids(
        store,
        query(
          ['Observation'],
          [
            {
              kind: 'chain',
              param: 'subject',
              targetTypes: ['Patient'],
              where: [{ kind: 'string', param: 'name', match: 'prefix', values: [prefix] }],
            },
          ],
        ),
      );
    assert.deepEqual(await chain('ahm'), ['o1', 'o3']);
    assert.deepEqual(await chain('zzz'), []);
    const has = (code: string) =>
      ids(
        store,
        query(
          ['Patient'],
          [
            {
              kind: 'has',
              sourceType: 'Observation',
              sourceParam: 'subject',
              where: [{ kind: 'token', param: 'code', negate: false, values: [{ match: 'code', code }] }],
            },
          ],
        ),
      );
    assert.deepEqual(await has('718-7'), ['p1']);
    assert.deepEqual(await has('2339-0'), ['p1', 'p2']);
    // chain inside _has: patients with an observation whose subject is named Fatima
    const nested = await ids(
      store,
      query(
        ['Patient'],
        [
          {
            kind: 'has',
            sourceType: 'Observation',
            sourceParam: 'subject',
            where: [
              {
                kind: 'chain',
                param: 'subject',
                targetTypes: ['Patient'],
                where: [{ kind: 'string', param: 'name', match: 'exact', values: ['Fatima'] }],
              },
            ],
          },
        ],
      ),
    );
    assert.deepEqual(nested, ['p2']);
  });

  it('a chain that resolves to too many ids fails with a clear error instead of an unbounded $in', async () => {
    const small = await openMongoTestStore({ maxJoinIds: 2 });
    try {
      await small.store.init();
      for (const id of ['a', 'b', 'c']) await put(small.store, 'Patient', id, [tok('gender', GENDER, 'male')]);
      const q = query(
        ['Observation'],
        [
          {
            kind: 'chain',
            param: 'subject',
            targetTypes: ['Patient'],
            where: [{ kind: 'token', param: 'gender', negate: false, values: [{ match: 'code', code: 'male' }] }],
          },
        ],
      );
      await assert.rejects(
        small.store.search(q),
        (e: unknown) => e instanceof UnsupportedQueryError && /more than 2 Patient/.test(e.message),
      );
    } finally {
      await small.store.close();
      await small.dispose();
    }
  });

  it('_id, _lastUpdated, compartment, or', async () => {
    assert.deepEqual(await ids(store, query(['Patient'], [{ kind: 'id', values: ['p2', 'p3', 'nope'] }])), [
      'p2',
      'p3',
    ]);
    assert.deepEqual(
      await ids(
        store,
        query(['Patient'], [{ kind: 'lastUpdated', match: [[{ field: 'value', op: 'ge', value: t0 + 1000 }]] }]),
      ),
      ['p2', 'p3'],
    );
    assert.deepEqual(await ids(store, query(['Observation'], [{ kind: 'compartment', ref: 'Patient/p1' }])), [
      'o1',
      'o3',
    ]);
    assert.deepEqual(
      await ids(
        store,
        query(
          ['Observation'],
          [
            {
              kind: 'or',
              any: [
                { kind: 'compartment', ref: 'Patient/p2' },
                { kind: 'id', values: ['o3'] },
              ],
            },
          ],
        ),
      ),
      ['o2', 'o3'],
    );
  });

  it('searches current versions only: updates re-index, deletes disappear', async () => {
    await put(store, 'Patient', 'p4', [str('name', 'Zainab')]);
    await put(store, 'Patient', 'p4', [str('name', 'Zeinab')]);
    const byName = (n: string) =>
      ids(store, query(['Patient'], [{ kind: 'string', param: 'name', match: 'exact', values: [n] }]));
    assert.deepEqual(await byName('Zainab'), []);
    assert.deepEqual(await byName('Zeinab'), ['p4']);
    await remove(store, 'Patient', 'p4');
    assert.deepEqual(await byName('Zeinab'), []);
    assert.deepEqual(await ids(store, query(['Patient'], [{ kind: 'id', values: ['p4'] }])), []);
  });
});

function tokenQ(
  values: Array<Extract<import('../../fhir/search/search-query.js').TokenValue, object>>,
  negate: boolean,
  param: string,
) {
  return query(['Patient'], [{ kind: 'token', param, negate, values }]);
}
function dateQ(match: import('../../fhir/search/search-query.js').RangeMatch) {
  return query(['Patient'], [{ kind: 'date', param: 'birthdate', match }]);
}
function refQ(values: import('../../fhir/search/search-query.js').ReferenceValue[], param: string) {
  return query(['Observation'], [{ kind: 'reference', param, values }]);
}
