/**
 * Conditions of the string parameters over person names (indexing/text/name-search-parameters.json):
 * - the default (prefix) search of a person-name parameter also matches its name-part entries (a later word of a
 *   part, a word without its article), so `name=احمد` finds `محمد احمد` and `name=طيب` finds `الطيب`;
 * - `phonetic=` matches the phonetic keys of every word of the value (AND), each word by any of its keys (OR);
 *   comma-separated values are alternatives as usual.
 */
import { badRequest } from '../errors.js';
import { namePartParam } from '../indexing/text/name-parameters.js';
import { queryWordKeys } from '../indexing/text/name-words.js';
import type { Condition } from './search-query.js';

export function withNameParts(condition: Condition): Condition {
  if (condition.kind !== 'string' || condition.match !== 'prefix') return condition;
  return { kind: 'or', any: [condition, { ...condition, param: namePartParam(condition.param) }] };
}

export function phoneticCondition(
  param: string,
  modifier: string | undefined,
  values: string[],
  label: string,
): Condition {
  if (modifier !== undefined)
    throw badRequest(`${label}: the phonetic parameter takes no modifier (:${modifier}); it matches sounds, not text`);
  const alternatives = values.map((value): Condition => {
    const words = queryWordKeys(value);
    if (words.length === 0) return { kind: 'or', any: [] }; // nothing pronounceable: matches nothing
    const perWord = words.map((keys): Condition => ({ kind: 'string', param, match: 'equals', values: keys }));
    return perWord.length === 1 ? perWord[0]! : { kind: 'and', all: perWord };
  });
  return alternatives.length === 1 ? alternatives[0]! : { kind: 'or', any: alternatives };
}
