/**
 * The search compiler, one test per Condition kind and modifier, on hand-built index entries.
 * Run on PGlite and on the PostgreSQL server by the *.int.test.ts files beside this one.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Comparison } from '../../../../fhir/search/search-query.js';
import type { ResourceStore } from '../../../resource-store.js';
import type { StoreFactory } from '../../../testing/store-contract.js';
import { composite, day, ids, ms, num, put, qty, ref, remove, str, tok, uri } from './search-test-helpers.js';

const GENDER = 'http://hl7.org/fhir/administrative-gender';
const LOINC = 'http://loinc.org';
const V2 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const cmp = (field: Comparison['field'], op: Comparison['op'], value: number): Comparison => ({ field, op, value });

export function describeSearchConditions(label: string, factory: StoreFactory): void {
  describe(`PostgreSQL search conditions: ${label}`, () => {
    let store: ResourceStore;
    let dispose: () => Promise<void>;

    before(async () => {
      ({ store, dispose } = await factory());
      await store.init();
      await put(
        store,
        {
          type: 'Patient',
          id: 'p1',
          entries: [
            str('name', 'Ahmed'),
            str('name', 'Fatima'),
            tok('gender', GENDER, 'female', { text: 'female' }),
            day('birthdate', '1990-01-01'),
            tok('identifier', 'urn:mrn', 'MRN1', { typeSystem: V2, typeCode: 'MR' }),
            ref('general-practitioner', 'Practitioner/dr1'),
          ],
        },
        {
          type: 'Patient',
          id: 'p2',
          entries: [
            str('name', 'Muhammad Ali'),
            tok('gender', GENDER, 'male'),
            day('birthdate', '1985-06-15'),
            tok('identifier', 'urn:passport', 'MRN1'),
          ],
        },
        { type: 'Patient', id: 'p3', entries: [str('name', 'Ahmedou'), tok('gender', null, 'female')] },
        {
          type: 'Patient',
          id: 'p4',
          entries: [str('name', '100% cotton_x'), str('name', "O'Brien'; DROP TABLE fhir_resource; --")],
        },
        { type: 'Practitioner', id: 'dr1', entries: [str('name', 'Hassan'), ref('organization', 'Organization/org1')] },
        { type: 'Organization', id: 'org1', entries: [str('name', 'Khartoum Teaching Hospital')] },
        {
          type: 'Observation',
          id: 'o1',
          compartments: ['Patient/p1'],
          entries: [
            ref('subject', 'Patient/p1'),
            tok('code', LOINC, '718-7', { text: 'hemoglobin [mass/volume]' }),
            qty('value-quantity', 13.5, 'g/dL', { value: 135, code: 'g/L' }),
            composite('code-value-quantity', tok('code', LOINC, '718-7'), qty('value-quantity', 13.5, 'g/dL')),
          ],
        },
        {
          type: 'Observation',
          id: 'o2',
          compartments: ['Patient/p2'],
          entries: [
            ref('subject', 'Patient/p2'),
            tok('code', LOINC, '2345-7', { text: 'glucose' }),
            qty('value-quantity', 5.4, 'mmol/L'),
            composite('code-value-quantity', tok('code', LOINC, '2345-7'), qty('value-quantity', 5.4, 'mmol/L')),
          ],
        },
        {
          type: 'Observation',
          id: 'o3',
          compartments: ['Patient/p1'],
          entries: [
            ref('subject', 'Patient/p1'),
            tok('code', LOINC, '718-7'),
            qty('value-quantity', 9, 'g/dL', { value: 90, code: 'g/L' }),
            composite('code-value-quantity', tok('code', LOINC, '718-7'), qty('value-quantity', 9, 'g/dL')),
          ],
        },
        // two tuples: hemoglobin 5 and glucose 20; "hemoglobin > 10" must not pair 718-7 with the 20
        {
          type: 'Observation',
          id: 'o4',
          entries: [
            composite('code-value-quantity', tok('code', LOINC, '718-7'), qty('value-quantity', 5, 'g/dL')),
            composite('code-value-quantity', tok('code', LOINC, '2345-7'), qty('value-quantity', 20, 'mmol/L')),
          ],
        },
        {
          type: 'Observation',
          id: 'o5',
          entries: [
            {
              kind: 'reference',
              param: 'subject',
              targetType: 'Patient',
              targetId: 'p9',
              url: 'http://other.org/fhir/Patient/p9',
            },
            {
              kind: 'reference',
              param: 'performer',
              targetType: null,
              targetId: null,
              url: null,
              identifierSystem: 'urn:license',
              identifierValue: 'L-77',
            },
          ],
        },
        { type: 'ValueSet', id: 'vs1', entries: [uri('url', 'http://nilecare.sd/fhir/ValueSet/a')] },
        { type: 'ValueSet', id: 'vs2', entries: [uri('url', 'http://nilecare.sd/fhir/ValueSet/a/b')] },
        { type: 'ValueSet', id: 'vs3', entries: [uri('url', 'http://other.org/vs')] },
        { type: 'RiskAssessment', id: 'r1', entries: [num('probability', 0.25, 0.005)] },
        { type: 'RiskAssessment', id: 'r2', entries: [num('probability', 0.8, 0.05)] },
        { type: 'RiskAssessment', id: 'r3', entries: [] },
      );
    });
    after(async () => {
      await store?.close();
      await dispose?.();
    });

    it('string: prefix (normalised), exact (as written), contains with literal wildcards, values OR-ed', async () => {
      assert.deepEqual(
        await ids(store, 'Patient', { kind: 'string', param: 'name', match: 'prefix', values: ['ahmed'] }),
        ['p1', 'p3'],
      );
      assert.deepEqual(
        await ids(store, 'Patient', { kind: 'string', param: 'name', match: 'exact', values: ['Ahmed'] }),
        ['p1'],
      );
      assert.deepEqual(
        await ids(store, 'Patient', { kind: 'string', param: 'name', match: 'exact', values: ['ahmed'] }),
        [],
        'exact is case-sensitive',
      );
      assert.deepEqual(
        await ids(store, 'Patient', { kind: 'string', param: 'name', match: 'exact', values: ['Muhammad Ali'] }),
        ['p2'],
      );
      assert.deepEqual(
        await ids(store, 'Patient', {
          kind: 'string',
          param: 'name',
          match: 'exact',
          values: ['Muhammad  Ali', 'MUHAMMAD ALI'],
        }),
        [],
        'exact is as written, not as normalised',
      );
      assert.deepEqual(
        await ids(store, 'Patient', { kind: 'string', param: 'name', match: 'contains', values: ['hamm'] }),
        ['p2'],
      );
      assert.deepEqual(
        await ids(store, 'Patient', { kind: 'string', param: 'name', match: 'contains', values: ['%'] }),
        ['p4'],
        '% is literal',
      );
      assert.deepEqual(
        await ids(store, 'Patient', { kind: 'string', param: 'name', match: 'contains', values: ['n_x'] }),
        ['p4'],
        '_ is literal',
      );
      assert.deepEqual(
        await ids(store, 'Patient', { kind: 'string', param: 'name', match: 'contains', values: ['o_x'] }),
        [],
      );
      assert.deepEqual(
        await ids(store, 'Patient', { kind: 'string', param: 'name', match: 'prefix', values: ['fat', 'muh'] }),
        ['p1', 'p2'],
      );
      assert.deepEqual(
        await ids(store, 'Patient', {
          kind: 'string',
          param: 'name',
          match: 'exact',
          values: ["O'Brien'; DROP TABLE fhir_resource; --"],
        }),
        ['p4'],
        'values are bound, never spliced',
      );
      assert.deepEqual(
        await ids(store, 'Patient', { kind: 'string', param: 'family', match: 'prefix', values: ['ahmed'] }),
        [],
        'other params do not match',
      );
    });

    it('token: code, system|code, |code, system|, :text, :of-type and :not', async () => {
      const token = (values: object[], negate = false) => ({
        kind: 'token' as const,
        param: 'gender',
        negate,
        values: values as never,
      });
      assert.deepEqual(await ids(store, 'Patient', token([{ match: 'code', code: 'female' }])), ['p1', 'p3']);
      assert.deepEqual(await ids(store, 'Patient', token([{ match: 'code', system: GENDER, code: 'female' }])), ['p1']);
      assert.deepEqual(await ids(store, 'Patient', token([{ match: 'code', system: null, code: 'female' }])), ['p3']);
      assert.deepEqual(await ids(store, 'Patient', token([{ match: 'code', system: GENDER }])), ['p1', 'p2']);
      assert.deepEqual(
        await ids(
          store,
          'Patient',
          token([
            { match: 'code', code: 'male' },
            { match: 'code', code: 'female' },
          ]),
        ),
        ['p1', 'p2', 'p3'],
      );
      assert.deepEqual(
        await ids(store, 'Observation', {
          kind: 'token',
          param: 'code',
          negate: false,
          values: [{ match: 'text', text: 'hemo' }],
        }),
        ['o1'],
      );
      const ofType = {
        kind: 'token' as const,
        param: 'identifier',
        negate: false,
        values: [{ match: 'of-type' as const, typeSystem: V2, typeCode: 'MR', value: 'MRN1' }],
      };
      assert.deepEqual(await ids(store, 'Patient', ofType), ['p1'], 'p2 has the value but not the type');
      assert.deepEqual(
        await ids(store, 'Patient', token([{ match: 'code', code: 'female' }], true)),
        ['p2', 'p4'],
        ':not keeps resources without the param',
      );
    });

    it('date: RangeMatch on low/high; fractional bounds on whole-millisecond columns', async () => {
      const year1990 = [
        [cmp('low', 'ge', ms('1990-01-01T00:00:00Z')), cmp('high', 'le', ms('1990-12-31T23:59:59.999Z'))],
      ];
      assert.deepEqual(await ids(store, 'Patient', { kind: 'date', param: 'birthdate', match: year1990 }), ['p1']);
      assert.deepEqual(
        await ids(store, 'Patient', {
          kind: 'date',
          param: 'birthdate',
          match: [[cmp('low', 'lt', ms('1989-01-01T00:00:00Z'))]],
        }),
        ['p2'],
      );
      const neither = [
        [cmp('high', 'lt', ms('1985-06-15T00:00:00Z'))],
        [cmp('low', 'gt', ms('1990-01-01T23:59:59.999Z'))],
      ];
      assert.deepEqual(
        await ids(store, 'Patient', { kind: 'date', param: 'birthdate', match: neither }),
        [],
        'OR of ANDs',
      );
      const edge = ms('1990-01-01T00:00:00Z');
      assert.deepEqual(
        await ids(store, 'Patient', { kind: 'date', param: 'birthdate', match: [[cmp('low', 'ge', edge - 0.5)]] }),
        ['p1'],
      );
      assert.deepEqual(
        await ids(store, 'Patient', {
          kind: 'date',
          param: 'birthdate',
          match: [[cmp('low', 'gt', edge - 0.5), cmp('low', 'lt', edge + 0.5)]],
        }),
        ['p1'],
      );
      assert.deepEqual(
        await ids(store, 'Patient', { kind: 'date', param: 'birthdate', match: [[cmp('low', 'eq', edge + 0.5)]] }),
        [],
      );
      assert.deepEqual(
        await ids(store, 'Patient', { kind: 'date', param: 'birthdate', match: [] }),
        [],
        'an empty RangeMatch matches nothing',
      );
    });

    it('number: comparisons on value, low and high', async () => {
      const n = (match: Comparison[][]) =>
        ids(store, 'RiskAssessment', { kind: 'number', param: 'probability', match });
      assert.deepEqual(await n([[cmp('value', 'ge', 0.245), cmp('value', 'lt', 0.255)]]), ['r1']);
      assert.deepEqual(await n([[cmp('value', 'gt', 0.5)]]), ['r2']);
      assert.deepEqual(await n([[cmp('high', 'ge', 0.84)]]), ['r2']);
      assert.deepEqual(await n([[cmp('value', 'le', 0.8)]]), ['r1', 'r2']);
    });

    it('quantity: value range with system/code, unit, and canonical values', async () => {
      const q = (values: object[]) =>
        ids(store, 'Observation', { kind: 'quantity', param: 'value-quantity', values: values as never });
      assert.deepEqual(await q([{ match: [[cmp('value', 'gt', 10)]] }]), ['o1']);
      assert.deepEqual(
        await q([{ match: [[cmp('value', 'gt', 5)]], system: 'http://unitsofmeasure.org', code: 'g/dL' }]),
        ['o1', 'o3'],
      );
      assert.deepEqual(await q([{ match: [[cmp('value', 'gt', 5)]], code: 'mmol/L' }]), ['o2']);
      assert.deepEqual(await q([{ match: [[cmp('value', 'ge', 100)]], code: 'g/L', canonical: true }]), ['o1']);
      assert.deepEqual(
        await q([{ match: [[cmp('low', 'ge', 89.4), cmp('high', 'le', 90.6)]], code: 'g/L', canonical: true }]),
        ['o3'],
        'precision range carried to the canonical unit',
      );
      assert.deepEqual(
        await q([
          { match: [[cmp('value', 'lt', 6)]], code: 'mmol/L' },
          { match: [[cmp('value', 'lt', 10)]], code: 'g/dL' },
        ]),
        ['o2', 'o3'],
      );
    });

    it('reference: literal with and without type, absolute url, :identifier', async () => {
      const r = (param: string, values: object[]) =>
        ids(store, 'Observation', { kind: 'reference', param, values: values as never });
      assert.deepEqual(await r('subject', [{ match: 'literal', targetType: 'Patient', targetId: 'p1' }]), ['o1', 'o3']);
      assert.deepEqual(await r('subject', [{ match: 'literal', targetId: 'p2' }]), ['o2']);
      assert.deepEqual(await r('subject', [{ match: 'literal', targetType: 'Group', targetId: 'p2' }]), []);
      assert.deepEqual(await r('subject', [{ match: 'url', url: 'http://other.org/fhir/Patient/p9' }]), ['o5']);
      assert.deepEqual(await r('performer', [{ match: 'identifier', system: 'urn:license', value: 'L-77' }]), ['o5']);
      assert.deepEqual(await r('performer', [{ match: 'identifier', system: 'urn:other', value: 'L-77' }]), []);
      assert.deepEqual(await r('performer', [{ match: 'identifier', value: 'L-77' }]), ['o5']);
    });

    it('uri: eq, :below and :above', async () => {
      const u = (match: 'eq' | 'above' | 'below', value: string) =>
        ids(store, 'ValueSet', { kind: 'uri', param: 'url', match, values: [value] });
      assert.deepEqual(await u('eq', 'http://nilecare.sd/fhir/ValueSet/a'), ['vs1']);
      assert.deepEqual(await u('below', 'http://nilecare.sd/fhir/'), ['vs1', 'vs2']);
      assert.deepEqual(await u('above', 'http://nilecare.sd/fhir/ValueSet/a/b/c'), ['vs1', 'vs2']);
      assert.deepEqual(await u('above', 'http://nilecare.sd/fhir/ValueSet/a'), ['vs1']);
    });

    it(':missing true and false for each kind of parameter', async () => {
      assert.deepEqual(
        await ids(store, 'Patient', { kind: 'missing', param: 'birthdate', paramKind: 'date', missing: true }),
        ['p3', 'p4'],
      );
      assert.deepEqual(
        await ids(store, 'Patient', { kind: 'missing', param: 'birthdate', paramKind: 'date', missing: false }),
        ['p1', 'p2'],
      );
      assert.deepEqual(
        await ids(store, 'RiskAssessment', {
          kind: 'missing',
          param: 'probability',
          paramKind: 'number',
          missing: true,
        }),
        ['r3'],
      );
      assert.deepEqual(
        await ids(store, 'Observation', {
          kind: 'missing',
          param: 'code-value-quantity',
          paramKind: 'composite',
          missing: true,
        }),
        ['o5'],
      );
      assert.deepEqual(
        await ids(store, 'Observation', {
          kind: 'missing',
          param: 'performer',
          paramKind: 'reference',
          missing: false,
        }),
        ['o5'],
      );
    });

    it('chain: one and two levels, through current targets only', async () => {
      const byName = (value: string) => ({
        kind: 'string' as const,
        param: 'name',
        match: 'prefix' as const,
        values: [value],
      });
      assert.deepEqual(
        await ids(store, 'Observation', {
          kind: 'chain',
          param: 'subject',
          targetTypes: ['Patient'],
          where: [byName('ahmed')],
        }),
        ['o1', 'o3'],
      );
      assert.deepEqual(
        await ids(store, 'Observation', {
          kind: 'chain',
          param: 'subject',
          targetTypes: ['Group'],
          where: [byName('ahmed')],
        }),
        [],
      );
      const twoLevels = {
        kind: 'chain' as const,
        param: 'subject',
        targetTypes: ['Patient'],
        where: [
          {
            kind: 'chain' as const,
            param: 'general-practitioner',
            targetTypes: ['Practitioner'],
            where: [{ kind: 'chain' as const, param: 'organization', targetTypes: [], where: [byName('khartoum')] }],
          },
        ],
      };
      assert.deepEqual(await ids(store, 'Observation', twoLevels), ['o1', 'o3']);
      assert.deepEqual(
        await ids(store, 'Observation', {
          kind: 'chain',
          param: 'subject',
          targetTypes: ['Patient'],
          where: [{ kind: 'id', values: ['p2'] }],
        }),
        ['o2'],
      );
    });

    it('_has: resources referenced by matching sources', async () => {
      const hb = {
        kind: 'token' as const,
        param: 'code',
        negate: false,
        values: [{ match: 'code' as const, code: '718-7' }],
      };
      assert.deepEqual(
        await ids(store, 'Patient', { kind: 'has', sourceType: 'Observation', sourceParam: 'subject', where: [hb] }),
        ['p1'],
      );
      const glucoseHigh = {
        kind: 'quantity' as const,
        param: 'value-quantity',
        values: [{ match: [[cmp('value', 'gt', 100)]] }],
      };
      assert.deepEqual(
        await ids(store, 'Patient', {
          kind: 'has',
          sourceType: 'Observation',
          sourceParam: 'subject',
          where: [glucoseHigh],
        }),
        [],
      );
      const nested = {
        kind: 'has' as const,
        sourceType: 'Patient',
        sourceParam: 'general-practitioner',
        where: [{ kind: 'has' as const, sourceType: 'Observation', sourceParam: 'subject', where: [hb] }],
      };
      assert.deepEqual(await ids(store, 'Practitioner', nested), ['dr1']);
    });

    it('_id and _lastUpdated', async () => {
      assert.deepEqual(await ids(store, 'Patient', { kind: 'id', values: ['p2', 'p3', 'nope'] }), ['p2', 'p3']);
      assert.deepEqual(await ids(store, 'Patient', { kind: 'id', values: [] }), []);
      await put(
        store,
        { type: 'Flag', id: 'old', entries: [], lastUpdated: '2001-05-05T10:00:00.000Z' },
        { type: 'Flag', id: 'new', entries: [], lastUpdated: '2031-05-05T10:00:00.000Z' },
      );
      const since = (iso: string) =>
        ids(store, 'Flag', { kind: 'lastUpdated', match: [[cmp('value', 'ge', ms(iso))]] });
      assert.deepEqual(await since('2030-01-01T00:00:00Z'), ['new']);
      assert.deepEqual(await since('2000-01-01T00:00:00Z'), ['new', 'old']);
      assert.deepEqual(
        await ids(store, 'Flag', { kind: 'lastUpdated', match: [[cmp('value', 'eq', ms('2001-05-05T10:00:00Z'))]] }),
        ['old'],
      );
    });

    it('composite: all parts must hold in the same tuple', async () => {
      const cvq = (code: string, above: number) => ({
        kind: 'composite' as const,
        param: 'code-value-quantity',
        values: [
          [
            {
              kind: 'token' as const,
              param: 'code',
              negate: false,
              values: [{ match: 'code' as const, system: LOINC, code }],
            },
            { kind: 'quantity' as const, param: 'value-quantity', values: [{ match: [[cmp('value', 'gt', above)]] }] },
          ],
        ],
      });
      assert.deepEqual(await ids(store, 'Observation', cvq('718-7', 10)), ['o1'], 'o4 pairs 718-7 with 5 only');
      assert.deepEqual(await ids(store, 'Observation', cvq('2345-7', 10)), ['o4']);
      assert.deepEqual(await ids(store, 'Observation', cvq('718-7', 4)), ['o1', 'o3', 'o4']);
      const either = { ...cvq('718-7', 10), values: [...cvq('718-7', 10).values, ...cvq('2345-7', 5).values] };
      assert.deepEqual(await ids(store, 'Observation', either), ['o1', 'o2', 'o4'], 'composite values are OR-ed');
    });

    it('compartment, or, several resource types and all types', async () => {
      assert.deepEqual(await ids(store, 'Observation', { kind: 'compartment', ref: 'Patient/p1' }), ['o1', 'o3']);
      assert.deepEqual(await ids(store, 'Observation', { kind: 'compartment', ref: 'Patient/p3' }), []);
      const either = {
        kind: 'or' as const,
        any: [
          { kind: 'id' as const, values: ['p1'] },
          { kind: 'string' as const, param: 'name', match: 'prefix' as const, values: ['muh'] },
        ],
      };
      assert.deepEqual(await ids(store, 'Patient', either), ['p1', 'p2']);
      assert.deepEqual(await ids(store, 'Patient', { kind: 'or', any: [] }), []);
      const grouped = {
        kind: 'or' as const,
        any: [
          { kind: 'string' as const, param: 'name', match: 'prefix' as const, values: ['muh'] },
          {
            kind: 'token' as const,
            param: 'gender',
            negate: false,
            values: [{ match: 'code' as const, system: null, code: 'female' }],
          },
          { kind: 'string' as const, param: 'family', match: 'exact' as const, values: ['Ahmed'] },
          {
            kind: 'token' as const,
            param: 'gender',
            negate: true,
            values: [
              { match: 'code' as const, code: 'male' },
              { match: 'code' as const, code: 'female' },
            ],
          },
        ],
      };
      assert.deepEqual(
        await ids(store, 'Patient', grouped),
        ['p2', 'p3', 'p4'],
        'branches on one table, other params and :not',
      );
      const named = { kind: 'string' as const, param: 'name', match: 'prefix' as const, values: ['ha', 'kh'] };
      assert.deepEqual(await ids(store, ['Practitioner', 'Organization'], named), ['dr1', 'org1']);
      assert.deepEqual(await ids(store, [], named), ['dr1', 'org1']);
      assert.deepEqual(await ids(store, ['Patient'], named), []);
    });

    it('a new version replaces the index rows; a delete leaves every search', async () => {
      await put(store, {
        type: 'Location',
        id: 'l1',
        entries: [str('name', 'Omdurman'), tok('status', null, 'active')],
        compartments: ['Patient/p1'],
      });
      const name = (v: string) => ({ kind: 'string' as const, param: 'name', match: 'prefix' as const, values: [v] });
      assert.deepEqual(await ids(store, 'Location', name('omd')), ['l1']);
      await put(store, { type: 'Location', id: 'l1', entries: [str('name', 'Kassala')] });
      assert.deepEqual(await ids(store, 'Location', name('omd')), []);
      assert.deepEqual(await ids(store, 'Location', name('kas')), ['l1']);
      assert.deepEqual(
        await ids(store, 'Location', { kind: 'compartment', ref: 'Patient/p1' }),
        [],
        'compartments replaced too',
      );
      await remove(store, 'Location', 'l1');
      assert.deepEqual(await ids(store, 'Location', name('kas')), []);
      assert.deepEqual(await ids(store, 'Location'), []);
      assert.deepEqual(
        await ids(store, 'Location', { kind: 'missing', param: 'name', paramKind: 'string', missing: true }),
        [],
        'deleted resources do not match :missing',
      );
      await remove(store, 'Practitioner', 'dr1');
      const byPractitioner = {
        kind: 'chain' as const,
        param: 'general-practitioner',
        targetTypes: ['Practitioner'],
        where: [name('hassan')],
      };
      assert.deepEqual(await ids(store, 'Patient', byPractitioner), [], 'a chain does not reach a deleted target');
    });
  });
}
