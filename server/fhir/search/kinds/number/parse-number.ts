/** Number values: `[prefix]value`, the prefix applied to the value's implicit precision range. */
import { badRequest } from '../../../errors.js';
import { numberRange } from '../../../indexing/normalize.js';
import { splitPrefix, valuePrefixMatch } from '../../prefix-range.js';
import type { RangeMatch } from '../../search-query.js';
import type { ConditionOf, ParseInput } from '../search-param-kind.js';

export function parseNumber({ def, values, label }: ParseInput): ConditionOf<'number'> {
  return { kind: 'number', param: def.code, match: values.flatMap((v) => numberMatch(v, label)) };
}

export function numberMatch(raw: string, label: string): RangeMatch {
  const { prefix, rest } = splitPrefix(raw);
  const range = numberRange(rest);
  if (!range) throw badRequest(`${label}: '${raw}' is not a number`);
  return valuePrefixMatch(prefix, range);
}
