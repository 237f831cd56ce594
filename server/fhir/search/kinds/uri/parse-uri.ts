/** Uri values, matched whole or, with `:above` / `:below`, as an ancestor / descendant of the searched URI. */
import { unescapeValue } from '../../split-values.js';
import type { ConditionOf, ParseInput } from '../search-param-kind.js';

export const URI_MODIFIERS = ['above', 'below'] as const;

export function parseUri({ def, modifier, values }: ParseInput): ConditionOf<'uri'> {
  return {
    kind: 'uri',
    param: def.code,
    match: modifier === 'above' ? 'above' : modifier === 'below' ? 'below' : 'eq',
    values: values.map(unescapeValue),
  };
}
