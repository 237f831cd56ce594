/**
 * Compiles every Condition of the store-neutral SearchQuery to a SQL boolean about one resource row
 * (`row`: expressions for its type, id and lastUpdated). Index entries are reached through EXISTS
 * subqueries on the typed side tables, always led by (resource_type, param) or (resource_type, resource_id).
 */
import type { Condition } from '../../../fhir/search/search-query.js';
import { compositeKind } from '../../../fhir/search/kinds/composite/composite-kind.js';
import { UnsupportedQueryError } from '../../resource-store.js';
import { tableOfKind } from '../index-rows.js';
import { entryPredicate, isEntryCondition, isNegated, tableOf, type EntryCondition } from './entry-predicates.js';
import { compileRange } from './range-match.js';
import { allOf, anyOf, FALSE, type RowRef, type SqlParams } from './sql-params.js';

/** Nesting limit for chains and _has (each level is one more correlated EXISTS). */
const MAX_DEPTH = 6;

export function compileConditions(conditions: Condition[], row: RowRef, params: SqlParams, depth = 0): string {
  return allOf(conditions.map((c) => compileCondition(c, row, params, depth)));
}

export function compileCondition(condition: Condition, row: RowRef, params: SqlParams, depth = 0): string {
  switch (condition.kind) {
    case 'string':
    case 'token':
    case 'date':
    case 'number':
    case 'quantity':
    case 'reference':
    case 'uri': {
      const exists = entryExists(condition, condition.param, row, params);
      return isNegated(condition) ? `NOT ${exists}` : exists;
    }
    case 'missing': {
      const a = params.alias('m');
      const exists = existsIn(
        `${tableOfKind(condition.paramKind)} ${a}`,
        `${owned(a, row)} AND ${a}.param = ${params.bind(condition.param, 'text')}`,
        row,
      );
      return condition.missing ? `NOT ${exists}` : exists;
    }
    case 'chain':
      return chain(condition, row, params, depth);
    case 'has':
      return has(condition, row, params, depth);
    case 'id':
      if (condition.values.length === 0) return condition.negate ? 'TRUE' : FALSE;
      return condition.negate
        ? `NOT (${row.id} = ANY(${params.bind(condition.values, 'text[]')}))`
        : `${row.id} = ANY(${params.bind(condition.values, 'text[]')})`;
    case 'lastUpdated':
      return compileRange(
        condition.match,
        { low: row.lastUpdatedMs, high: row.lastUpdatedMs, value: row.lastUpdatedMs },
        true,
        params,
      );
    case 'composite':
      return compositeKind.postgres.predicate(condition, (k) => owned(k, row), params);
    case 'compartment': {
      const c = params.alias('c');
      return existsIn(
        `fhir_compartment ${c}`,
        `${owned(c, row)} AND ${c}.ref = ${params.bind(condition.ref, 'text')}`,
        row,
      );
    }
    case 'or':
      return compileOr(condition.any, row, params, depth);
    case 'and':
      return compileConditions(condition.all, row, params, depth);
    case 'not':
      return `NOT (${compileCondition(condition.condition, row, params, depth)})`;
  }
}

/**
 * OR: positive entry conditions on the same side table share one EXISTS whose predicate ORs
 * `(param AND match)` pairs, so that the planner can answer it with one semi-join over a BitmapOr
 * of index scans instead of a scan of the resources probing each branch.
 */
function compileOr(any: Condition[], row: RowRef, params: SqlParams, depth: number): string {
  const byTable = new Map<string, EntryCondition[]>();
  const others: Condition[] = [];
  for (const c of any) {
    if (isEntryCondition(c) && !isNegated(c)) {
      const group = byTable.get(tableOf(c)) ?? [];
      group.push(c);
      byTable.set(tableOf(c), group);
    } else {
      others.push(c);
    }
  }
  const parts = [...byTable].map(([table, group]) => {
    const a = params.alias('e');
    const matches = group.map(
      (c) => `(${a}.param = ${params.bind(c.param, 'text')} AND ${entryPredicate(c, a, params)})`,
    );
    return existsIn(`${table} ${a}`, `${owned(a, row)} AND ${anyOf(matches)}`, row);
  });
  return anyOf([...parts, ...others.map((c) => compileCondition(c, row, params, depth))]);
}

