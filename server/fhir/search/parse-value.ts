/**
 * One parameter occurrence (`code[:modifier]=v1,v2`) of a plain (not chained) parameter → one Condition.
 * What is common to every kind happens here (`:missing`, splitting on commas, composites, the person-name and
 * phonetic handling of some string parameters); the rest is the kind's own parser (kinds/<kind>/).
 */
import { badRequest } from '../errors.js';
import type { SearchParameterInfo } from '../indexing/search-parameter-registry.js';
import type { Condition } from './search-query.js';
import { splitEscaped, splitOr, unescapeValue } from './split-values.js';
import { kindOf } from './kinds/registry.js';
import type { ConditionOf, PlainKind, ValueContext } from './kinds/search-param-kind.js';
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
  if (kind === 'composite') {
    if (modifier)
      throw new UnsupportedSearchError(`Modifier :${modifier} is not supported on composite parameter '${def.code}'`);
    return { kind: 'composite', param: def.code, values: values.map((v) => compositeParts(def, v, ctx, label)) };
  }
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

function compositeParts(
  def: SearchParameterInfo,
  raw: string,
  ctx: ValueContext,
  label: string,
): ConditionOf<PlainKind>[] {
  const components = def.components ?? [];
  const parts = splitEscaped(raw, '$');
  if (parts.length !== components.length) {
    throw badRequest(
      `${label}: '${raw}' needs ${components.length} parts separated by '$' (${components.map((c) => c.code).join('$')})`,
    );
  }
  return components.map((component, i) => {
    if (component.kind === 'composite') throw new UnsupportedSearchError(`Nested composite in '${def.code}'`);
    const partDef: SearchParameterInfo = {
      ...def,
      code: component.code,
      kind: component.kind,
      targets: [],
      components: undefined,
    };
    // a comma inside a part is literal: split the part as one value only
    return kindOf(component.kind).parse({
      def: partDef,
      modifier: undefined,
      values: [parts[i]!],
      ctx,
      label: `${label} (part ${component.code})`,
    });
  });
}
