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

export type ComponentPlan = { code: string; kind: Exclude<ParamKind, 'composite'>; atom: FhirPathAtom };

export type ParamPlan =
  | { code: string; kind: Exclude<ParamKind, 'composite'>; atom: FhirPathAtom }
  | { code: string; kind: 'composite'; atom: FhirPathAtom; components: ComponentPlan[] };

const plans = new Map<string, ParamPlan[]>();

/** The evaluation plan of `resourceType` (empty for an unknown type). */
export function extractionPlan(resourceType: string): ParamPlan[] {
  let plan = plans.get(resourceType);
  if (!plan) {
    plan = buildPlan(resourceType);
    plans.set(resourceType, plan);
  }
  return plan;
}

function buildPlan(resourceType: string): ParamPlan[] {
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
        components.push({ code: c.code, kind: c.kind, atom: componentAtom });
      }
      if (components.length === (info.components ?? []).length && components.length > 0) {
        plan.push({ code: info.code, kind: 'composite', atom, components });
      }
    } else {
      plan.push({ code: info.code, kind: info.kind, atom });
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

/** Keeps the top-level `|` branches of a multi-type expression that belong to `resourceType`. */
export function narrowExpression(resourceType: string, expression: string): string {
  const branches = splitTopLevelUnion(expression);
  const mine = branches.filter((b) => {
    const t = b.trim().replace(/^\(+/, '');
    return t === resourceType || t.startsWith(resourceType + '.') || t.startsWith(resourceType + ')');
  });
  return mine.length > 0 ? mine.join(' | ') : expression;
}

export function splitTopLevelUnion(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const ch = expression[i];
    if (ch === "'" && expression[i - 1] !== '\\') quoted = !quoted;
    if (quoted) continue;
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === '|' && depth === 0) {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts.filter((p) => p.length > 0);
}
