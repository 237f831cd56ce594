import { numberRange } from '../../../indexing/normalize.js';
import { writtenNumber } from '../../../../json/number-texts.js';
import type { QuantityEntry } from '../../../indexing/index-entry.js';
import { UCUM_SYSTEM, ucumCanonical } from '../../../indexing/ucum.js';
import { asObject, asString, type Extractor } from '../../../indexing/extractors/extractor.js';
import { rangeBounds } from '../number/extract-number.js';

export const CURRENCY_SYSTEM = 'urn:iso:std:iso:4217';

/**
 * Quantity and its profiles (Age, Duration, Distance, Count, SimpleQuantity, MoneyQuantity), Money
 * (system urn:iso:std:iso:4217, code = currency), Range (low..high, units of whichever end has them).
 * UCUM quantities in a convertible unit also get canonicalValue/canonicalCode (see ucum.ts).
 */
export const extractQuantity: Extractor = (param, { type, value }, out) => {
  const object = asObject(value);
  if (!object) return;
  if (type === 'Range') {
    const bounds = rangeBounds(object);
    if (!bounds) return;
    const unitSource = asObject(object.low) ?? asObject(object.high);
    out.push(
      withUnits(param, bounds, asString(unitSource?.system), asString(unitSource?.code), asString(unitSource?.unit)),
    );
    return;
  }
  const written = object.value;
  if (typeof written !== 'number') return;
  const n = numberRange(writtenNumber(object, 'value', written)); // 1.50 means [1.495, 1.505)
  if (!n) return;
  if (type === 'Money') {
    const currency = asString(object.currency);
    out.push(withUnits(param, n, currency ? CURRENCY_SYSTEM : undefined, currency, currency));
    return;
  }
  out.push(withUnits(param, n, asString(object.system), asString(object.code), asString(object.unit)));
};

function withUnits(
  param: string,
  n: { value: number; low: number; high: number },
  system: string | undefined,
  code: string | undefined,
  unit: string | undefined,
): QuantityEntry {
  const entry: QuantityEntry = {
    kind: 'quantity',
    param,
    value: n.value,
    low: n.low,
    high: n.high,
    system: system ?? null,
    code: code ?? null,
    unit: unit ?? null,
  };
  if (system === UCUM_SYSTEM && code) {
    const canonical = ucumCanonical(n.value, code);
    if (canonical) {
      entry.canonicalValue = canonical.value;
      entry.canonicalCode = canonical.code;
    }
  }
  return entry;
}
