/**
 * One predicate builder per index entry kind: SQL over a side-table alias `a` that is true when that
 * single entry matches the condition. compile-condition.ts wraps them in EXISTS (plain parameters)
 * or in a composite tuple.
 */
import { normalizeString } from '../../../fhir/indexing/normalize.js';
import type { Condition, QuantityValue, ReferenceValue } from '../../../fhir/search/search-query.js';
import { tokenKind } from '../../../fhir/search/kinds/token/token-kind.js';
import { TABLE_OF_KIND, type SideTable } from '../index-rows.js';
import { compileRange } from './range-match.js';
import { allOf, anyOf, escapeLike, startsWith, TRUE, type SqlParams } from './sql-params.js';

export type EntryCondition = Extract<
  Condition,
  { kind: 'string' | 'token' | 'date' | 'number' | 'quantity' | 'reference' | 'uri' }
>;

export function isEntryCondition(condition: Condition): condition is EntryCondition {
  switch (condition.kind) {
    case 'string':
    case 'token':
    case 'date':
    case 'number':
    case 'quantity':
    case 'reference':
    case 'uri':
      return true;
    default:
      return false;
  }
}

export function tableOf(condition: EntryCondition): SideTable {
  return TABLE_OF_KIND[condition.kind];
}

/** The predicate on alias `a` (without param and ownership, which the caller adds). */
export function entryPredicate(condition: EntryCondition, a: string, params: SqlParams): string {
  switch (condition.kind) {
    case 'string':
      return anyOf(condition.values.map((v) => stringMatch(condition.match, v, a, params)));
    case 'token':
      return tokenKind.postgres.predicate(condition, a, params);
    case 'date':
      return compileRange(condition.match, { low: `${a}.low`, high: `${a}.high`, value: `${a}.low` }, true, params, {
        ordered: true,
      });
    case 'number':
      return compileRange(condition.match, { low: `${a}.low`, high: `${a}.high`, value: `${a}.value` }, false, params, {
        ordered: true,
      });
    case 'quantity':
      return anyOf(condition.values.map((v) => quantityMatch(v, a, params)));
    case 'reference':
      return anyOf(condition.values.map((v) => referenceMatch(v, a, params)));
    case 'uri':
      return uriMatch(condition.match, condition.values, a, params);
  }
}

function stringMatch(match: 'prefix' | 'exact' | 'contains', value: string, a: string, params: SqlParams): string {
  switch (match) {
    case 'prefix':
      return startsWith(`${a}.value`, value, params);
    case 'exact':
      // value is normalizeString(exact) on every row, so the value index finds the candidates and exact
      // filters them: no index on exact to maintain per string row (see schema.ts)
      return `(${a}.value = ${params.bind(normalizeString(value), 'text')} AND ${a}.exact = ${params.bind(value, 'text')})`;
    case 'contains':
      return `${a}.value LIKE ${params.bind(`%${escapeLike(value)}%`, 'text')}`;
  }
}

function quantityMatch(value: QuantityValue, a: string, params: SqlParams): string {
  const canonical = value.canonical === true;
  const columns = canonical
    ? { value: `${a}.canonical_value`, low: `${a}.canonical_low`, high: `${a}.canonical_high` }
    : { value: `${a}.value`, low: `${a}.low`, high: `${a}.high` };
  const parts = [compileRange(value.match, columns, false, params, { ordered: true })];
  if (value.system !== undefined) parts.push(`${a}.system = ${params.bind(value.system, 'text')}`);
  if (value.code !== undefined) {
    const code = params.bind(value.code, 'text');
    // `value||mg` (no system) matches the code or the human unit; with a system the code must match
    if (canonical) parts.push(`${a}.canonical_code = ${code}`);
    else if (value.system !== undefined) parts.push(`${a}.code = ${code}`);
    else parts.push(`(${a}.code = ${code} OR ${a}.unit = ${code})`);
  }
  return allOf(parts.filter((p) => p !== TRUE));
}

function referenceMatch(value: ReferenceValue, a: string, params: SqlParams): string {
  switch (value.match) {
    case 'literal': {
      const parts = [`${a}.target_id = ${params.bind(value.targetId, 'text')}`];
      if (value.targetType !== undefined) parts.push(`${a}.target_type = ${params.bind(value.targetType, 'text')}`);
      return allOf(parts);
    }
    case 'url':
      return `${a}.url = ${params.bind(value.url, 'text')}`;
    case 'identifier': {
      const parts = [`${a}.identifier_value = ${params.bind(value.value, 'text')}`];
      if (value.system !== undefined) parts.push(`${a}.identifier_system = ${params.bind(value.system, 'text')}`);
      return allOf(parts);
    }
  }
}

function uriMatch(match: 'eq' | 'above' | 'below', values: string[], a: string, params: SqlParams): string {
  switch (match) {
    case 'eq':
      return values.length === 0 ? 'FALSE' : `${a}.value = ANY(${params.bind(values, 'text[]')})`;
    case 'below':
      return anyOf(values.map((v) => startsWith(`${a}.value`, v, params)));
    case 'above': {
      // the entry is a prefix of the searched URI: compare with every prefix of it (index-friendly)
      const prefixes = new Set(values.flatMap((v) => Array.from({ length: v.length }, (_, i) => v.slice(0, i + 1))));
      return prefixes.size === 0 ? 'FALSE' : `${a}.value = ANY(${params.bind([...prefixes], 'text[]')})`;
    }
  }
}