/** EXISTS over `from` filtered by `where`; a per-row probe (OFFSET 0: never a semi-join) when the row is (RowRef.probe). */
function existsIn(from: string, where: string, row: RowRef): string {
  return `EXISTS (SELECT 1 FROM ${from} WHERE ${where}${row.probe ? ' OFFSET 0' : ''})`;
}

function owned(alias: string, row: RowRef): string {
  return `${alias}.resource_type = ${row.type} AND ${alias}.resource_id = ${row.id}`;
}

function entryExists(condition: EntryCondition, param: string, row: RowRef, params: SqlParams): string {
  const a = params.alias('e');
  const predicate = entryPredicate(condition, a, params);
  return existsIn(
    `${tableOf(condition)} ${a}`,
    `${owned(a, row)} AND ${a}.param = ${params.bind(param, 'text')} AND ${predicate}`,
    row,
  );
}

/** `subject:Patient.name=x`: a reference of `param` points at a current resource matching `where`. */
function chain(
  condition: Extract<Condition, { kind: 'chain' }>,
  row: RowRef,
  params: SqlParams,
  depth: number,
): string {
  checkDepth(depth);
  const a = params.alias('r');
  const t = params.alias('t');
  const filters = [owned(a, row), `${a}.param = ${params.bind(condition.param, 'text')}`];
  if (condition.targetTypes.length > 0)
    filters.push(`${a}.target_type = ANY(${params.bind(condition.targetTypes, 'text[]')})`);
  // With one target type the inner conditions get the type as a constant, so they can use the type-leading
  // indexes of the target's entries (measured at 529k resources: 4 s → 0.28 s for subject:Patient.name).
  const singleType = condition.targetTypes.length === 1 ? params.bind(condition.targetTypes[0], 'text') : undefined;
  if (singleType) {
    // The matching targets as their own fenced subquery (planned apart, OFFSET 0): the same rows, but the planner
    // searches two small join problems instead of one with every table of the chain
    const matched = compileConditions(
      condition.where,
      { type: singleType, id: `${t}.id`, lastUpdatedMs: `${t}.last_updated_ms` },
      params,
      depth + 1,
    );
    return existsIn(
      `fhir_idx_reference ${a}`,
      `${filters.join(' AND ')} AND ${a}.target_id IN (SELECT ${t}.id FROM fhir_resource ${t} WHERE ${t}.resource_type = ${singleType} AND NOT ${t}.deleted AND ${matched} OFFSET 0)`,
      row,
    );
  }
  const target: RowRef = {
    type: singleType ?? `${t}.resource_type`,
    id: `${t}.id`,
    lastUpdatedMs: `${t}.last_updated_ms`,
  };
  filters.push(compileConditions(condition.where, target, params, depth + 1));
  return existsIn(
    `fhir_idx_reference ${a} JOIN fhir_resource ${t} ON ${t}.resource_type = ${a}.target_type AND ${t}.id = ${a}.target_id AND NOT ${t}.deleted`,
    filters.join(' AND '),
    row,
  );
}

/**
 * `_has:Observation:subject:code=x`: a current `sourceType` resource references this one through `sourceParam` and
 * matches `where`.
 */
function has(condition: Extract<Condition, { kind: 'has' }>, row: RowRef, params: SqlParams, depth: number): string {
  checkDepth(depth);
  const a = params.alias('r');
  const s = params.alias('s');
  const source: RowRef = { type: `${s}.resource_type`, id: `${s}.id`, lastUpdatedMs: `${s}.last_updated_ms` };
  const filters = [
    `${a}.resource_type = ${params.bind(condition.sourceType, 'text')}`,
    `${a}.param = ${params.bind(condition.sourceParam, 'text')}`,
    `${a}.target_id = ${row.id}`,
    `${a}.target_type = ${row.type}`,
    compileConditions(condition.where, source, params, depth + 1),
  ];
  return existsIn(
    `fhir_idx_reference ${a} JOIN fhir_resource ${s} ON ${s}.resource_type = ${a}.resource_type AND ${s}.id = ${a}.resource_id AND NOT ${s}.deleted`,
    filters.join(' AND '),
    row,
  );
}

/** One composite value: a single tuple of `param` whose i-th part matches parts[i]. */

function checkDepth(depth: number): void {
  if (depth >= MAX_DEPTH)
    throw new UnsupportedQueryError(`Chained and _has searches are limited to ${MAX_DEPTH} levels`);
}
