/**
 * Composite conditions in PostgreSQL: a composite entry is one fhir_idx_composite row (its tuple number) plus one row
 * per part in that part's own side table, under the param `<composite>|<i>` and the same tuple number. A value
 * matches when one tuple row has, for every part, a row of the same tuple that the part's kind matches.
 */
import { UnsupportedQueryError } from '../../../../store/resource-store.js';
import { allOf, anyOf, type SqlParams } from '../../../../store/postgres/search/sql-params.js';
import { kindOf } from '../registry.js';
import { isPartCondition, type CompositeCondition } from './parse-composite.js';
import type { CompositeEntry, IndexEntry } from '../../../indexing/index-entry.js';

/** The side-table param of a composite's i-th part. */
export function compositePartParam(param: string, index: number): string {
  return `${param}|${index}`;
}

/**
 * The side-table rows of one composite entry, all under its tuple number: the fhir_idx_composite row (no columns of
 * its own) and one row per part in the part's side table, under `compositePartParam`.
 */
export function compositeRows(entry: CompositeEntry): Array<{ param: string; entry: IndexEntry }> {
  const rows: Array<{ param: string; entry: IndexEntry }> = [{ param: entry.param, entry }];
  entry.parts.forEach((part, i) => {
    if (part.kind === 'composite') return; // a composite of composites does not exist in R4
    rows.push({ param: compositePartParam(entry.param, i), entry: part });
  });
  return rows;
}

/** `owner(alias)`: SQL tying side-table alias rows to the resource row being tested. */
export function compositePredicate(
  condition: CompositeCondition,
  owner: (alias: string) => string,
  params: SqlParams,
): string {
  return anyOf(condition.values.map((parts) => compositeTuple(condition.param, parts, owner, params)));
}

function compositeTuple(
  param: string,
  parts: CompositeCondition['values'][number],
  owner: (alias: string) => string,
  params: SqlParams,
): string {
  const k = params.alias('k');
  const partFilters = parts.map((part, i) => {
    if (!isPartCondition(part))
      throw new UnsupportedQueryError(`A composite component cannot be a ${part.kind} condition`);
    const kind = kindOf(part.kind);
    const a = params.alias('p');
    const exists = `EXISTS (SELECT 1 FROM fhir_idx_${part.kind} ${a} WHERE ${a}.resource_type = ${k}.resource_type AND ${a}.resource_id = ${k}.resource_id AND ${a}.param = ${params.bind(compositePartParam(param, i), 'text')} AND ${a}.tuple = ${k}.tuple AND ${kind.postgres.predicate(part, a, params)})`;
    return kind.negated(part) ? `NOT ${exists}` : exists;
  });
  return `EXISTS (SELECT 1 FROM fhir_idx_composite ${k} WHERE ${owner(k)} AND ${k}.param = ${params.bind(param, 'text')} AND ${allOf(partFilters)})`;
}
