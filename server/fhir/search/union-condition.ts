/**
 * A search on a union parameter (indexing/union-params.ts: R4's Observation combo-*, whose entries are not stored
 * because they would copy its members') is the same search on each member: some member matches, or, for a condition
 * that holds on the resources WITHOUT a matching entry (`:missing=true`, token `:not`), every member does. Each
 * store compiles the `or`/`and` as it does any other; an entry condition on several params of one side table becomes
 * one EXISTS (PostgreSQL compileOr), so a resource matching through several members is still one result.
 */
import { unionMembers } from '../indexing/union-params.js';
import { getSearchParameterInfo } from '../indexing/search-parameter-registry.js';
import { isPlainKind, kindOf } from './kinds/registry.js';
import type { Condition } from './search-query.js';

/** `condition` (parsed for `code` of `resourceType`) over its members when `code` is a union parameter. */
export function overUnionMembers(resourceType: string, code: string, condition: Condition): Condition {
  const members = unionMembers(resourceType, code);
  if (!members || !('param' in condition) || condition.param !== code) return condition;
  const each = members.map((param): Condition => {
    if (condition.kind !== 'composite') return { ...condition, param };
    // the parts as the member's components (the in-memory evaluation matches a part entry by its param)
    const components = getSearchParameterInfo(resourceType, param)?.components ?? [];
    const values = condition.values.map((parts) =>
      parts.map((part, i) => ('param' in part && components[i] ? { ...part, param: components[i].code } : part)),
    );
    return { ...condition, param, values };
  });
  const negative =
    condition.kind === 'missing'
      ? condition.missing
      : isPlainKind(condition.kind) && kindOf(condition.kind).negated(condition as never);
  return negative ? { kind: 'and', all: each } : { kind: 'or', any: each };
}
