/**
 * Sort keys as SQL expressions (min entry ascending, max entry descending, missing last) and the
 * keyset predicates that page after or before a row, in either direction.
 */
import type { SortKey } from '../../../fhir/search/search-query.js';
import { UnsupportedQueryError } from '../../resource-store.js';
import { tableOfKind } from '../index-rows.js';
import { kindOf } from '../../../fhir/search/kinds/registry.js';
import { anyOf, allOf, FALSE, type RowRef, type SqlParams, type SqlType } from './sql-params.js';

export type SortColumn = { expression: string; type: SqlType; descending: boolean };

export function sortColumns(sort: SortKey[], row: RowRef, params: SqlParams): SortColumn[] {
  return sort.map((key) => {
    switch (key.kind) {
      case 'id':
        return { expression: row.id, type: 'text', descending: key.descending };
      case 'lastUpdated':
        return { expression: row.lastUpdatedMs, type: 'bigint', descending: key.descending };
      case 'composite':
        throw new UnsupportedQueryError(`Sorting by the composite parameter ${key.param} is not supported`);
      case 'string':
      case 'token':
      case 'date':
      case 'number':
      case 'quantity':
      case 'reference':
      case 'uri': {
        const { ascending, descending, type } = kindOf(key.kind).postgres.sort;
        const value = key.descending ? descending : ascending;
        const aggregate = key.descending ? 'max' : 'min';
        const expression = `(SELECT ${aggregate}(${value}) FROM ${tableOfKind(key.kind)} a WHERE a.resource_type = ${row.type} AND a.resource_id = ${row.id} AND ${key.params ? `a.param = ANY(${params.bind(key.params, 'text[]')})` : `a.param = ${params.bind(key.param, 'text')}`} AND a.tuple IS NULL)`;
        return { expression, type, descending: key.descending };
      }
    }
  });
}

/** The ORDER BY list; `reverse` walks backwards (for a previous page). Ties are broken by type and id. */
export function orderBy(columns: SortColumn[], ref: { type: string; id: string }, reverse: boolean): string {
  const keys = columns.map((c, i) => {
    const descending = c.descending !== reverse;
    const nullsLast = !reverse; // missing values sort last in the forward order
    return `s${i} ${descending ? 'DESC' : 'ASC'} NULLS ${nullsLast ? 'LAST' : 'FIRST'}`;
  });
  const tie = reverse ? 'DESC' : 'ASC';
  return [...keys, `${ref.type} ${tie}`, `${ref.id} ${tie}`].join(', ');
}

/**
 * Rows strictly after (`forward`) or before the boundary row in the forward order, or also the
 * boundary itself when `inclusive`. Sort values are referenced as s0, s1, … in the outer query.
 */
export function keysetPredicate(
  columns: SortColumn[],
  boundary: { values: unknown[]; type: string; id: string },
  ref: { type: string; id: string },
  forward: boolean,
  inclusive: boolean,
  params: SqlParams,
): string {
  const alternatives: string[] = [];
  const equalSoFar: string[] = [];
  columns.forEach((c, i) => {
    const key = `s${i}`;
    const value = boundary.values[i] ?? null;
    const bound = value === null ? null : params.bind(value, c.type);
    alternatives.push(allOf([...equalSoFar, beyond(key, bound, c.descending, forward)]));
    equalSoFar.push(bound === null ? `${key} IS NULL` : `${key} = ${bound}`);
  });
  const op = forward ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<';
  alternatives.push(
    allOf([
      ...equalSoFar,
      `(${ref.type}, ${ref.id}) ${op} (${params.bind(boundary.type, 'text')}, ${params.bind(boundary.id, 'text')})`,
    ]),
  );
  return anyOf(alternatives.filter((a) => a !== FALSE));
}

/** Strictly beyond the boundary value in one key (nulls last in the forward order). */
function beyond(key: string, bound: string | null, descending: boolean, forward: boolean): string {
  if (forward) {
    if (bound === null) return FALSE;
    return `(${key} ${descending ? '<' : '>'} ${bound} OR ${key} IS NULL)`;
  }
  if (bound === null) return `${key} IS NOT NULL`;
  return `${key} ${descending ? '>' : '<'} ${bound}`;
}
