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
import type { SearchParameterInfo } from './search-parameter-registry.js';
import { narrowExpression, splitTopLevelUnion, unwrap } from './expression-text.js';
import { compileFastPath, type FastPath } from './fast-path.js';
import { compositeGuard, pathGuard, type RootGuard } from './root-guard.js';
import { textHandlingOf, type TextHandling } from './text/name-parameters.js';
import { unionParams } from './union-params.js';

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

export type ParamPlan =
  | {
      code: string;
      kind: Exclude<ParamKind, 'composite'>;
      atom: FhirPathAtom;
      guard?: RootGuard;
      fast?: FastPath;
      /** String parameters over person names (text/name-search-parameters.json). */
      text?: TextHandling;
    }
  | {
      code: string;
      kind: 'composite';
      atom: FhirPathAtom;
      components: ComponentPlan[];
      guard?: RootGuard;
      fast?: FastPath;
    };

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
  const unions = unionParams(resourceType);
  for (const info of listSearchParameters(resourceType)) {
    if (info.kind === 'special' || !info.expression) continue;
    if (unions.has(info.code)) continue; // its entries are its members' (union-params.ts)
    const atom = parsedFor(resourceType, info);
    if (!atom) continue;
    if (info.kind === 'composite') {
      const components: ComponentPlan[] = [];
      for (const c of info.components ?? []) {
        const componentAtom = tryParse(c.expression);
        if (!componentAtom || c.kind === 'composite') break;
        components.push({
          code: c.code,
          kind: c.kind,
          atom: componentAtom,
          key: `${c.code}\u0001${c.expression}`,
          expression: c.expression,
          ...(fastPaths ? { fastByBaseType: new Map() } : {}),
        });
      }
      if (components.length === (info.components ?? []).length && components.length > 0) {
        plan.push(
          withGuard(
            {
              code: info.code,
              kind: 'composite',
              atom,
              components,
              ...(fastPaths ? fast(resourceType, info.expression) : {}),
            },
            compositeGuard(resourceType, info),
          ),
        );
      }
    } else {
      const text = info.kind === 'string' ? textHandlingOf(info.url) : undefined;
      plan.push(
        withGuard(
          {
            code: info.code,
            kind: info.kind,
            atom,
            ...(fastPaths ? fast(resourceType, info.expression) : {}),
            ...(text ? { text } : {}),
          },
          pathGuard(resourceType, info.expression),
        ),
      );
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
      : ({
          resourceType: 'SearchParameter',
          code: info.code,
          type: info.kind,
          expression: info.expression,
          base: [resourceType],
        } as SearchParameter);
  // Medplum keeps only the branches containing `Type.`: a bare `Observation` branch (combo-* composites) would be lost
  const bareBranch = splitTopLevelUnion(info.expression).some(
    (b) => b.replace(/^\(+|\)+$/g, '').trim() === resourceType,
  );
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
