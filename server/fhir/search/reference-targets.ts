/**
 * The local resources a resource refers to through one reference search parameter (for `_include`):
 * the parameter's per-type FHIRPath (the indexer's fast path, else Medplum's parsed expression) evaluated on the resource, keeping
 * literal references `Type/id` and absolute URLs of this server.
 */
import { evalFhirPath, getSearchParameter, getSearchParameterDetails } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { isResourceType } from '../definitions.js';
import { listSearchParameters } from '../indexing/search-parameter-registry.js';
import { extractionPlan } from '../indexing/extraction-plan.js';
import type { ResourceKey } from '../../store/resource-store.js';

/** Reference parameter codes of a type (for `*`). */
export function referenceParams(resourceType: string): string[] {
  return listSearchParameters(resourceType)
    .filter((p) => p.kind === 'reference')
    .map((p) => p.code);
}

export function referenceTargets(resource: Resource, param: string, baseUrl: string): ResourceKey[] {
  const keys: ResourceKey[] = [];
  for (const value of referenceValues(resource, param)) {
    const ref = typeof value === 'object' && value !== null ? (value as { reference?: unknown }).reference : value;
    if (typeof ref !== 'string') continue;
    const key = parseLocalReference(ref, baseUrl);
    if (key) keys.push(key);
  }
  return keys;
}

/**
 * The parameter's values: through the indexer's compiled fast path when the expression is a plain path (the same
 * values as Medplum's engine, checked by the indexing corpus test; ~4 instead of ~15 µs per Encounter's
 * `participant`), else through Medplum's engine.
 */
function referenceValues(resource: Resource, param: string): unknown[] {
  const fast = extractionPlan(resource.resourceType).find((p) => p.code === param)?.fast;
  if (fast) return fast(resource).map((v) => v.value as unknown);
  const sp = getSearchParameter(resource.resourceType, param);
  if (!sp) return [];
  return evalFhirPath(getSearchParameterDetails(resource.resourceType, sp).parsedExpression, resource);
}

/**
 * `Patient/1`, `Patient/1/_history/2`, `http://this-server/fhir/Patient/1` → {Patient, 1}; anything else → undefined.
 */
export function parseLocalReference(ref: string, baseUrl: string): ResourceKey | undefined {
  const base = baseUrl.replace(/\/+$/, '') + '/';
  const local = base !== '/' && ref.startsWith(base) ? ref.slice(base.length) : ref;
  const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(\/_history\/[^/]+)?$/.exec(local);
  if (!m || !isResourceType(m[1]!)) return undefined;
  return { resourceType: m[1]!, id: m[2]! };
}
