/** Token values: `code`, `system|code`, `|code`, `system|`; `:text`, `:of-type` and `:not`. */
import { badRequest } from '../../../errors.js';
import { normalizeString } from '../../../indexing/normalize.js';
import { foldKeyValue } from '../../../indexing/index-value-bytes.js';
import type { SearchParameterInfo } from '../../../indexing/search-parameter-registry.js';
import type { TokenValue } from '../../search-query.js';
import { splitEscaped, unescapeValue } from '../../split-values.js';
import { UnsupportedSearchError } from '../../unsupported-search-error.js';
import type { ConditionOf, ParseInput } from '../search-param-kind.js';

export const TOKEN_MODIFIERS = ['not', 'text', 'of-type'] as const;

/** Modifiers that need a terminology service (ValueSet expansion, subsumption). */
const TERMINOLOGY_MODIFIERS = new Set(['in', 'not-in', 'above', 'below', 'code-text', 'text-advanced']);

export function parseToken({ def, modifier, values, label }: ParseInput): ConditionOf<'token'> {
  return {
    kind: 'token',
    param: def.code,
    negate: modifier === 'not',
    values: values.map((v) => tokenValue(v, modifier, label)),
  };
}

/** The terminology modifiers are known but not supported (strict → 400, lenient → ignored); others are unknown. */
export function acceptsOtherTokenModifier(modifier: string, def: SearchParameterInfo): boolean {
  if (TERMINOLOGY_MODIFIERS.has(modifier)) {
    throw new UnsupportedSearchError(
      `Modifier :${modifier} on token parameter '${def.code}' needs a terminology service, which this server does not have`,
    );
  }
  return false;
}

/** A token value searched for, its code and system folded as they are indexed (index-value-bytes.ts). */
export function tokenValue(raw: string, modifier: string | undefined, label: string): TokenValue {
  const value = parsedTokenValue(raw, modifier, label);
  switch (value.match) {
    case 'code':
      return {
        match: 'code',
        ...(value.system !== undefined ? { system: value.system === null ? null : foldKeyValue(value.system) } : {}),
        ...(value.code !== undefined ? { code: foldKeyValue(value.code) } : {}),
      };
    case 'of-type':
      return {
        match: 'of-type',
        typeSystem: foldKeyValue(value.typeSystem),
        typeCode: foldKeyValue(value.typeCode),
        value: foldKeyValue(value.value),
      };
    case 'text':
      return value;
  }
}

function parsedTokenValue(raw: string, modifier: string | undefined, label: string): TokenValue {
  if (modifier === 'text') return { match: 'text', text: normalizeString(unescapeValue(raw)) };
  const parts = splitEscaped(raw, '|').map(unescapeValue);
  if (modifier === 'of-type') {
    if (parts.length !== 3 || parts.some((p) => p === ''))
      throw badRequest(`${label}: :of-type takes system|code|value, not '${raw}'`);
    return { match: 'of-type', typeSystem: parts[0]!, typeCode: parts[1]!, value: parts[2]! };
  }
  if (parts.length === 1) return { match: 'code', code: parts[0]! };
  if (parts.length !== 2) throw badRequest(`${label}: a token is code, system|code, |code or system|, not '${raw}'`);
  const [system, code] = parts as [string, string];
  if (system === '' && code === '') throw badRequest(`${label}: '|' alone is not a token`);
  if (system === '') return { match: 'code', system: null, code };
  if (code === '') return { match: 'code', system };
  return { match: 'code', system, code };
}
