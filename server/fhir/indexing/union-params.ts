/**
 * Search parameters that are exactly the union of others of the same type: R4's Observation `combo-code` is
 * `Observation.code | Observation.component.code`, i.e. `code` ∪ `component-code`; likewise combo-value-quantity,
 * combo-value-concept, combo-data-absent-reason and the composites combo-code-value-quantity / -concept (base
 * `Observation | Observation.component`, the same components as code-value-* and component-code-value-*).
 * Such a parameter's entries would copy its members' entries under another name (5 rows of every Observation
 * without components, about a quarter of an ORU^R01's index rows), so extraction skips it and a search on it is
 * the union of the same search on each member (parse-value.ts; `_sort` on the members' entries).
 *
 * Found from the definitions, not listed by hand: a parameter is a union when its top-level `|` branches (narrowed to
 * the type, outer parentheses removed) are exactly the branches of the other parameters whose branches it contains,
 * with the same kind (and for composites the same component kinds and expressions, in order). Kinds whose entries
 * depend on more than the expression (string: text handling by URL; reference: targets, chains) are left out.
 */
import { narrowExpression, splitTopLevelUnion, unwrap } from './expression-text.js';
import { listSearchParameters, type SearchParameterInfo } from './search-parameter-registry.js';

const UNION_KINDS: ReadonlySet<string> = new Set(['token', 'quantity', 'number', 'date', 'uri', 'composite']);

const byType = new Map<string, ReadonlyMap<string, readonly string[]>>();

/** The members of `code` when it is a union parameter of `resourceType` (its entries are theirs); else undefined. */
export function unionMembers(resourceType: string, code: string): readonly string[] | undefined {
  return unionParams(resourceType).get(code);
}

/** Every union parameter of `resourceType` with its members. */
export function unionParams(resourceType: string): ReadonlyMap<string, readonly string[]> {
  let found = byType.get(resourceType);
  if (!found) {
    found = findUnions(resourceType);
    byType.set(resourceType, found);
  }
  return found;
}

function findUnions(resourceType: string): Map<string, string[]> {
  const params = listSearchParameters(resourceType).filter((p) => UNION_KINDS.has(p.kind) && p.expression);
  const branches = new Map(params.map((p) => [p.code, branchesOf(resourceType, p)]));
  const unions = new Map<string, string[]>();
  for (const p of params) {
    const mine = branches.get(p.code)!;
    if (mine.size < 2) continue;
    const members = params.filter((q) => {
      if (q.code === p.code || q.kind !== p.kind || !sameComponents(p, q)) return false;
      const theirs = branches.get(q.code)!;
      return theirs.size > 0 && theirs.size < mine.size && [...theirs].every((b) => mine.has(b));
    });
    const covered = new Set(members.flatMap((q) => [...branches.get(q.code)!]));
    if (members.length >= 2 && covered.size === mine.size)
      unions.set(
        p.code,
        members.map((q) => q.code),
      );
  }
  // a member that is itself a union would be skipped by extraction: never rely on one
  for (const [code, members] of unions) if (members.some((m) => unions.has(m))) unions.delete(code);
  return unions;
}

function branchesOf(resourceType: string, p: SearchParameterInfo): Set<string> {
  return new Set(splitTopLevelUnion(narrowExpression(resourceType, p.expression)).map((b) => unwrap(b)));
}

function sameComponents(p: SearchParameterInfo, q: SearchParameterInfo): boolean {
  const a = p.components ?? [];
  const b = q.components ?? [];
  return a.length === b.length && a.every((c, i) => c.kind === b[i]!.kind && c.expression === b[i]!.expression);
}
