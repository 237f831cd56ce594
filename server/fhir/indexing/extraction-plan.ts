/**
 * Per resource type, computed once: which parameters to evaluate, with their FHIRPath expression
 * already parsed and narrowed to that type (Medplum's getSearchParameterDetails().parsedExpression),
 * so that extraction on the write path is a tight loop over ready atoms.
 */
import { getSearchParameter, getSearchParameterDetails, parseFhirPath } from '@medplum/core';
import type { FhirPathAtom } from '@medplum/core';
import type { SearchParameter } from '@medplum/fhirtypes';
import type { ParamKind } from '../search/search-query.js';
import { listSearchParameters } from './search-parameter-registry.js';
import { narrowExpression, splitTopLevelUnion, unwrap } from './expression-text.js';
import { compileFastPath, type FastPath } from './fast-path.js';

export { narrowExpression, splitTopLevelUnion } from './expression-text.js';
import type { SearchParameterInfo } from './search-parameter-registry.js';

/** `key` identifies the component's code + expression, for sharing results between composites. */
export type ComponentPlan = {
  code: string;
  kind: Exclude<ParamKind, 'composite'>;
  atom: FhirPathAtom;
  key: string;
  expression: string;
  /** Fast paths by the base value's type, compiled on first use (null: not a plain path); absent: disabled. */
  fastByBaseType?: Map<string, FastPath | null>;
};

/**
 * A cheap pre-check: the expression can only produce values when the resource has one of `any` (or all of
 * `all`) as a top-level element (choice elements count by their base name: valueQuantity → value).
 */
export type RootGuard = { any: string[] } | { all: string[] };

export type ParamPlan =
  | { code: string; kind: Exclude<ParamKind, 'composite'>; atom: FhirPathAtom; guard?: RootGuard; fast?: FastPath }
  | { code: string; kind: 'composite'; atom: FhirPathAtom; components: ComponentPlan[]; guard?: RootGuard; fast?: FastPath };

const plans = new Map<string, ParamPlan[]>();

/**
 * The evaluation plan of `resourceType` (empty for an unknown type). With `fastPaths` false every
 * expression goes through Medplum's engine (used to check the fast paths against it).
 */
export function extractionPlan(resourceType: string, fastPaths = true): ParamPlan[] {
  const key = fastPaths ? resourceType : `${resourceType}\u0001slow`;
  let plan = plans.get(key);
  if (!plan) {
    plan = buildPlan(resourceType, fastPaths && !FAST_PATHS_DISABLED);
    plans.set(key, plan);
  }
  return plan;
}

function buildPlan(resourceType: string, fastPaths: boolean): ParamPlan[] {
  const plan: ParamPlan[] = [];
  for (const info of listSearchParameters(resourceType)) {
    if (info.kind === 'special' || !info.expression) continue;
    const atom = parsedFor(resourceType, info);
    if (!atom) continue;
    if (info.kind === 'composite') {
      const components: ComponentPlan[] = [];
      for (const c of info.components ?? []) {
        const componentAtom = tryParse(c.expression);
        if (!componentAtom || c.kind === 'composite') break;
        components.push({ code: c.code, kind: c.kind, atom: componentAtom, key: `${c.code}\u0001${c.expression}`, expression: c.expression, ...(fastPaths ? { fastByBaseType: new Map() } : {}) });
      }
      if (components.length === (info.components ?? []).length && components.length > 0) {
        plan.push(withGuard({ code: info.code, kind: 'composite', atom, components, ...(fastPaths ? fast(resourceType, info.expression) : {}) }, compositeGuard(resourceType, info)));
      }
    } else {
      plan.push(withGuard({ code: info.code, kind: info.kind, atom, ...(fastPaths ? fast(resourceType, info.expression) : {}) }, pathGuard(resourceType, info.expression)));
    }
  }
  return plan;
}

/**
 * Medplum's per-type parsed expression when it can compute one (it narrows a multi-type union to the
 * branches of this type); otherwise the union narrowed here by text.
 */
function parsedFor(resourceType: string, info: SearchParameterInfo): FhirPathAtom | undefined {
  const registered = getSearchParameter(resourceType, info.code);
  const sp: SearchParameter =
    registered && registered.expression === info.expression
      ? registered
      : ({ resourceType: 'SearchParameter', code: info.code, type: info.kind, expression: info.expression, base: [resourceType] } as SearchParameter);
  // Medplum keeps only the branches containing `Type.`: a bare `Observation` branch (combo-* composites) would be lost
  const bareBranch = splitTopLevelUnion(info.expression).some((b) => b.replace(/^\(+|\)+$/g, '').trim() === resourceType);
  if (bareBranch) return tryParse(narrowExpression(resourceType, info.expression));
  try {
    return getSearchParameterDetails(resourceType, sp).parsedExpression;
  } catch {
    return tryParse(narrowExpression(resourceType, info.expression));
  }
}

function tryParse(expression: string): FhirPathAtom | undefined {
  try {
    return parseFhirPath(expression);
  } catch {
    return undefined;
  }
}

/** `{ fast }` when the expression (narrowed to the type) is a plain path; Medplum's engine otherwise. */
function fast(resourceType: string, expression: string): { fast?: FastPath } {
  const compiled = compileFastPath(resourceType, narrowExpression(resourceType, expression));
  return compiled ? { fast: compiled } : {};
}

/** Fast path of a composite component relative to a base value of `baseType` (cached on the component). */
export function componentFastPath(component: ComponentPlan, baseType: string): FastPath | undefined {
  if (!component.fastByBaseType) return undefined;
  let compiled = component.fastByBaseType.get(baseType);
  if (compiled === undefined) {
    compiled = null;
    if (/^[A-Z]/.test(baseType)) {
      const branches = splitTopLevelUnion(component.expression).map((b) => `${baseType}.${unwrap(b)}`);
      compiled = compileFastPath(baseType, branches.join(' | ')) ?? null;
    }
    component.fastByBaseType.set(baseType, compiled);
  }
  return compiled ?? undefined;
}

/** NILECARE_INDEX_FAST_PATHS=off evaluates everything with Medplum's engine (for comparison and benchmarks). */
const FAST_PATHS_DISABLED = process.env.NILECARE_INDEX_FAST_PATHS === 'off';

function withGuard<T extends ParamPlan>(plan: T, guard: RootGuard | undefined): T {
  if (guard) plan.guard = guard;
  return plan;
}

/** Operators and functions that can produce a value (e.g. `false`) from absent elements: no guard then. */
const NOT_PURE_PATH = /\s(and|or|xor|implies)\s|exists\(|empty\(|not\(|iif\(|count\(|%/;
const BRANCH_ROOT = /^\(*([A-Z][A-Za-z]+)\.([a-z][A-Za-z0-9]*)/;

/** The top-level elements any of which the (narrowed) expression needs, when it is plain path navigation. */
function pathGuard(resourceType: string, expression: string): RootGuard | undefined {
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
function compositeGuard(resourceType: string, info: SearchParameterInfo): RootGuard | undefined {
  if (narrowExpression(resourceType, info.expression).trim() !== resourceType) return pathGuard(resourceType, info.expression);
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
