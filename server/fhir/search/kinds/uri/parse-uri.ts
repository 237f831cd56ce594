/** Uri values, matched whole or, with `:above` / `:below`, as an ancestor / descendant of the searched URI. */
import { unescapeValue } from '../../split-values.js';
import { foldKeyValue } from '../../../indexing/index-value-bytes.js';
import type { ConditionOf, ParseInput } from '../search-param-kind.js';

export const URI_MODIFIERS = ['above', 'below'] as const;

export function parseUri({ def, modifier, values }: ParseInput): ConditionOf<'uri'> {
  return {
    kind: 'uri',
    param: def.code,
    match: modifier === 'above' ? 'above' : modifier === 'below' ? 'below' : 'eq',
    // a whole value is folded as it is indexed (index-value-bytes.ts); a prefix (:below, :above) is kept as typed
    values: values.map((v) =>
      modifier === 'above' || modifier === 'below' ? unescapeValue(v) : foldKeyValue(unescapeValue(v)),
    ),
  };
}
