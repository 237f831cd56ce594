/**
 * Turns a search prefix (eq ne lt gt le ge sa eb ap) plus the range the search value covers into a
 * RangeMatch on an index entry's bounds, following the R4 search spec (§3.1.1.4 "prefixes"):
 * the search value and the target value are both ranges; `eq` means the target lies inside the
 * search range, `gt` that the target extends above it, `sa` that it starts after it, and so on.
 */
import type { Comparison, RangeMatch } from './search-query.js';

export const PREFIXES = ['eq', 'ne', 'lt', 'gt', 'le', 'ge', 'sa', 'eb', 'ap'] as const;
export type Prefix = (typeof PREFIXES)[number];

/** Splits `ge2020` into ['ge', '2020']; a value without a known prefix gets `eq`. */
export function splitPrefix(value: string): { prefix: Prefix; rest: string } {
  const head = value.slice(0, 2);
  if (/^[a-z]{2}/.test(value) && (PREFIXES as readonly string[]).includes(head)) {
    return { prefix: head as Prefix, rest: value.slice(2) };
  }
  return { prefix: 'eq', rest: value };
}

const c = (field: Comparison['field'], op: Comparison['op'], value: number): Comparison => ({ field, op, value });

/**
 * For a target that is itself a range [low, high] (dates, periods, and number/quantity values with
 * their implicit precision): the comparisons on the entry's `low`/`high`.
 * `approxWidth` is the half-width added on each side for `ap`.
 */
export function rangePrefixMatch(prefix: Prefix, q: { low: number; high: number }, approxWidth: number): RangeMatch {
  switch (prefix) {
    case 'eq':
      return [[c('low', 'ge', q.low), c('high', 'le', q.high)]];
    case 'ne':
      return [[c('low', 'lt', q.low)], [c('high', 'gt', q.high)]];
    case 'gt':
      return [[c('high', 'gt', q.high)]];
    case 'lt':
      return [[c('low', 'lt', q.low)]];
    case 'ge':
      return [[c('high', 'gt', q.high)], [c('low', 'ge', q.low), c('high', 'le', q.high)]];
    case 'le':
      return [[c('low', 'lt', q.low)], [c('low', 'ge', q.low), c('high', 'le', q.high)]];
    case 'sa':
      return [[c('low', 'gt', q.high)]];
    case 'eb':
      return [[c('high', 'lt', q.low)]];
    case 'ap':
      return [[c('low', 'le', q.high + approxWidth), c('high', 'ge', q.low - approxWidth)]];
  }
}

/**
 * For a number or quantity: comparisons on the entry's exact `value`. `eq` (and `ne`) use the implicit
 * precision of the search value (`100` matches [99.5, 100.5)); the order prefixes compare with the
 * value as written; `ap` accepts ±10 % of it.
 */
export function valuePrefixMatch(prefix: Prefix, q: { value: number; low: number; high: number }): RangeMatch {
  switch (prefix) {
    case 'eq':
      return [[c('value', 'ge', q.low), c('value', 'lt', q.high)]];
    case 'ne':
      return [[c('value', 'lt', q.low)], [c('value', 'ge', q.high)]];
    case 'gt':
    case 'sa':
      return [[c('value', 'gt', q.value)]];
    case 'lt':
    case 'eb':
      return [[c('value', 'lt', q.value)]];
    case 'ge':
      return [[c('value', 'ge', q.value)]];
    case 'le':
      return [[c('value', 'le', q.value)]];
    case 'ap': {
      const width = Math.abs(q.value) * 0.1;
      return [[c('value', 'ge', q.value - width), c('value', 'le', q.value + width)]];
    }
  }
}

/** `ap` on dates: ±10 % of the distance between the search value and now (as HAPI FHIR does). */
export function dateApproxWidth(q: { low: number; high: number }, now: number): number {
  const mid = (q.low + q.high) / 2;
  return Math.abs(now - mid) * 0.1;
}

/**
 * Rewrites a RangeMatch on `low`/`high` for a target that is a single instant (e.g. _lastUpdated): both become `value`.
 */
export function onInstant(match: RangeMatch): RangeMatch {
  return match.map((all) => all.map((cmp) => ({ ...cmp, field: 'value' as const })));
}
