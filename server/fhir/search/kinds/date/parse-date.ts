/** Date values: `[prefix]YYYY[-MM[-DD[Thh:mm[:ss[.sss]][zone]]]]`, compared as the ranges both sides stand for. */
import { badRequest } from '../../../errors.js';
import { dateRange } from '../../../indexing/normalize.js';
import { dateApproxWidth, onInstant, rangePrefixMatch, splitPrefix } from '../../prefix-range.js';
import type { RangeMatch } from '../../search-query.js';
import type { ConditionOf, ParseInput, ValueContext } from '../search-param-kind.js';

export function parseDate({ def, values, ctx, label }: ParseInput): ConditionOf<'date'> {
  return { kind: 'date', param: def.code, match: values.flatMap((v) => dateMatch(v, ctx, label)) };
}

export function dateMatch(raw: string, ctx: ValueContext, label: string): RangeMatch {
  const { prefix, rest } = splitPrefix(raw);
  const range = dateRange(rest);
  if (!range)
    throw badRequest(`${label}: '${raw}' is not a date (expected [prefix]YYYY[-MM[-DD[Thh:mm[:ss[.sss]][zone]]]])`);
  return rangePrefixMatch(prefix, range, dateApproxWidth(range, ctx.now));
}

/** `_lastUpdated`: the target is one instant. */
export function instantMatch(raw: string, ctx: ValueContext, label: string): RangeMatch {
  return onInstant(dateMatch(raw, ctx, label));
}
