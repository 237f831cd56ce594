/**
 * Conditional create / update / delete: which current resources match search criteria such as
 * `identifier=http://hospital|123`. Criteria are evaluated strictly: an unknown parameter is an error,
 * not silently ignored (ignoring it could update or delete the wrong resource).
 */
import type { Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir-context.js';
import type { StoredVersion } from '../../store/resource-store.js';
import { badRequest } from '../errors.js';

export const PAGING_PARAMS: ReadonlySet<string> = new Set([
  '_count',
  '_sort',
  '_total',
  '_summary',
  '_elements',
  '_include',
  '_revinclude',
  '_cursor',
  '_format',
  '_pretty',
]);

/** `identifier=a|b&active=true`, `Patient?identifier=…` or `?identifier=…` → ordered pairs. */
export function parseCriteria(text: string): Array<[string, string]> {
  const query = text.includes('?') ? text.slice(text.indexOf('?') + 1) : text;
  return [...new URLSearchParams(query).entries()];
}

/** Up to `limit` matching resources (limit 2 is enough to tell none / one / several). */
export async function findMatches(
  ctx: FhirContext,
  resourceType: string,
  criteria: Array<[string, string]>,
  limit = 2,
): Promise<Resource[]> {
  return (await findMatchingVersions(ctx, resourceType, criteria, limit)).map((v) => v.resource as Resource);
}

/** The current stored versions matching the criteria (store-level search: no Bundle), at most `limit`. */
export async function findMatchingVersions(
  ctx: FhirContext,
  resourceType: string,
  criteria: Array<[string, string]>,
  limit = 2,
): Promise<StoredVersion[]> {
  const filters = criteria.filter(([name]) => !PAGING_PARAMS.has(name));
  if (filters.length === 0) {
    throw badRequest(`A conditional operation on ${resourceType} needs at least one search parameter`);
  }
  const result = await ctx.search({
    store: ctx.store,
    resourceTypes: [resourceType],
    params: [...filters, ['_total', 'none']],
    count: limit,
    baseUrl: ctx.baseUrl,
    access: ctx.access,
    handling: 'strict',
  });
  return result.matches;
}
