/**
 * The conditions on one index entry (plain parameters): SQL over a side-table alias `a` that is true when that
 * single entry matches, built by the kind's own predicate (fhir/search/kinds/<kind>/). compile-condition.ts wraps
 * them in EXISTS (plain parameters) or in a composite tuple.
 */
import { isPlainKind, kindOf } from '../../../fhir/search/kinds/registry.js';
import type { ConditionOf, PlainKind } from '../../../fhir/search/kinds/search-param-kind.js';
import type { Condition } from '../../../fhir/search/search-query.js';
import { tableOfKind, type SideTable } from '../index-rows.js';
import type { SqlParams } from './sql-params.js';

export type EntryCondition = ConditionOf<PlainKind>;

export function isEntryCondition(condition: Condition): condition is EntryCondition {
  return isPlainKind(condition.kind);
}

export function tableOf(condition: EntryCondition): SideTable {
  return tableOfKind(condition.kind);
}

/** True for the resources that have no matching entry (token `:not`): compiled as NOT EXISTS. */
export function isNegated(condition: EntryCondition): boolean {
  return kindOf(condition.kind).negated(condition);
}

/** The predicate on alias `a` (without param and ownership, which the caller adds). */
export function entryPredicate(condition: EntryCondition, a: string, params: SqlParams): string {
  return kindOf(condition.kind).postgres.predicate(condition, a, params);
}
