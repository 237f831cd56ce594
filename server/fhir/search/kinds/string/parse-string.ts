/** String values: a normalised prefix by default, `:exact` as typed, `:contains` anywhere. */
import { normalizeString } from '../../../indexing/normalize.js';
import { unescapeValue } from '../../split-values.js';
import type { ConditionOf, ParseInput } from '../search-param-kind.js';

export const STRING_MODIFIERS = ['exact', 'contains'] as const;

export function parseString({ def, modifier, values }: ParseInput): ConditionOf<'string'> {
  const match = modifier === 'exact' ? 'exact' : modifier === 'contains' ? 'contains' : 'prefix';
  const texts = values.map(unescapeValue);
  return { kind: 'string', param: def.code, match, values: match === 'exact' ? texts : texts.map(normalizeString) };
}
