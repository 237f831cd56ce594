/** The `_filter` grammar: precedence, grouping, quoting, operators as values, and the syntax errors a client sees. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilter, FilterSyntaxError, MAX_FILTER_LENGTH } from './filter-parser.js';

const cmp = (path: string, operator: string, value: string) => ({ kind: 'compare', path, operator, value });

describe('_filter grammar', () => {
  it('and binds tighter than or; parentheses and not group', () => {
    assert.deepEqual(parseFilter('a eq 1 or b eq 2 and c eq 3'), {
      kind: 'or',
      left: cmp('a', 'eq', '1'),
      right: { kind: 'and', left: cmp('b', 'eq', '2'), right: cmp('c', 'eq', '3') },
    });
    assert.deepEqual(parseFilter('(a eq 1 or b eq 2) AND Not(c eq 3)'), {
      kind: 'and',
      left: { kind: 'or', left: cmp('a', 'eq', '1'), right: cmp('b', 'eq', '2') },
      right: { kind: 'not', child: cmp('c', 'eq', '3') },
    });
  });

  it('values: JSON strings with escapes, tokens with | and :, keywords and operators as values', () => {
    assert.deepEqual(parseFilter('name eq "van \\"der\\" Berg (jr)"'), cmp('name', 'eq', 'van "der" Berg (jr)'));
    assert.deepEqual(
      parseFilter('value-quantity gt 5.4|http://unitsofmeasure.org|mg'),
      cmp('value-quantity', 'gt', '5.4|http://unitsofmeasure.org|mg'),
    );
    assert.deepEqual(parseFilter('status EQ and'), cmp('status', 'eq', 'and'));
    assert.deepEqual(parseFilter('subject:Patient.name co "أحمد"'), cmp('subject:Patient.name', 'co', 'أحمد'));
    assert.deepEqual(parseFilter('(code eq x)'), cmp('code', 'eq', 'x'));
  });

  it('mistakes are FilterSyntaxErrors that say where', () => {
    for (const [text, pattern] of [
      ['', /ends/],
      ['a eq', /no value/],
      ['a eq 1 and', /ends/],
      ['a eq 1 b eq 2', /unexpected 'b'/],
      ['(a eq 1', /expected '\)'/],
      ['a eq 1)', /unexpected '\)'/],
      ['a zz 1', /operator/],
      ['"a" eq 1', /not a search parameter path/],
      ['a eq "x', /not closed/],
      ['related[type eq x].target pr true', /not supported/],
      ['not a eq 1', /operator|expected/],
      ['('.repeat(40) + 'a eq 1' + ')'.repeat(40), /deeper/],
      ['a eq ' + 'x'.repeat(MAX_FILTER_LENGTH), /longer/],
    ] as const) {
      assert.throws(
        () => parseFilter(text),
        (err: unknown) => {
          assert.ok(err instanceof FilterSyntaxError, `${text}: ${String(err)}`);
          assert.match(err.message, pattern, text);
          return true;
        },
      );
    }
  });
});
