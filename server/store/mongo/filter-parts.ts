/** Small builders for MongoDB filters, shared by the search and history compilers. */
import type { Comparison, RangeMatch } from '../../fhir/search/search-query.js';
import type { Filter } from './doc-db.js';

/** Matches no document (top level). */
export const NOTHING: Filter = { _id: { $in: [] } };
/** Matches no array element (inside $elemMatch). */
export const NO_ELEMENT: Filter = { param: { $in: [] } };

/** Conjunction: merged into one object when the keys do not collide, else `$and`. */
export function and(filters: Filter[]): Filter {
  const parts = filters.filter((f) => Object.keys(f).length > 0);
  if (parts.length === 0) return {};
  if (parts.length === 1) return parts[0]!;
  const keys = parts.flatMap((p) => Object.keys(p));
  if (new Set(keys).size === keys.length) return Object.assign({}, ...parts) as Filter;
  return { $and: parts };
}

/** Disjunction; an empty list matches nothing. */
export function or(filters: Filter[], nothing: Filter = NOTHING): Filter {
  if (filters.length === 0) return nothing;
  if (filters.length === 1) return filters[0]!;
  return { $or: filters };
}

const OPERATORS = { lt: '$lt', le: '$lte', gt: '$gt', ge: '$gte', eq: '$eq' } as const satisfies Record<
  Comparison['op'],
  string
>;

/**
 * A RangeMatch (OR of ANDs of comparisons) as a filter on the fields that `field` names.
 * An empty disjunction matches nothing; an empty conjunction matches everything.
 */
export function rangeFilter(
  match: RangeMatch,
  field: (f: Comparison['field']) => string,
  nothing: Filter = NOTHING,
): Filter {
  return or(
    match.map((conjunction) => and(conjunction.map((c) => ({ [field(c.field)]: { [OPERATORS[c.op]]: c.value } })))),
    nothing,
  );
}

/** Prefixes every field name of an element-level filter (through $and/$or/$nor) with `prefix`. */
export function prefixFields(filter: Filter, prefix: string): Filter {
  const out: Filter = {};
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' || key === '$or' || key === '$nor')
      out[key] = (value as Filter[]).map((f) => prefixFields(f, prefix));
    else out[`${prefix}${key}`] = value;
  }
  return out;
}

/** A RegExp matching `text` literally; anchored at the start when `prefix`. */
export function literalRegExp(text: string, prefix: boolean): RegExp {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(prefix ? `^${escaped}` : escaped);
}
