/**
 * Root guards: a cheap pre-check that skips a parameter whose expression cannot produce anything because
 * the resource lacks the top-level element(s) it starts from (most parameters of a type are absent from
 * any one resource). Only plain path expressions get a guard.
 */
import type { SearchParameterInfo } from './search-parameter-registry.js';
import { narrowExpression, splitTopLevelUnion, unwrap } from './expression-text.js';

/**
 * A cheap pre-check: the expression can only produce values when the resource has one of `any` (or all of
 * `all`) as a top-level element (choice elements count by their base name: valueQuantity → value).
 */
export type RootGuard = { any: string[] } | { all: string[] };

/** Operators and functions that can produce a value (e.g. `false`) from absent elements: no guard then. */
const NOT_PURE_PATH = /\s(and|or|xor|implies)\s|exists\(|empty\(|not\(|iif\(|count\(|%/;
const BRANCH_ROOT = /^\(*([A-Z][A-Za-z]+)\.([a-z][A-Za-z0-9]*)/;

/** The top-level elements any of which the (narrowed) expression needs, when it is plain path navigation. */
export function pathGuard(resourceType: string, expression: string): RootGuard | undefined {
  const narrowed = narrowExpression(resourceType, expression);
  if (NOT_PURE_PATH.test(narrowed)) return undefined;
  const roots = new Set<string>();
  for (const branch of splitTopLevelUnion(unwrap(narrowed))) {
    const m = BRANCH_ROOT.exec(branch);
    if (!m || m[1] !== resourceType) return undefined;
    roots.add(m[2]!);
  }
  return roots.size > 0 ? { any: [...roots] } : undefined;
}

/** A composite over the whole resource needs the first element of every component; otherwise its base's. */
export function compositeGuard(resourceType: string, info: SearchParameterInfo): RootGuard | undefined {
  if (narrowExpression(resourceType, info.expression).trim() !== resourceType)
    return pathGuard(resourceType, info.expression);
  const all: string[] = [];
  for (const c of info.components ?? []) {
    if (NOT_PURE_PATH.test(c.expression)) return undefined;
    const branches = splitTopLevelUnion(unwrap(c.expression)).map((b) => /^\(*([a-z][A-Za-z0-9]*)/.exec(b)?.[1]);
    if (branches.some((b) => !b) || new Set(branches).size !== 1) return undefined;
    all.push(branches[0]!);
  }
  return all.length > 0 ? { all } : undefined;
}

/**
 * The names a guard can match for this resource: every top-level key, plus each prefix of it that ends
 * before an upper-case letter (so `valueQuantity` also answers `value`, `multipleBirthInteger` `multipleBirth`).
 */
export function rootNames(resource: object): Set<string> {
  const names = new Set<string>();
  for (const key of Object.keys(resource)) {
    names.add(key);
    for (let i = 1; i < key.length; i++) {
      const c = key.charCodeAt(i);
      if (c >= 65 && c <= 90) names.add(key.slice(0, i));
    }
  }
  return names;
}

export function guardAllows(guard: RootGuard | undefined, names: Set<string>): boolean {
  if (!guard) return true;
  if ('any' in guard) return guard.any.some((n) => names.has(n));
  return guard.all.every((n) => names.has(n));
}
