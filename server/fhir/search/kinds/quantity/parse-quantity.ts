/** Quantity values: `[prefix]value[|system|code]` or `[prefix]value||unit`; UCUM units compared canonically. */
import { badRequest } from '../../../errors.js';
import { numberRange } from '../../../indexing/normalize.js';
import { UCUM_SYSTEM, ucumCanonical } from '../../../indexing/ucum.js';
import { splitPrefix, valuePrefixMatch } from '../../prefix-range.js';
import type { QuantityValue } from '../../search-query.js';
import { splitEscaped, unescapeValue } from '../../split-values.js';
import type { ConditionOf, ParseInput } from '../search-param-kind.js';

export function parseQuantity({ def, values, label }: ParseInput): ConditionOf<'quantity'> {
  return { kind: 'quantity', param: def.code, values: values.map((v) => quantityValue(v, label)) };
}

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
