/**
 * One parameter occurrence (`code[:modifier]=v1,v2`) of a plain (not chained) parameter → one Condition.
 * What is common to every kind happens here (`:missing`, splitting on commas, composites, the person-name and
 * phonetic handling of some string parameters); the rest is the kind's own parser (kinds/<kind>/).
 */
import { badRequest } from '../errors.js';
import type { SearchParameterInfo } from '../indexing/search-parameter-registry.js';
import type { Condition } from './search-query.js';
import { splitOr, unescapeValue } from './split-values.js';
import { kindOf } from './kinds/registry.js';
import { compositeKind } from './kinds/composite/composite-kind.js';
import type { PlainKind, ValueContext } from './kinds/search-param-kind.js';
import { UnsupportedSearchError } from './unsupported-search-error.js';
import { textHandlingOf } from '../indexing/text/name-parameters.js';
import { phoneticCondition, withNameParts } from './name-conditions.js';

export type { ValueContext } from './kinds/search-param-kind.js';
export { UnsupportedSearchError } from './unsupported-search-error.js';

/** Parses one occurrence of a plain or composite parameter. `label` names it in error messages. */
export function parseParamValue(
  def: SearchParameterInfo,
  modifier: string | undefined,
  value: string,
  ctx: ValueContext,
  label: string,
): Condition {
  const kind = def.kind;
  if (kind === 'special') throw new UnsupportedSearchError(`Search parameter '${def.code}' (special) is not supported`);
  if (modifier === 'missing') {
    if (value !== 'true' && value !== 'false')
      throw badRequest(`${label}: :missing takes true or false, not '${value}'`);
    return { kind: 'missing', param: def.code, paramKind: kind, missing: value === 'true' };
  }
  const values = splitOr(value);
  if (values.some((v) => v === '')) throw badRequest(`${label}: empty value`);
  if (kind === 'composite') return compositeKind.parse({ def, modifier, values, ctx, label });
  checkModifier(kind, def, modifier, ctx);
  const text = kind === 'string' ? textHandlingOf(def.url) : undefined;
  if (text === 'phonetic') return phoneticCondition(def.code, modifier, values.map(unescapeValue), label);
  const condition = kindOf(kind).parse({ def, modifier, values, ctx, label });
  return text === 'personName' ? withNameParts(condition) : condition;
}

function checkModifier(
  kind: PlainKind,
  def: SearchParameterInfo,
  modifier: string | undefined,
  ctx: ValueContext,
): void {
  if (modifier === undefined) return;
  const search = kindOf(kind);
  if (search.modifiers.includes(modifier)) return;
  if (search.acceptsOtherModifier?.(modifier, def, ctx)) return;
  throw badRequest(`Unknown modifier :${modifier} for ${kind} parameter '${def.code}'`);
}
