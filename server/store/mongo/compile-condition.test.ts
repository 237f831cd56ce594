import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UnsupportedQueryError } from '../resource-store.js';
import { uriAncestors } from '../../fhir/search/kinds/uri/uri-mongo.js';
import { compileCondition, compileSearchFilter } from './compile-condition.js';

describe('compileCondition (SearchQuery condition → MongoDB filter, pure)', () => {
  it('string: prefix and contains are anchored / unanchored regexes on the normalised value; exact on exact', () => {
    assert.deepEqual(compileCondition({ kind: 'string', param: 'name', match: 'prefix', values: ['ah', 'o.k'] }), {
      'idx.string': { $elemMatch: { param: 'name', value: { $in: [/^ah/, /^o\.k/] } } },
    });
    assert.deepEqual(compileCondition({ kind: 'string', param: 'name', match: 'contains', values: ['med'] }), {
      'idx.string': { $elemMatch: { param: 'name', value: { $in: [/med/] } } },
    });
    assert.deepEqual(compileCondition({ kind: 'string', param: 'family', match: 'exact', values: ['Ahmed'] }), {
      'idx.string': { $elemMatch: { param: 'family', exact: 'Ahmed' } },
    });
  });

  it('token: system|code, |code (no system), system|, :text, :of-type, several values OR-ed in one element', () => {
    assert.deepEqual(
      compileCondition({
        kind: 'token',
        param: 'code',
        negate: false,
        values: [{ match: 'code', system: 'http://loinc.org', code: '718-7' }],
      }),
      {
        'idx.token': { $elemMatch: { param: 'code', system: 'http://loinc.org', code: '718-7' } },
      },
    );
    assert.deepEqual(
      compileCondition({
        kind: 'token',
        param: 'gender',
        negate: false,
        values: [{ match: 'code', system: null, code: 'x' }],
      }),
      {
        'idx.token': { $elemMatch: { param: 'gender', system: null, code: 'x' } },
      },
    );
    assert.deepEqual(
      compileCondition({
        kind: 'token',
        param: 'identifier',
        negate: false,
        values: [{ match: 'code', system: 'urn:mrn' }],
      }),
      {
        'idx.token': { $elemMatch: { param: 'identifier', system: 'urn:mrn' } },
      },
    );
    assert.deepEqual(
      compileCondition({ kind: 'token', param: 'code', negate: false, values: [{ match: 'text', text: 'haemo' }] }),
      {
        'idx.token': { $elemMatch: { param: 'code', text: /^haemo/ } },
      },
    );
    assert.deepEqual(
      compileCondition({
        kind: 'token',
        param: 'identifier',
        negate: false,
        values: [
          {
            match: 'of-type',
            typeSystem: 'http://terminology.hl7.org/CodeSystem/v2-0203',
            typeCode: 'MR',
            value: '42',
          },
        ],
      }),
      {
        'idx.token': {
          $elemMatch: {
            param: 'identifier',
            typeSystem: 'http://terminology.hl7.org/CodeSystem/v2-0203',
            typeCode: 'MR',
            code: '42',
          },
        },
      },
    );
    assert.deepEqual(
      compileCondition({
        kind: 'token',
        param: 'status',
        negate: false,
        values: [
          { match: 'code', code: 'final' },
          { match: 'code', code: 'amended' },
        ],
      }),
      {
        'idx.token': { $elemMatch: { param: 'status', $or: [{ code: 'final' }, { code: 'amended' }] } },
      },
    );
  });

  it('token :not is a $nor around the element match (resources without the param match)', () => {
    assert.deepEqual(
      compileCondition({ kind: 'token', param: 'status', negate: true, values: [{ match: 'code', code: 'final' }] }),
      {
        $nor: [{ 'idx.token': { $elemMatch: { param: 'status', code: 'final' } } }],
      },
    );
  });

  it('date: a RangeMatch becomes $or of $and comparisons on low/high of one element', () => {
    const ms = Date.UTC(2020, 0, 1);
    assert.deepEqual(
      compileCondition({
        kind: 'date',
        param: 'birthdate',
        match: [
          [
            { field: 'low', op: 'ge', value: ms },
            { field: 'high', op: 'le', value: ms + 1 },
          ],
        ],
      }),
      { 'idx.date': { $elemMatch: { param: 'birthdate', low: { $gte: ms }, high: { $lte: ms + 1 } } } },
    );
    assert.deepEqual(
      compileCondition({
        kind: 'date',
        param: 'date',
        match: [[{ field: 'high', op: 'lt', value: 5 }], [{ field: 'low', op: 'gt', value: 9 }]],
      }),
      { 'idx.date': { $elemMatch: { param: 'date', $or: [{ high: { $lt: 5 } }, { low: { $gt: 9 } }] } } },
    );
    // two comparisons on the same field stay separate ($and), never overwrite each other
    assert.deepEqual(
      compileCondition({
        kind: 'date',
        param: 'date',
        match: [
          [
            { field: 'low', op: 'ge', value: 1 },
            { field: 'low', op: 'le', value: 2 },
          ],
        ],
      }),
      { 'idx.date': { $elemMatch: { param: 'date', $and: [{ low: { $gte: 1 } }, { low: { $lte: 2 } }] } } },
    );
  });

  it('number and quantity: ranges on value/low/high; quantity code matches code or unit without a system; canonical uses canonicalValue/Code', () => {
    assert.deepEqual(
      compileCondition({ kind: 'number', param: 'probability', match: [[{ field: 'value', op: 'gt', value: 0.5 }]] }),
      {
        'idx.number': { $elemMatch: { param: 'probability', value: { $gt: 0.5 } } },
      },
    );
    assert.deepEqual(
      compileCondition({
        kind: 'quantity',
        param: 'value-quantity',
        values: [{ match: [[{ field: 'low', op: 'ge', value: 5 }]], code: 'mg' }],
      }),
      {
        'idx.quantity': {
          $elemMatch: { param: 'value-quantity', low: { $gte: 5 }, $or: [{ code: 'mg' }, { unit: 'mg' }] },
        },
      },
    );
    assert.deepEqual(
      compileCondition({
        kind: 'quantity',
        param: 'value-quantity',
        values: [
          {
            match: [[{ field: 'value', op: 'eq', value: 0.005 }]],
            system: 'http://unitsofmeasure.org',
            code: 'g',
            canonical: true,
          },
        ],
      }),
      {
        'idx.quantity': {
          $elemMatch: {
            param: 'value-quantity',
            canonicalValue: { $eq: 0.005 },
            system: 'http://unitsofmeasure.org',
            canonicalCode: 'g',
          },
        },
      },
    );
  });

  it('reference: literal, url and :identifier', () => {
    assert.deepEqual(
      compileCondition({
        kind: 'reference',
        param: 'subject',
        values: [
          { match: 'literal', targetType: 'Patient', targetId: 'p1' },
          { match: 'literal', targetId: 'p2' },
        ],
      }),
      {
        'idx.reference': {
          $elemMatch: { param: 'subject', $or: [{ targetId: 'p1', targetType: 'Patient' }, { targetId: 'p2' }] },
        },
      },
    );
    assert.deepEqual(
      compileCondition({ kind: 'reference', param: 'subject', values: [{ match: 'url', url: 'http://x/Patient/1' }] }),
      {
        'idx.reference': { $elemMatch: { param: 'subject', url: 'http://x/Patient/1' } },
      },
    );
    assert.deepEqual(
      compileCondition({
        kind: 'reference',
        param: 'subject',
        values: [{ match: 'identifier', system: 'urn:mrn', value: '7' }],
      }),
      {
        'idx.reference': { $elemMatch: { param: 'subject', identifierValue: '7', identifierSystem: 'urn:mrn' } },
      },
    );
  });

  it('uri: eq, :below (prefix), :above (the stored value is an ancestor path)', () => {
    assert.deepEqual(
      compileCondition({ kind: 'uri', param: 'url', match: 'eq', values: ['http://a/fhir/ValueSet/x'] }),
      {
        'idx.uri': { $elemMatch: { param: 'url', value: 'http://a/fhir/ValueSet/x' } },
      },
    );
    assert.deepEqual(compileCondition({ kind: 'uri', param: 'url', match: 'below', values: ['http://a/fhir'] }), {
      'idx.uri': { $elemMatch: { param: 'url', value: { $in: [/^http:\/\/a\/fhir/] } } },
    });
    assert.deepEqual(uriAncestors('http://a.org/fhir/ValueSet/x'), [
      'http://a.org/fhir/ValueSet/x',
      'http://a.org/fhir/ValueSet',
      'http://a.org/fhir',
      'http://a.org',
    ]);
    assert.deepEqual(uriAncestors('urn:oid:1.2.3'), ['urn:oid:1.2.3']);
  });

  it('missing, id, lastUpdated, compartment, or', () => {
    assert.deepEqual(compileCondition({ kind: 'missing', param: 'birthdate', paramKind: 'date', missing: true }), {
      'idx.date.param': { $ne: 'birthdate' },
    });
    assert.deepEqual(compileCondition({ kind: 'missing', param: 'birthdate', paramKind: 'date', missing: false }), {
      'idx.date.param': 'birthdate',
    });
    assert.deepEqual(compileCondition({ kind: 'id', values: ['a'] }), { _id: 'a' });
    assert.deepEqual(compileCondition({ kind: 'id', values: ['a', 'b', 'a'] }), { _id: { $in: ['a', 'b'] } });
    assert.deepEqual(
      compileCondition({
        kind: 'lastUpdated',
        match: [
          [
            { field: 'low', op: 'ge', value: 10 },
            { field: 'high', op: 'lt', value: 20 },
          ],
        ],
      }),
      {
        $and: [{ lu: { $gte: 10 } }, { lu: { $lt: 20 } }],
      },
    );
    assert.deepEqual(compileCondition({ kind: 'compartment', ref: 'Patient/p1' }), { compartments: 'Patient/p1' });
    assert.deepEqual(
      compileCondition({
        kind: 'or',
        any: [
          { kind: 'id', values: ['a'] },
          { kind: 'compartment', ref: 'Patient/p1' },
        ],
      }),
      {
        $or: [{ _id: 'a' }, { compartments: 'Patient/p1' }],
      },
    );
    assert.deepEqual(compileCondition({ kind: 'or', any: [] }), { _id: { $in: [] } }, 'an empty OR matches nothing');
  });

  it('composite: one tuple must satisfy every component, matched by position', () => {
    assert.deepEqual(
      compileCondition({
        kind: 'composite',
        param: 'code-value-quantity',
        values: [
          [
            {
              kind: 'token',
              param: 'code',
              negate: false,
              values: [{ match: 'code', system: 'http://loinc.org', code: '718-7' }],
            },
            {
              kind: 'quantity',
              param: 'value-quantity',
              values: [{ match: [[{ field: 'value', op: 'gt', value: 10 }]] }],
            },
          ],
        ],
      }),
      {
        'idx.composite': {
          $elemMatch: {
            param: 'code-value-quantity',
            'parts.0.kind': 'token',
            'parts.0.system': 'http://loinc.org',
            'parts.0.code': '718-7',
            'parts.1.kind': 'quantity',
            'parts.1.value': { $gt: 10 },
          },
        },
      },
    );
  });

  it('a search is the AND of its conditions over non-deleted documents', () => {
    assert.deepEqual(compileSearchFilter([]), { deleted: false });
    assert.deepEqual(
      compileSearchFilter([
        { kind: 'id', values: ['a'] },
        { kind: 'compartment', ref: 'Patient/p' },
      ]),
      { deleted: false, _id: 'a', compartments: 'Patient/p' },
    );
    assert.deepEqual(
      compileSearchFilter([
        { kind: 'id', values: ['a'] },
        { kind: 'id', values: ['b'] },
      ]),
      { $and: [{ deleted: false }, { _id: 'a' }, { _id: 'b' }] },
    );
  });

  it('refuses chain/_has that were not resolved against the database first, and composite parts of other kinds', () => {
    assert.throws(
      () => compileCondition({ kind: 'chain', param: 'subject', targetTypes: ['Patient'], where: [] }),
      UnsupportedQueryError,
    );
    assert.throws(
      () => compileCondition({ kind: 'has', sourceType: 'Observation', sourceParam: 'subject', where: [] }),
      UnsupportedQueryError,
    );
    assert.throws(
      () => compileCondition({ kind: 'composite', param: 'x', values: [[{ kind: 'id', values: ['a'] }]] }),
      /composite component/,
    );
  });
});
