/** The number kind: decimal and integer values and Ranges (`[prefix]value`). */
import type { Filter } from '../../../../store/mongo/doc-db.js';
import { NO_ELEMENT, rangeFilter } from '../../../../store/mongo/filter-parts.js';
import { compileRange } from '../../../../store/postgres/search/range-match.js';
import { rangeHolds } from '../../range-holds.js';
import { ENTRY_KEY_SEPARATOR as SEP } from '../entry-key.js';
import type { SearchParamKind } from '../search-param-kind.js';
import { extractNumber } from './extract-number.js';
import { parseNumber } from './parse-number.js';

export const numberKind: SearchParamKind<'number'> = {
  kind: 'number',
  modifiers: [],
  parse: parseNumber,
  extract: extractNumber,
  entryKey: (e) => `n${SEP}${e.param}${SEP}${e.value}${SEP}${e.low}${SEP}${e.high}`,
  entryMatches: (condition, e) => rangeHolds(condition.match, e),
  negated: () => false,
  postgres: {
    columns: [
      { name: 'value', type: 'float8' },
      { name: 'low', type: 'float8' },
      { name: 'high', type: 'float8' },
    ],
    rowValues: (e) => [e.value, e.low, e.high],
    predicate: ({ match }, a, params) =>
      compileRange(match, { low: `${a}.low`, high: `${a}.high`, value: `${a}.value` }, false, params, {
        ordered: true,
      }),
    sort: { ascending: 'a.value', descending: 'a.value', type: 'float8' },
  },
  mongo: {
    indexes: [{ name: 'number', keys: { 'idx.number.param': 1, 'idx.number.value': 1 } }],
    filter: ({ match }): Filter => rangeFilter(match, (f) => f, NO_ELEMENT),
    sortExtent: (e) => ({ kind: 'number', min: e.value, max: e.value }),
  },
};
