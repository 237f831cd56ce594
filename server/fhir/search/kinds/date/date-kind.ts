/** The date kind: date/dateTime/instant/Period/Timing as epoch-ms ranges (`[prefix]date`). */
import type { Filter } from '../../../../store/mongo/doc-db.js';
import { NO_ELEMENT, rangeFilter } from '../../../../store/mongo/filter-parts.js';
import { compileRange } from '../../../../store/postgres/search/range-match.js';
import { rangeHolds } from '../../range-holds.js';
import { ENTRY_KEY_SEPARATOR as SEP } from '../entry-key.js';
import type { SearchParamKind } from '../search-param-kind.js';
import { extractDate } from './extract-date.js';
import { parseDate } from './parse-date.js';

export const dateKind: SearchParamKind<'date'> = {
  kind: 'date',
  modifiers: [],
  parse: parseDate,
  extract: extractDate,
  entryKey: (e) => `d${SEP}${e.param}${SEP}${e.low}${SEP}${e.high}`,
  entryMatches: (condition, e) => rangeHolds(condition.match, e),
  negated: () => false,
  postgres: {
    columns: [
      { name: 'low', type: 'bigint' },
      { name: 'high', type: 'bigint' },
    ],
    rowValues: (e) => [Math.round(e.low), Math.round(e.high)],
    predicate: ({ match }, a, params) =>
      compileRange(match, { low: `${a}.low`, high: `${a}.high`, value: `${a}.low` }, true, params, { ordered: true }),
    sort: { ascending: 'a.low', descending: 'a.high', type: 'bigint' },
  },
  mongo: {
    indexes: [{ name: 'date', keys: { 'idx.date.param': 1, 'idx.date.low': 1, 'idx.date.high': 1 } }],
    filter: ({ match }): Filter => rangeFilter(match, (f) => (f === 'value' ? 'low' : f), NO_ELEMENT),
    sortExtent: (e) => ({ kind: 'number', min: e.low, max: e.high }),
  },
};
