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
): string {
  return anyOf(match.map((all) => allOf(all.map((cmp) => compileComparison(cmp, columns[cmp.field], integer, params)))));
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
