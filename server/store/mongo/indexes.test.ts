/**
 * Every condition kind compiles to a filter that (a) the driver can serialise to BSON and (b) an index
 * created at init() can serve: its top-level path is the first key of one of RESOURCE_INDEXES (or
 * _id). Negations (`:not`, `:missing=true`) are the exception MongoDB cannot serve from an index.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BSON } from 'mongodb';
import type { Condition } from '../../fhir/search/search-query.js';
import { compileCondition } from './compile-condition.js';
import { currentDocOf } from './documents.js';
import { RESOURCE_INDEXES } from './indexes.js';
import { day, qty, ref, str, tok, uri } from './testing/search-fixtures.js';

const range = [[{ field: 'low' as const, op: 'ge' as const, value: 1 }]];
const servable: Condition[] = [
  { kind: 'string', param: 'name', match: 'prefix', values: ['a'] },
  { kind: 'string', param: 'name', match: 'exact', values: ['A'] },
  { kind: 'token', param: 'code', negate: false, values: [{ match: 'code', system: 's', code: 'c' }] },
  { kind: 'token', param: 'code', negate: false, values: [{ match: 'text', text: 'x' }] },
  { kind: 'date', param: 'date', match: range },
  { kind: 'number', param: 'n', match: range },
  { kind: 'quantity', param: 'q', values: [{ match: range, code: 'mg' }] },
  { kind: 'reference', param: 'subject', values: [{ match: 'literal', targetType: 'Patient', targetId: 'p' }] },
  { kind: 'reference', param: 'subject', values: [{ match: 'identifier', value: 'v' }] },
  { kind: 'uri', param: 'url', match: 'above', values: ['http://a/b'] },
  { kind: 'missing', param: 'date', paramKind: 'date', missing: false },
  { kind: 'id', values: ['a', 'b'] },
  { kind: 'lastUpdated', match: range },
  { kind: 'compartment', ref: 'Patient/p' },
  {
    kind: 'composite',
    param: 'cvq',
    values: [[{ kind: 'token', param: 'code', negate: false, values: [{ match: 'code', code: 'c' }] }]],
  },
];

const leadingKeys = new Set(['_id', ...RESOURCE_INDEXES.map((s) => Object.keys(s.keys)[0]!)]);

function topPaths(filter: Record<string, unknown>): string[] {
  return Object.entries(filter).flatMap(([k, v]) =>
    k === '$or' || k === '$and' ? (v as Array<Record<string, unknown>>).flatMap(topPaths) : [k],
  );
}

describe('indexes and BSON', () => {
  it('every non-negated condition kind has an index led by the path it filters on', () => {
    for (const c of servable) {
      const filter = compileCondition(c);
      for (const path of topPaths(filter)) {
        const indexed = leadingKeys.has(path) || leadingKeys.has(`${path}.param`);
        assert.ok(indexed, `${c.kind}: no index for ${path} in ${JSON.stringify(filter)}`);
      }
    }
  });

  it('compiled filters serialise to BSON (regexes included)', () => {
    for (const c of [
      ...servable,
      { kind: 'token', param: 'x', negate: true, values: [{ match: 'code', code: 'y' }] } as Condition,
    ]) {
      const bytes = BSON.serialize(compileCondition(c));
      assert.ok(bytes.length > 5);
    }
    const round = BSON.deserialize(
      BSON.serialize(compileCondition({ kind: 'string', param: 'name', match: 'prefix', values: ['a.b'] })),
      { bsonRegExp: false },
    );
    assert.deepEqual(round, { 'idx.string': { $elemMatch: { param: 'name', value: { $in: [/^a\.b/] } } } });
  });

  it('stored documents pass the driver key checks and keep no undefined members', () => {
    const doc = currentDocOf({
      resourceType: 'Observation',
      id: 'o1',
      versionId: 1,
      lastUpdated: '2024-01-01T00:00:00.000Z',
      resource: {
        resourceType: 'Observation',
        id: 'o1',
        status: 'final',
        code: { text: 'x' },
        _status: { extension: [{ url: 'u', valueString: 's' }] },
      } as never,
      index: {
        entries: [
          str('name', 'A'),
          tok('code', null, 'c'),
          day('date', '2024-01-01'),
          qty('q', 1, 'mg'),
          ref('subject', 'Patient', 'p'),
          uri('url', 'http://a'),
          { kind: 'composite', param: 'cvq', parts: [tok('code', 's', 'c')] },
        ],
        compartments: ['Patient/p'],
      },
    });
    BSON.serialize(doc, { checkKeys: true });
    const round = BSON.deserialize(BSON.serialize(doc, { ignoreUndefined: false }));
    assert.deepEqual(
      round,
      JSON.parse(JSON.stringify(doc)),
      'BSON round trip equals the JSON form: nothing undefined, nothing lost',
    );
  });
});
