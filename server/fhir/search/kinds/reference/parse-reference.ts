/** Reference values: `id`, `Type/id`, an absolute URL, a canonical; `:Type` and `:identifier`. */
import { badRequest } from '../../../errors.js';
import type { SearchParameterInfo } from '../../../indexing/search-parameter-registry.js';
import type { ReferenceValue } from '../../search-query.js';
import { splitEscaped, unescapeValue } from '../../split-values.js';
import { foldKeyValue } from '../../../indexing/index-value-bytes.js';
import type { ConditionOf, ParseInput, ValueContext } from '../search-param-kind.js';

export const REFERENCE_MODIFIERS = ['identifier'] as const;

/** `:Type` (a resource type the parameter may refer to). */
export function acceptsReferenceTypeModifier(modifier: string, def: SearchParameterInfo, ctx: ValueContext): boolean {
  if (!ctx.isResourceType(modifier)) return false;
  if (def.targets.length > 0 && !def.targets.includes(modifier)) {
    throw badRequest(`Search parameter '${def.code}' cannot refer to ${modifier} (targets: ${def.targets.join(', ')})`);
  }
  return true;
}

export function parseReference({ def, modifier, values, ctx, label }: ParseInput): ConditionOf<'reference'> {
  return {
    kind: 'reference',
    param: def.code,
    values: values.map((v) => referenceValue(def, modifier, v, ctx, label)),
  };
}

/** A reference searched for, its URL or identifier folded as they are indexed (index-value-bytes.ts). */
export function referenceValue(
  def: SearchParameterInfo,
  modifier: string | undefined,
  raw: string,
  ctx: ValueContext,
  label: string,
): ReferenceValue {
  const value = parsedReferenceValue(def, modifier, raw, ctx, label);
  switch (value.match) {
    case 'url':
      return { match: 'url', url: foldKeyValue(value.url) };
    case 'identifier':
      return {
        match: 'identifier',
        ...(value.system !== undefined ? { system: foldKeyValue(value.system) } : {}),
        value: foldKeyValue(value.value),
      };
    case 'literal':
      return value;
  }
}

function parsedReferenceValue(
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
