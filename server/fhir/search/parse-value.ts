/**
 * One parameter occurrence (`code[:modifier]=v1,v2`) of a plain (not chained) parameter → one Condition.
 * One function per parameter kind, mirroring the index extractor's entry kinds.
 */
import { badRequest } from '../errors.js';
import type { SearchParameterInfo } from '../indexing/search-parameter-registry.js';
import { UCUM_SYSTEM, ucumCanonical } from '../indexing/ucum.js';
import { dateRange, normalizeString, numberRange } from '../indexing/normalize.js';
import type { Condition, ParamKind, QuantityValue, RangeMatch, ReferenceValue } from './search-query.js';
import { dateApproxWidth, onInstant, rangePrefixMatch, splitPrefix, valuePrefixMatch } from './prefix-range.js';
import { splitEscaped, splitOr, unescapeValue } from './split-values.js';
import { tokenKind } from './kinds/token/token-kind.js';
import type { ValueContext } from './kinds/search-param-kind.js';
import { UnsupportedSearchError } from './unsupported-search-error.js';
import { textHandlingOf } from '../indexing/text/name-parameters.js';
import { phoneticCondition, withNameParts } from './name-conditions.js';

export type { ValueContext } from './kinds/search-param-kind.js';
export { UnsupportedSearchError } from './unsupported-search-error.js';

type Plain = Exclude<ParamKind, 'composite'>;

export const MODIFIERS_BY_KIND: Record<Plain, readonly string[]> = {
  string: ['exact', 'contains', 'missing'],
  token: [...tokenKind.modifiers, 'missing'],
  date: ['missing'],
  number: ['missing'],
  quantity: ['missing'],
  reference: ['identifier', 'missing'], // plus `:Type`
  uri: ['above', 'below', 'missing'],
};

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
  const condition = plainCondition(kind, def, modifier, values, ctx, label);
  return text === 'personName' ? withNameParts(condition) : condition;
}

function checkModifier(kind: Plain, def: SearchParameterInfo, modifier: string | undefined, ctx: ValueContext): void {
  if (modifier === undefined) return;
  if (MODIFIERS_BY_KIND[kind].includes(modifier)) return;
  if (kind === 'reference' && ctx.isResourceType(modifier)) {
    if (def.targets.length > 0 && !def.targets.includes(modifier)) {
      throw badRequest(
        `Search parameter '${def.code}' cannot refer to ${modifier} (targets: ${def.targets.join(', ')})`,
      );
    }
    return;
  }
  if (kind === 'token' && tokenKind.acceptsOtherModifier?.(modifier, def, ctx)) return;
  throw badRequest(`Unknown modifier :${modifier} for ${kind} parameter '${def.code}'`);
}

function plainCondition(
  kind: Plain,
  def: SearchParameterInfo,
  modifier: string | undefined,
  values: string[],
  ctx: ValueContext,
  label: string,
): Condition {
  const param = def.code;
  switch (kind) {
    case 'string': {
      const match = modifier === 'exact' ? 'exact' : modifier === 'contains' ? 'contains' : 'prefix';
      const texts = values.map(unescapeValue);
      return { kind, param, match, values: match === 'exact' ? texts : texts.map(normalizeString) };
    }
    case 'token':
      return tokenKind.parse({ def, modifier, values, ctx, label });
    case 'date':
      return { kind, param, match: anyOf(values.map((v) => dateMatch(v, ctx, label))) };
    case 'number':
      return { kind, param, match: anyOf(values.map((v) => numberMatch(v, label))) };
    case 'quantity':
      return { kind, param, values: values.map((v) => quantityValue(v, label)) };
    case 'reference':
      return { kind, param, values: values.map((v) => referenceValue(def, modifier, v, ctx, label)) };
    case 'uri':
      return {
        kind,
        param,
        match: modifier === 'above' ? 'above' : modifier === 'below' ? 'below' : 'eq',
        values: values.map(unescapeValue),
      };
  }
}

