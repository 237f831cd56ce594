/**
 * Whether an ifNoneExist condition of a batch entry may match a resource an earlier entry of the same round creates
 * (batch-creates.ts): its search ran before that resource was committed, so it could not have found it. Evaluated
 * in memory with the stores' semantics (search/evaluate-condition.ts) on the index the store will keep for the new
 * resource. Whatever cannot be evaluated here (chains, `_has`, a parameter this parse does not know) counts as a
 * match: the entry then waits for the commit and searches again.
 */
import type { ResourceIndex } from '../indexing/index-entry.js';
import { evaluateCondition } from '../search/evaluate-condition.js';
import { parseSearch } from '../search/parse-search.js';
import type { Condition } from '../search/search-query.js';
import { PAGING_PARAMS } from '../interactions/find-matches.js';

export type NewResource = { resourceType: string; id: string; lastUpdated: string; index: ResourceIndex };

export function mayMatchAny(
  resourceType: string,
  criteria: ReadonlyArray<readonly [string, string]>,
  created: readonly NewResource[],
  baseUrl: string,
): boolean {
  const sameType = created.filter((r) => r.resourceType === resourceType);
  if (sameType.length === 0) return false;
  let conditions: Condition[];
  try {
    const filters = criteria.filter(([name]) => !PAGING_PARAMS.has(name)).map(([n, v]) => [n, v] as [string, string]);
    conditions = parseSearch([resourceType], filters, { handling: 'strict', baseUrl }).query.conditions;
  } catch {
    return true;
  }
  return sameType.some((r) => {
    try {
      const candidate = { resourceType, id: r.id, lastUpdated: Date.parse(r.lastUpdated), index: r.index };
      return conditions.every((c) => evaluateCondition(c, candidate));
    } catch {
      return true;
    }
  });
}
