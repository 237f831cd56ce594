import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Observation } from '@medplum/fhirtypes';
import { loadDefinitions } from '../definitions.js';
import { unionMembers, unionParams } from './union-params.js';
import { extractIndex } from './extract-index.js';
import { parseSearch } from '../search/parse-search.js';
import { matchesSearch } from '../search/matches.js';
import type { Condition } from '../search/search-query.js';

const conditions = (params: Array<[string, string]>): Condition[] =>
  parseSearch(['Observation'], params, { baseUrl: 'http://h/fhir' }).query.conditions;

describe('union parameters (combo-*)', () => {
  it('are found from the R4 expressions: exactly the six Observation combo-* parameters', () => {
    const found = loadDefinitions().resourceTypes.flatMap((t) =>
      [...unionParams(t)].map(([c, m]) => `${t}.${c}=${[...m].sort().join('+')}`),
    );
    assert.deepEqual(found.sort(), [
      'Observation.combo-code-value-concept=code-value-concept+component-code-value-concept',
      'Observation.combo-code-value-quantity=code-value-quantity+component-code-value-quantity',
      'Observation.combo-code=code+component-code',
      'Observation.combo-data-absent-reason=component-data-absent-reason+data-absent-reason',
      'Observation.combo-value-concept=component-value-concept+value-concept',
      'Observation.combo-value-quantity=component-value-quantity+value-quantity',
    ]);
    assert.equal(unionMembers('Observation', 'code'), undefined);
  });

  it('have no index entries of their own: an Observation without components stores its values once', () => {
    const index = extractIndex({
      resourceType: 'Observation',
      id: 'o1',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
      valueQuantity: { value: 120, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
      component: [{ code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: { value: 80 } }],
    });
    const params = new Set(index.entries.map((e) => e.param));
    assert.deepEqual(
      [...params].filter((p) => p.startsWith('combo-')),
      [],
    );
    for (const p of [
      'code',
      'component-code',
      'value-quantity',
      'component-value-quantity',
      'code-value-quantity',
      'component-code-value-quantity',
    ])
      assert.ok(params.has(p), p);
  });

  it('are searched as the union of their members: OR, but AND for :missing=true and :not', () => {
    const token = { kind: 'token', negate: false, values: [{ match: 'code', system: 'http://loinc.org', code: '1' }] };
    assert.deepEqual(conditions([['combo-code', 'http://loinc.org|1']]), [
      {
        kind: 'or',
        any: [
          { ...token, param: 'code' },
          { ...token, param: 'component-code' },
        ],
      },
    ]);
    const not = { ...token, negate: true };
    assert.deepEqual(conditions([['combo-code:not', 'http://loinc.org|1']]), [
      {
        kind: 'and',
        all: [
          { ...not, param: 'code' },
          { ...not, param: 'component-code' },
        ],
      },
    ]);
    const missing = (m: boolean) => [
      { kind: 'missing', param: 'component-value-quantity', paramKind: 'quantity', missing: m },
      { kind: 'missing', param: 'value-quantity', paramKind: 'quantity', missing: m },
    ];
    assert.deepEqual(conditions([['combo-value-quantity:missing', 'true']]), [{ kind: 'and', all: missing(true) }]);
    assert.deepEqual(conditions([['combo-value-quantity:missing', 'false']]), [{ kind: 'or', any: missing(false) }]);
    const [composite] = conditions([['combo-code-value-quantity', 'http://loinc.org|1$gt5']]);
    assert.equal(composite?.kind, 'or');
    assert.deepEqual(
      composite.any.map((c) => (c as { param: string }).param),
      ['code-value-quantity', 'component-code-value-quantity'],
    );
    const { sort } = parseSearch(['Observation'], [['_sort', '-combo-code']], { baseUrl: 'http://h/fhir' }).query;
    assert.deepEqual(sort, [
      { kind: 'token', param: 'combo-code', descending: true, params: ['code', 'component-code'] },
    ]);
  });

  it('match in memory (subscriptions, constraints) as before: composites by the member components', () => {
    const bp: Observation = {
      resourceType: 'Observation',
      id: 'bp',
      meta: { lastUpdated: '2025-01-01T00:00:00Z' },
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
      component: [
        { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 130 } },
      ],
    };
    const plain: Observation = {
      ...bp,
      id: 'p',
      code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
      component: [],
      valueQuantity: { value: 110 },
    };
    for (const [query, bpMatches, plainMatches] of [
      [{ 'combo-code-value-quantity': 'http://loinc.org|8480-6$gt120' }, true, false],
      [{ 'combo-code-value-quantity': 'http://loinc.org|8480-6$gt100' }, true, true],
      [{ 'combo-code': 'http://loinc.org|8480-6' }, true, true],
      [{ 'combo-code:not': 'http://loinc.org|8480-6' }, false, false],
      [{ 'combo-value-quantity:missing': 'true' }, false, false],
      [{ 'combo-value-quantity': 'lt120' }, false, true],
    ] as const) {
      assert.equal(matchesSearch(bp, 'Observation', query), bpMatches, JSON.stringify(query));
      assert.equal(matchesSearch(plain, 'Observation', query), plainMatches, JSON.stringify(query));
    }
  });
});
