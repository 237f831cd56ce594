/** Quantity entries in memory: their identity (deduplication) and whether one matches a quantity condition. */
import { rangeHolds } from '../../range-holds.js';
import type { QuantityValue } from '../../search-query.js';
import { entryField as f, ENTRY_KEY_SEPARATOR as SEP } from '../entry-key.js';
import type { ConditionOf, EntryOf } from '../search-param-kind.js';

export function quantityEntryKey(e: EntryOf<'quantity'>): string {
  return `q${SEP}${e.param}${SEP}${e.value}${SEP}${e.low}${SEP}${e.high}${SEP}${f(e.system)}${SEP}${f(e.code)}${SEP}${f(e.unit)}`;
}

export function quantityEntryMatches(condition: ConditionOf<'quantity'>, entry: EntryOf<'quantity'>): boolean {
  return condition.values.some((v) => quantityValueMatches(entry, v));
}

function quantityValueMatches(e: EntryOf<'quantity'>, v: QuantityValue): boolean {
  const value = v.canonical ? e.canonicalValue : e.value;
  if (value === undefined || !rangeHolds(v.match, { value, low: e.low, high: e.high })) return false;
  if (v.system !== undefined && e.system !== v.system) return false;
  if (v.code !== undefined) {
    const code = v.canonical ? e.canonicalCode : e.code;
    return v.system !== undefined ? code === v.code : code === v.code || e.unit === v.code;
  }
  return true;
}
