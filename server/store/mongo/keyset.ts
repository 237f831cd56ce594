/**
 * Keyset paging over an ordered list of fields: the filter for "rows strictly after this row", the
 * matching comparator (for merging several collections in JavaScript), and order reversal (previous
 * page). Missing/null values sort lowest, as in MongoDB; numbers before strings (BSON order).
 */
import type { Filter, SortSpec } from './doc-db.js';
import { and, or } from './filter-parts.js';
import type { FieldSort, SortValue } from './sort-values.js';

export type KeyValue = SortValue | null;

export function toSortSpec(order: FieldSort[]): SortSpec {
  return Object.fromEntries(order.map((k) => [k.field, k.dir]));
}

export function reverseOrder(order: FieldSort[]): FieldSort[] {
  return order.map((k) => ({ field: k.field, dir: k.dir === 1 ? -1 : 1 }));
}

export function rowValues(doc: Record<string, unknown>, order: FieldSort[]): KeyValue[] {
  return order.map((k) => {
    let value: unknown = doc;
    for (const part of k.field.split('.'))
      value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
    return typeof value === 'number' || typeof value === 'string' ? value : null;
  });
}

/** BSON-like comparison: null < numbers < strings. */
export function compareValues(a: KeyValue, b: KeyValue): number {
  const rank = (v: KeyValue) => (v === null ? 0 : typeof v === 'number' ? 1 : 2);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (a === null || b === null || a === b) return 0;
  return a < b ? -1 : 1;
}

export function compareRows(order: FieldSort[], a: KeyValue[], b: KeyValue[]): number {
  for (let i = 0; i < order.length; i++) {
    const c = compareValues(a[i]!, b[i]!);
    if (c !== 0) return c * order[i]!.dir;
  }
  return 0;
}

/**
 * Rows after `row` in `order`. `tail` decides rows equal on every field: true includes them (used when
 * a further tie-break, e.g. the collection's type, puts this collection after the row).
 */
export function afterFilter(order: FieldSort[], row: KeyValue[], tail: boolean): Filter {
  const alternatives: Filter[] = [];
  const equalSoFar: Filter[] = [];
  order.forEach((k, i) => {
    const v = row[i] ?? null;
    const beyond = strictlyBeyond(k, v);
    if (beyond) alternatives.push(and([...equalSoFar, beyond]));
    equalSoFar.push({ [k.field]: v });
  });
  if (tail) alternatives.push(and(equalSoFar));
  return or(alternatives);
}

function strictlyBeyond(k: FieldSort, v: KeyValue): Filter | undefined {
  if (k.dir === 1) return v === null ? { [k.field]: { $ne: null } } : { [k.field]: { $gt: v } };
  // descending: below v, where missing/null is lowest of all
  return v === null ? undefined : { $or: [{ [k.field]: { $lt: v } }, { [k.field]: null }] };
}
