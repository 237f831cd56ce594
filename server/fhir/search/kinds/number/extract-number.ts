import { numberRange } from '../../../indexing/normalize.js';
import { writtenNumber } from '../../../../json/number-texts.js';
import { asObject, type Extractor } from '../../../indexing/extractors/extractor.js';

/** Largest magnitude an open end of a Range reaches (±Infinity is not storable). */
export const MAX_NUMBER = Number.MAX_VALUE;

/** decimal/integer values (with their implicit precision range); a Range gives [low, high]. */
export const extractNumber: Extractor = (param, typed, out) => {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- Medplum's TypedValue.value is `any`
  const { type, value } = typed;
  if (type === 'Range') {
    const range = rangeBounds(asObject(value));
    if (range) out.push({ kind: 'number', param, value: range.value, low: range.low, high: range.high });
    return;
  }
  if (typeof value !== 'number' && typeof value !== 'string') return;
  // the text as written (fast-path.ts passes it along for a decimal read from the JSON): 0.40 is [0.395, 0.405)
  const n = numberRange((typed as { numberText?: string }).numberText ?? value);
  if (n) out.push({ kind: 'number', param, value: n.value, low: n.low, high: n.high });
};

/**
 * The bounds of a FHIR Range (Quantity low/high, each with its precision); an open end reaches
 * ±MAX_NUMBER. `value` is the low value (or the high one when there is no low). Undefined when empty.
 */
export function rangeBounds(
  range: Record<string, unknown> | undefined,
): { value: number; low: number; high: number } | undefined {
  if (!range) return undefined;
  const lowValue = asObject(range.low)?.value;
  const highValue = asObject(range.high)?.value;
  const low = typeof lowValue === 'number' ? numberRange(writtenNumber(range.low, 'value', lowValue)) : undefined;
  const high = typeof highValue === 'number' ? numberRange(writtenNumber(range.high, 'value', highValue)) : undefined;
  if (!low && !high) return undefined;
  const lowBound = low?.low ?? -MAX_NUMBER;
  const highBound = high?.high ?? MAX_NUMBER;
  if (lowBound > highBound) return undefined;
  return { value: (low ?? high)!.value, low: lowBound, high: highBound };
}
