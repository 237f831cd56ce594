import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { complementKey, fieldSortFor, forwardKey, paramField, sortFieldsOf } from './sort-values.js';
import { UnsupportedQueryError } from '../resource-store.js';

const codePointCompare = (a: string, b: string) => {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
};
const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);

describe('sort values', () => {
  const samples = [
    '',
    'a',
    'ab',
    'abc',
    'abd',
    'b',
    'Z',
    'zz',
    'ñ',
    'عبد',
    'عب',
    '名',
    '𝄞',
    '𝄞a',
    'a𝄞',
    '\u00ff',
    '\uffff',
  ];

  it('forwardKey keeps and complementKey reverses code point order (astral characters included), in code-unit comparison', () => {
    for (const a of samples) {
      for (const b of samples) {
        const expected = sign(codePointCompare(a, b));
        const fwd = forwardKey(a) < forwardKey(b) ? -1 : forwardKey(a) > forwardKey(b) ? 1 : 0;
        const inv = complementKey(a) < complementKey(b) ? -1 : complementKey(a) > complementKey(b) ? 1 : 0;
        assert.equal(fwd, expected, `forward ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
        assert.equal(inv, 0 - expected || 0, `complement ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      }
    }
  });

  it('encodes only BMP characters below the surrogates (MongoDB byte order = JavaScript order)', () => {
    for (const s of samples) for (const ch of forwardKey(s) + complementKey(s)) assert.ok(ch.charCodeAt(0) < 0xd800);
  });

  it('takes the smallest value for ascending and the largest for descending; dates low/high', () => {
    const fields = sortFieldsOf(
      [
        { kind: 'string', param: 'name', value: 'zaki', exact: 'Zaki' },
        { kind: 'string', param: 'name', value: 'adam', exact: 'Adam' },
        { kind: 'date', param: 'date', low: 10, high: 20 },
        { kind: 'date', param: 'date', low: 5, high: 8 },
        {
          kind: 'quantity',
          param: 'v',
          value: 5,
          low: 4.5,
          high: 5.5,
          system: null,
          code: 'mg',
          unit: 'mg',
          canonicalValue: 0.005,
          canonicalCode: 'g',
        },
        { kind: 'composite', param: 'c', parts: [] },
        { kind: 'token', param: 'code', system: 's', code: null },
      ],
      'Basic',
    );
    assert.deepEqual(fields['name'], { a: complementKey('adam'), d: forwardKey('zaki') });
    assert.deepEqual(fields['date'], { a: -5, d: 20 });
    assert.deepEqual(fields['v'], { a: -0.005, d: 0.005 });
    assert.equal(fields['c'], undefined);
    assert.equal(fields['code'], undefined, 'a token without code has no sort value');
  });

  it('gives a union parameter (Observation combo-code) the extent of its members', () => {
    const fields = sortFieldsOf(
      [
        { kind: 'token', param: 'code', system: 's', code: 'm' },
        { kind: 'token', param: 'component-code', system: 's', code: 'b' },
        { kind: 'token', param: 'component-code', system: 's', code: 'x' },
      ],
      'Observation',
    );
    assert.deepEqual(fields['combo-code'], {
      a: fields['component-code']!.a,
      d: fields['component-code']!.d,
    });
    assert.equal(
      sortFieldsOf([{ kind: 'token', param: 'code', system: 's', code: 'm' }], 'Observation')['combo-code']?.a,
      fields['code']!.a,
    );
    assert.equal(sortFieldsOf([], 'Observation')['combo-code'], undefined);
  });

  it('maps sort keys to stored fields, every parameter sort descending on its key', () => {
    assert.deepEqual(fieldSortFor({ kind: 'string', param: 'name', descending: false }), {
      field: 'sort.name.a',
      dir: -1,
    });
    assert.deepEqual(fieldSortFor({ kind: 'date', param: 'birthdate', descending: true }), {
      field: 'sort.birthdate.d',
      dir: -1,
    });
    assert.deepEqual(fieldSortFor({ kind: 'lastUpdated', descending: false }), { field: 'lu', dir: 1 });
    assert.deepEqual(fieldSortFor({ kind: 'id', descending: true }), { field: '_id', dir: -1 });
    assert.throws(() => fieldSortFor({ kind: 'composite', param: 'x', descending: false }), UnsupportedQueryError);
    assert.equal(paramField('a.b$c'), 'a~2e~b~24~c');
  });
});
