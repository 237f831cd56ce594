/**
 * The string kind: strings, HumanName and Address parts, narrative (prefix, `:exact`, `:contains`). Person-name and
 * phonetic handling of some string parameters is layered on top (parse-value.ts, indexing/text/).
 */
import { literalRegExp, NO_ELEMENT, or } from '../../../../store/mongo/filter-parts.js';
import { anyOf, escapeLike, startsWith, type SqlParams } from '../../../../store/postgres/search/sql-params.js';
import { normalizeString } from '../../../indexing/normalize.js';
import { ENTRY_KEY_SEPARATOR as SEP } from '../entry-key.js';
import type { ConditionOf, SearchParamKind } from '../search-param-kind.js';
import { extractString } from './extract-string.js';
import { parseString, STRING_MODIFIERS } from './parse-string.js';

export const stringKind: SearchParamKind<'string'> = {
  kind: 'string',
  modifiers: STRING_MODIFIERS,
  parse: parseString,
  extract: extractString,
  // value too: a name-part entry (`name~part`) has several values for one exact text
  entryKey: (e) => `s${SEP}${e.param}${SEP}${e.value}${SEP}${e.exact}`,
  entryMatches: ({ match, values }, e) =>
    match === 'words'
      ? values.every((v) => textWords(e.value).includes(v))
      : values.some((v) =>
          match === 'exact'
            ? e.exact === v
            : match === 'equals'
              ? e.value === v
              : match === 'contains'
                ? e.value.includes(v)
                : match === 'suffix'
                  ? e.value.endsWith(v)
                  : e.value.startsWith(v),
        ),
  negated: () => false,
  postgres: {
    columns: [
      { name: 'value', type: 'text' },
      { name: 'exact', type: 'text' },
    ],
    rowValues: (e) => [e.value, e.exact],
    predicate: ({ match, values }, a, params) =>
      match === 'words'
        ? `to_tsvector('simple', ${a}.value) @@ to_tsquery('simple', ${params.bind(values.map(tsLexeme).join(' & '), 'text')})`
        : anyOf(values.map((v) => stringMatch(match, v, a, params))),
    sort: { ascending: 'a.value', descending: 'a.value', type: 'text' },
  },
  mongo: {
    indexes: [
      { name: 'string_value', keys: { 'idx.string.param': 1, 'idx.string.value': 1 } },
      { name: 'string_exact', keys: { 'idx.string.param': 1, 'idx.string.exact': 1 } },
    ],
    filter: ({ match, values }) => {
      if (match === 'exact')
        return values.length === 1
          ? { exact: values[0] }
          : or(
              values.map((v) => ({ exact: v })),
              NO_ELEMENT,
            );
      if (match === 'equals') return values.length === 1 ? { value: values[0] } : { value: { $in: values } };
      if (match === 'words') return { $and: values.map((v) => ({ value: wordRegExp(v) })) };
      if (match === 'suffix')
        return { value: { $in: values.map((v) => new RegExp(`${literalRegExp(v, false).source}$`)) } };
      return { value: { $in: values.map((v) => literalRegExp(v, match === 'prefix')) } };
    },
    sortExtent: (e) => ({ kind: 'string', min: e.value, max: e.value }),
  },
};

function stringMatch(match: ConditionOf<'string'>['match'], value: string, a: string, params: SqlParams): string {
  switch (match) {
    case 'prefix':
      return startsWith(`${a}.value`, value, params);
    case 'exact':
      // value is normalizeString(exact) on every row, so the value index finds the candidates and exact
      // filters them: no index on exact to maintain per string row (see schema.ts)
      return `(${a}.value = ${params.bind(normalizeString(value), 'text')} AND ${a}.exact = ${params.bind(value, 'text')})`;
    case 'equals':
      // value alone: the string index entries of a resource (fhir_idx_string_res_value) hold it, so a resource's
      // entries are probed without visiting the table (index-only)
      return `${a}.value = ${params.bind(value, 'text')}`;
    case 'contains':
      return `${a}.value LIKE ${params.bind(`%${escapeLike(value)}%`, 'text')}`;
    case 'suffix':
      return `${a}.value LIKE ${params.bind(`%${escapeLike(value)}`, 'text')}`;
    case 'words':
      throw new Error('internal: words are matched all together (predicate)');
  }
}

/**
 * The words of a text as the full-text search sees them: runs of letters and digits (what PostgreSQL's default parser
 * with the 'simple' configuration makes lexemes of, Arabic included), from an already normalised value.
 */
export function textWords(text: string): string[] {
  return text.match(/[\p{L}\p{N}\p{M}]+/gu) ?? [];
}

/** One word as a tsquery lexeme, quoted (no operator characters reach the query). */
function tsLexeme(word: string): string {
  return `'${word.replace(/'/g, "''")}'`;
}

/** A whole word inside a normalised value (Mongo, mingo): not preceded or followed by a letter or digit. */
function wordRegExp(word: string): RegExp {
  return new RegExp(`(^|[^\\p{L}\\p{N}\\p{M}])${literalRegExp(word, false).source}($|[^\\p{L}\\p{N}\\p{M}])`, 'u');
}
