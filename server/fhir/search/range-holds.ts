/** Evaluates a RangeMatch (prefix semantics already applied) against one entry's range, in memory. */
import type { Comparison, RangeMatch } from './search-query.js';

export type RangeTarget = { value?: number; low: number; high: number };

export function rangeHolds(match: RangeMatch, target: RangeTarget): boolean {
  return match.some((all) => all.every((c) => compare(c, target)));
}

function compare(c: Comparison, target: RangeTarget): boolean {
  const actual = c.field === 'value' ? target.value : target[c.field];
  if (actual === undefined) return false;
  switch (c.op) {
    case 'lt':
      return actual < c.value;
    case 'le':
      return actual <= c.value;
    case 'gt':
      return actual > c.value;
    case 'ge':
      return actual >= c.value;
    case 'eq':
      return actual === c.value;
  }
}
