/**
 * In-memory evaluation of search parameters against one resource (SMART v2 scope constraints such as
 * `patient/Observation.rs?category=laboratory`, and checks before writes). The resource is indexed with
 * the same extractIndex the stores use, and the parsed conditions are evaluated with the store semantics.
 * Chains and `_has` need other resources and are refused here (400).
 */
import type { Resource } from '@medplum/fhirtypes';
import { badRequest } from '../errors.js';
import { extractIndex } from '../indexing/extract-index.js';
import { evaluateCondition, NeedsResolverError } from './evaluate-condition.js';
import { parseSearch } from './parse-search.js';

const RESULT_PARAMS = new Set([
  '_sort',
  '_count',
  '_total',
  '_summary',
  '_elements',
  '_include',
  '_revinclude',
  '_format',
  '_pretty',
  '_cursor',
]);

export function matchesSearch(
  resource: Resource,
  resourceType: string,
  params: Array<[string, string]> | Record<string, string>,
  options: { baseUrl?: string } = {},
): boolean {
  if (resource.resourceType !== resourceType) return false;
  const pairs = Array.isArray(params) ? params : Object.entries(params);
  const parsed = parseSearch(
    [resourceType],
    pairs.filter(([n]) => !RESULT_PARAMS.has(n.split(':')[0]!)),
    {
      handling: 'strict',
      baseUrl: options.baseUrl,
    },
  );
  const lastUpdated = Date.parse(resource.meta?.lastUpdated ?? '');
  const candidate = {
    resourceType,
    id: resource.id ?? '',
    lastUpdated: Number.isNaN(lastUpdated) ? 0 : lastUpdated,
    index: extractIndex(resource),
  };
  try {
    return parsed.query.conditions.every((c) => evaluateCondition(c, candidate));
  } catch (err) {
    if (err instanceof NeedsResolverError)
      throw badRequest(`Cannot check a single resource against this search: ${err.message}`);
    throw err;
  }
}