function anyOf(matches: RangeMatch[]): RangeMatch {
  return matches.flat();
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

export function numberMatch(raw: string, label: string): RangeMatch {
  const { prefix, rest } = splitPrefix(raw);
  const range = numberRange(rest);
  if (!range) throw badRequest(`${label}: '${raw}' is not a number`);
  return valuePrefixMatch(prefix, range);
}

/** `[prefix]value[|system|code]` or `[prefix]value||unit`. */
export function quantityValue(raw: string, label: string): QuantityValue {
  const parts = splitEscaped(raw, '|').map(unescapeValue);
  if (parts.length !== 1 && parts.length !== 3)
    throw badRequest(`${label}: a quantity is [prefix]value[|system|code], not '${raw}'`);
  const { prefix, rest } = splitPrefix(parts[0]!);
  const range = numberRange(rest);
  if (!range) throw badRequest(`${label}: '${parts[0]}' is not a number`);
  const system = parts[1];
  const code = parts[2];
  if (parts.length === 3 && system === UCUM_SYSTEM && code) {
    const canonical = ucumCanonical(range.value, code);
    if (canonical) {
      const convert = (n: number) => ucumCanonical(n, code)!.value;
      const canonicalRange = { value: canonical.value, low: convert(range.low), high: convert(range.high) };
      return { match: valuePrefixMatch(prefix, canonicalRange), system, code: canonical.code, canonical: true };
    }
  }
  const out: QuantityValue = { match: valuePrefixMatch(prefix, range) };
  if (parts.length === 3) {
    if (parts[1]) out.system = parts[1];
    if (parts[2]) out.code = parts[2];
  }
  return out;
}

export function referenceValue(
  def: SearchParameterInfo,
  modifier: string | undefined,
  raw: string,
  ctx: ValueContext,
  label: string,
): ReferenceValue {
  const value = unescapeValue(raw);
  if (modifier === 'identifier') {
    const parts = splitEscaped(raw, '|').map(unescapeValue);
    if (parts.length === 1) return { match: 'identifier', value: parts[0]! };
    if (parts.length !== 2 || !parts[1]) throw badRequest(`${label}: :identifier takes [system|]value, not '${raw}'`);
    return parts[0]
      ? { match: 'identifier', system: parts[0], value: parts[1] }
      : { match: 'identifier', value: parts[1] };
  }
  const base = ctx.baseUrl.replace(/\/+$/, '') + '/';
  const local = value.startsWith(base) ? value.slice(base.length) : value;
  if (/^[a-z][a-z0-9+.-]*:/i.test(local)) return { match: 'url', url: value };
  const segments = local.split('/');
  const typeModifier = modifier && ctx.isResourceType(modifier) ? modifier : undefined;
  if (segments.length === 1) {
    if (!/^[A-Za-z0-9\-.]{1,64}$/.test(local)) throw badRequest(`${label}: '${raw}' is not a resource id or reference`);
    const targetType = typeModifier ?? (def.targets.length === 1 ? def.targets[0] : undefined);
    return targetType ? { match: 'literal', targetType, targetId: local } : { match: 'literal', targetId: local };
  }
  const [type, id, history, _version] = segments;
  const wellFormed =
    (segments.length === 2 || (segments.length === 4 && history === '_history')) &&
    ctx.isResourceType(type!) &&
    /^[A-Za-z0-9\-.]{1,64}$/.test(id!);
  if (!wellFormed) {
    // a relative path that is not Type/id: treat as a canonical/URL-like value
    return { match: 'url', url: value };
  }
  if (typeModifier && typeModifier !== type) throw badRequest(`${label}: '${raw}' is not a ${typeModifier}`);
  if (def.targets.length > 0 && !def.targets.includes(type!)) {
    throw badRequest(`${label}: search parameter '${def.code}' cannot refer to ${type}`);
  }
  return { match: 'literal', targetType: type!, targetId: id! };
}

function compositeParts(def: SearchParameterInfo, raw: string, ctx: ValueContext, label: string): Condition[] {
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
    return plainCondition(component.kind, partDef, undefined, [parts[i]!], ctx, `${label} (part ${component.code})`);
  });
}
