/** Compiles a RangeMatch (OR of ANDs of comparisons) against SQL columns. */
import type { Comparison, RangeMatch } from '../../../fhir/search/search-query.js';
import { allOf, anyOf, FALSE, TRUE, type SqlParams } from './sql-params.js';

const OPERATORS = { lt: '<', le: '<=', gt: '>', ge: '>=', eq: '=' } as const satisfies Record<Comparison['op'], string>;

/** `columns` maps each comparison field to a column; `integer` columns hold whole numbers (bigint). */
export function compileRange(
  match: RangeMatch,
  columns: Record<Comparison['field'], string>,
  integer: boolean,
  params: SqlParams,
  options: { ordered?: boolean } = {},
): string {
  return anyOf(
    match.map((all) => {
      const comparisons = options.ordered ? withImpliedBounds(all) : all;
      return allOf(comparisons.map((cmp) => compileComparison(cmp, columns[cmp.field], integer, params)));
    }),
  );
}

/**
 * For entries where low <= high: `high <= B` implies `low <= B`, and `low >= A` implies `high >= A`.
 * Adding the implied bound turns a one-sided condition into a bounded range on the same column, which
 * the (resource_type, param, low) and (…, high) indexes answer selectively (e.g. `eq2020`: low in [A, B]).
 */
function withImpliedBounds(all: Comparison[]): Comparison[] {
  const implied: Comparison[] = [];
  for (const cmp of all) {
    if (cmp.field === 'high' && (cmp.op === 'le' || cmp.op === 'lt'))
      implied.push({ field: 'low', op: cmp.op, value: cmp.value });
    if (cmp.field === 'low' && (cmp.op === 'ge' || cmp.op === 'gt'))
      implied.push({ field: 'high', op: cmp.op, value: cmp.value });
  }
  const has = (c: Comparison) => all.some((x) => x.field === c.field && x.op === c.op && x.value === c.value);
  return [...all, ...implied.filter((c) => !has(c))];
}

function compileComparison(cmp: Comparison, column: string, integer: boolean, params: SqlParams): string {
  if (Number.isNaN(cmp.value)) return FALSE;
  if (!Number.isFinite(cmp.value)) {
    const positive = cmp.value > 0;
    switch (cmp.op) {
      case 'lt':
      case 'le':
        return positive ? `${column} IS NOT NULL` : FALSE;
      case 'gt':
      case 'ge':
        return positive ? FALSE : `${column} IS NOT NULL`;
      case 'eq':
        return FALSE;
    }
  }
  if (!integer) return `${column} ${OPERATORS[cmp.op]} ${params.bind(cmp.value, 'float8')}`;
  // Whole-number columns: move a fractional bound to the equivalent whole one, so the bigint index applies.
  const value = integerBound(cmp);
  if (value === undefined) return cmp.op === 'eq' ? FALSE : TRUE;
  return `${column} ${OPERATORS[cmp.op]} ${params.bind(value, 'bigint')}`;
}

function integerBound(cmp: Comparison): number | undefined {
  if (Number.isInteger(cmp.value)) return cmp.value;
  switch (cmp.op) {
    case 'gt':
    case 'le':
      return Math.floor(cmp.value);
    case 'ge':
    case 'lt':
      return Math.ceil(cmp.value);
    case 'eq':
      return undefined;
  }
}
